/**
 * `npm start`: the whole product on one machine. Without TEMPORAL_ADDRESS it starts the embedded
 * Temporal dev server (SQLite file under .data/, Web UI on :8233, search attributes registered);
 * then the HTTP API (listening at once) and the worker (retrying until Temporal answers, when it is
 * TEMPORAL_ADDRESS). Ctrl-C stops them in order: API, worker (in-flight steps get a grace period),
 * server.
 */
import { join } from 'node:path';
import { Runtime, type Worker } from '@temporalio/worker';
import { sdkTelemetry } from './worker/telemetry';
import { buildProductApi } from './api/wire';
import { syncSchedulesAtStart } from './schedules/startup';
import { loadConfig, type AppConfig } from './config/load';
import {
  connectWorker,
  isTemporalUnreachable,
  lazyClient,
  retryUntilConnected,
  TemporalStartup,
} from './config/temporal';
import { reportTemporalStartup } from './api/app';
import { startDevServer, type DevServer } from './devserver/server';
import { freePort } from './platform/ports';
import { loadLibraryForProcess } from './runbooks/report';
import { loadExperimentsForProcess } from './experiments/library';
import { RunbookLoadError } from './runbooks/errors';
import { createWorker } from './worker/create-worker';
import { startWorkerMetricsServer } from './worker/metrics-server';
import { createWorkerMetrics } from './worker/metrics';
import { openEventPublisher } from './events/open';
import { ensureSearchAttributes } from './platform/search-attributes';

async function main(): Promise<void> {
  const config = loadConfig();
  const say = (msg: string): void => console.log(`[durable-runbooks] ${msg}`);
  const library = loadLibraryForProcess(config.runbooksDir, say);
  say(`${library.runbooks.size} runbooks loaded from ${config.runbooksDir}`);
  const experiments = loadExperimentsForProcess(config.experimentsDir, say);
  if (experiments.experiments.size)
    say(`${experiments.experiments.size} experiments loaded from ${config.experimentsDir}`);

  let server: DevServer | undefined;
  let address = config.temporalAddress;
  if (!address) {
    const port = Number(process.env.TEMPORAL_PORT ?? 7233);
    const uiPort = Number(process.env.TEMPORAL_UI_PORT ?? 8233);
    const dbFile = join(config.dataDir, 'temporal.sqlite');
    say(`starting Temporal dev server on 127.0.0.1:${port} (data: ${dbFile})`);
    server = await startDevServer({ port, uiPort, dbFile, namespace: config.namespace });
    address = server.address;
  }
  const cfg: AppConfig & { temporalAddress: string } = { ...config, temporalAddress: address };

  const sdkMetricsPort = await freePort();
  Runtime.install({
    shutdownSignals: [],
    telemetryOptions: sdkTelemetry(sdkMetricsPort),
  });

  // The API listens at once; against a Temporal not answering yet (TEMPORAL_ADDRESS), the worker
  // retries and /readyz says why meanwhile.
  const startup = new TemporalStartup(address);
  const client = lazyClient(cfg);
  const { app } = buildProductApi({ client, config: cfg, library: () => library, experiments: () => experiments });
  reportTemporalStartup(app, () => startup.problem());
  const workerMetrics = createWorkerMetrics();
  // A no-op unless OPERATIONAL_EVENT_STREAM_ENABLED=true and REDIS_URL are set (docs/events.md).
  const events = openEventPublisher({
    config: cfg.events,
    registry: workerMetrics.registry,
    onError: (err) => say(`operational events: ${err.message}`),
  });
  const metricsServer = await startWorkerMetricsServer({
    registry: workerMetrics.registry,
    port: cfg.worker.metricsPort,
    host: '127.0.0.1',
    sdkMetricsUrl: `http://127.0.0.1:${sdkMetricsPort}/metrics`,
    notReady: () => startup.problem(),
  });
  await app.listen({ host: cfg.api.host, port: cfg.api.port });

  // Filled in once Temporal answers; stop() may come before (SIGTERM while retrying).
  const running: { worker?: Worker; run?: Promise<void> } = {};
  const stopRetrying = new AbortController();
  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    stopRetrying.abort();
    say(`${signal}: stopping API, worker${server ? ' and Temporal' : ''}...`);
    await app.close();
    if (running.run) running.worker?.shutdown();
    await running.run?.catch(() => undefined);
    // After the worker stops: what its last activities and workflows reported goes out first.
    await events.close();
    metricsServer.close();
    await client.connection.close();
    await server?.stop();
    say('stopped.');
    process.exit(0);
  };
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => void stop(sig));

  const worker = await retryUntilConnected({
    startup,
    attempt: async () => {
      const connection = await connectWorker(cfg);
      try {
        return await createWorker({ connection, config: cfg, metrics: workerMetrics, events, library: () => library });
      } catch (err) {
        await connection.close();
        throw err;
      }
    },
    retryable: isTemporalUnreachable,
    log: say,
    signal: stopRetrying.signal,
  });
  if (!worker) return; // stopping
  const workerRun = worker.run();
  running.worker = worker;
  running.run = workerRun;
  startup.connected('registering search attributes and syncing schedules');
  if (!server) {
    const added = await ensureSearchAttributes(client, cfg.namespace);
    if (added.length) say(`registered search attributes: ${added.join(', ')}`);
  }
  await syncSchedulesAtStart({ client, config: cfg, library, log: say });
  startup.ready();

  say(`Temporal:    ${address} (namespace ${cfg.namespace})`);
  if (server?.uiUrl || config.temporalAddress) say(`Web UI:      ${cfg.uiUrl}`);
  say(`HTTP API:    ${cfg.api.publicUrl}  (try: ./bin/runbook list)`);
  say(`Worker:      task queue '${cfg.taskQueue}', metrics on http://127.0.0.1:${cfg.worker.metricsPort}/metrics`);
  say('Ctrl-C stops everything.');

  await workerRun.catch(async (err: Error) => {
    if (stopping) return;
    console.error('worker failed:', err);
    await app.close();
    await events.close();
    await server?.stop();
    process.exit(1);
  });
}

main().catch((err: Error) => {
  console.error(err instanceof RunbookLoadError ? `invalid runbooks:\n${err.message}` : `${err.name}: ${err.message}`);
  process.exit(1);
});
