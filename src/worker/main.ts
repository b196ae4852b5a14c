/**
 * Worker process alone (scale-out: many of these against a Temporal cluster). Needs TEMPORAL_ADDRESS.
 * Started before Temporal answers, it retries the connection (its /readyz says why meanwhile).
 */
import { Runtime } from '@temporalio/worker';
import { sdkTelemetry } from './telemetry';
import { loadConfig } from '../config/load';
import { connectWorker, isTemporalUnreachable, retryUntilConnected, TemporalStartup } from '../config/temporal';
import { freePort } from '../platform/ports';
import { loadLibraryForProcess } from '../runbooks/report';
import { createWorker } from './create-worker';
import { startWorkerMetricsServer } from './metrics-server';
import { createWorkerMetrics } from './metrics';
import { openEventPublisher } from '../events/open';

async function main(): Promise<void> {
  // The worker authenticates nobody: it needs no API tokens.
  const config = loadConfig(process.env, process.cwd(), { tokens: false });
  if (!config.temporalAddress)
    throw new Error('TEMPORAL_ADDRESS is required for a standalone worker (npm start runs everything locally)');
  const cfg = { ...config, temporalAddress: config.temporalAddress };
  const library = loadLibraryForProcess(config.runbooksDir, (line) => console.error(`[worker] ${line}`));
  const sdkMetricsPort = await freePort();
  // Runtime handles SIGINT/SIGTERM: the worker drains (grace period) and run() resolves.
  Runtime.install({ telemetryOptions: sdkTelemetry(sdkMetricsPort) });
  const metrics = createWorkerMetrics();
  // A no-op unless OPERATIONAL_EVENT_STREAM_ENABLED=true and REDIS_URL are set (docs/events.md).
  const events = openEventPublisher({
    config: config.events,
    registry: metrics.registry,
    onError: (err) => console.error(`[worker] operational events: ${err.message}`),
  });
  const startup = new TemporalStartup(cfg.temporalAddress);
  const server = await startWorkerMetricsServer({
    registry: metrics.registry,
    port: config.worker.metricsPort,
    sdkMetricsUrl: `http://127.0.0.1:${sdkMetricsPort}/metrics`,
    notReady: () => startup.problem(),
  });
  // Before there is a worker, Runtime's signal handling has nothing to drain: stop retrying and exit.
  const stopping = new AbortController();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => stopping.abort());
  const worker = await retryUntilConnected({
    startup,
    attempt: async () => {
      const connection = await connectWorker(cfg);
      try {
        return await createWorker({ connection, config, metrics, events, library: () => library });
      } catch (err) {
        await connection.close();
        throw err;
      }
    },
    retryable: isTemporalUnreachable,
    log: (line) => console.error(`[worker] ${line}`),
    signal: stopping.signal,
  });
  if (!worker) {
    server.close();
    await events.close();
    console.log('[worker] stopped before reaching Temporal');
    process.exit(0);
  }
  startup.ready();
  console.log(
    `[worker] polling '${config.taskQueue}' on ${config.temporalAddress}; metrics on :${config.worker.metricsPort}/metrics`,
  );
  await worker.run();
  // After the worker stops: what its last activities and workflows reported goes out first.
  await events.close();
  server.close();
}

main().catch((err: Error) => {
  console.error(`${err.name}: ${err.message}`);
  process.exit(1);
});
