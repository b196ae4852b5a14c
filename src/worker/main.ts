/** Worker process alone (scale-out: many of these against a Temporal cluster). Needs TEMPORAL_ADDRESS. */
import { Runtime } from '@temporalio/worker';
import { sdkTelemetry } from './telemetry';
import { loadConfig } from '../config/load';
import { connectWorker } from '../config/temporal';
import { freePort } from '../platform/ports';
import { loadLibraryForProcess } from '../runbooks/report';
import { createWorker } from './create-worker';
import { startWorkerMetricsServer } from './metrics-server';
import { createWorkerMetrics } from './metrics';

async function main(): Promise<void> {
  // The worker authenticates nobody: it needs no API tokens.
  const config = loadConfig(process.env, process.cwd(), { tokens: false });
  if (!config.temporalAddress)
    throw new Error('TEMPORAL_ADDRESS is required for a standalone worker (npm start runs everything locally)');
  const library = loadLibraryForProcess(config.runbooksDir, (line) => console.error(`[worker] ${line}`));
  const sdkMetricsPort = await freePort();
  // Runtime handles SIGINT/SIGTERM: the worker drains (grace period) and run() resolves.
  Runtime.install({ telemetryOptions: sdkTelemetry(sdkMetricsPort) });
  const metrics = createWorkerMetrics();
  const worker = await createWorker({
    connection: await connectWorker({ ...config, temporalAddress: config.temporalAddress }),
    config,
    metrics,
    library: () => library,
  });
  const server = await startWorkerMetricsServer({
    registry: metrics.registry,
    port: config.worker.metricsPort,
    sdkMetricsUrl: `http://127.0.0.1:${sdkMetricsPort}/metrics`,
  });
  console.log(
    `[worker] polling '${config.taskQueue}' on ${config.temporalAddress}; metrics on :${config.worker.metricsPort}/metrics`,
  );
  await worker.run();
  server.close();
}

main().catch((err: Error) => {
  console.error(`${err.name}: ${err.message}`);
  process.exit(1);
});
