/** HTTP API process alone (scale-out: behind a load balancer). Needs TEMPORAL_ADDRESS. */
import { loadConfig } from '../config/load';
import { connectClient } from '../config/temporal';
import { loadLibraryForProcess } from '../runbooks/report';
import { ensureSearchAttributes } from '../platform/search-attributes';
import { buildProductApi } from './wire';
import { syncSchedulesAtStart } from '../schedules/startup';

async function main(): Promise<void> {
  const config = loadConfig();
  if (!config.temporalAddress)
    throw new Error('TEMPORAL_ADDRESS is required for a standalone API (npm start runs everything locally)');
  const library = loadLibraryForProcess(config.runbooksDir, (line) => console.error(`[api] ${line}`));
  const client = await connectClient({ ...config, temporalAddress: config.temporalAddress });
  await ensureSearchAttributes(client, config.namespace).catch((err: Error) =>
    console.warn(`[api] search attributes not checked: ${err.message}`),
  );
  await syncSchedulesAtStart({ client, config, library, log: (line) => console.log(`[api] ${line}`) });
  const { app } = buildProductApi({ client, config, library: () => library, logger: true });
  await app.listen({ host: config.api.host, port: config.api.port });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(
      sig,
      () =>
        void app
          .close()
          .then(() => client.connection.close())
          .then(() => process.exit(0)),
    );
  }
}

main().catch((err: Error) => {
  console.error(`${err.name}: ${err.message}`);
  process.exit(1);
});
