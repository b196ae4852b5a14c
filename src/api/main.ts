/**
 * HTTP API process alone (scale-out: behind a load balancer). Needs TEMPORAL_ADDRESS. It listens
 * at once and reaches Temporal in the background, retrying until it answers: /healthz says the
 * process is alive, /readyz says why it is not ready yet.
 */
import { loadExperimentsForProcess } from '../experiments/library';
import { loadConfig } from '../config/load';
import { lazyClient, probeTemporal, retryUntilConnected, TemporalStartup } from '../config/temporal';
import { loadLibraryForProcess } from '../runbooks/report';
import { ensureSearchAttributes } from '../platform/search-attributes';
import { buildProductApi } from './wire';
import { syncSchedulesAtStart } from '../schedules/startup';
import { reportTemporalStartup } from './app';

async function main(): Promise<void> {
  const config = loadConfig();
  if (!config.temporalAddress)
    throw new Error('TEMPORAL_ADDRESS is required for a standalone API (npm start runs everything locally)');
  const cfg = { ...config, temporalAddress: config.temporalAddress };
  const say = (line: string): void => console.log(`[api] ${line}`);
  const library = loadLibraryForProcess(config.runbooksDir, (line) => console.error(`[api] ${line}`));
  const client = lazyClient(cfg);
  const experiments = loadExperimentsForProcess(config.experimentsDir, (line) => console.error(`[api] ${line}`));
  const { app } = buildProductApi({
    client,
    config,
    library: () => library,
    experiments: () => experiments,
    logger: true,
  });
  const startup = new TemporalStartup(cfg.temporalAddress);
  reportTemporalStartup(app, () => startup.problem());
  await app.listen({ host: config.api.host, port: config.api.port });

  const stopping = new AbortController();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      stopping.abort();
      void app
        .close()
        .then(() => client.connection.close())
        .then(() => process.exit(0));
    });
  }
  await retryUntilConnected({
    startup,
    attempt: () => probeTemporal(cfg),
    log: (line) => console.error(`[api] ${line}`),
    signal: stopping.signal,
  });
  if (stopping.signal.aborted) return;
  // Before ready: a run started before its search attributes exist would be refused.
  startup.connected('checking search attributes and syncing schedules');
  await ensureSearchAttributes(client, config.namespace).catch((err: Error) =>
    console.warn(`[api] search attributes not checked: ${err.message}`),
  );
  await syncSchedulesAtStart({ client, config, library, log: say });
  startup.ready();
  say(`connected to Temporal at ${cfg.temporalAddress}: ready`);
}

main().catch((err: Error) => {
  console.error(`${err.name}: ${err.message}`);
  process.exit(1);
});
