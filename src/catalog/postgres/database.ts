/** `pg:database:drop`: removes a database, by default only a scratch copy a restore made. */
import { z } from 'zod';
import type { CatalogEntry } from '../types';
import { pgIdentifier } from './backup';
import { database, NON_RETRYABLE } from './common';

const dropInput = z
  .object({
    database: database.describe('The configured database whose server holds the one to drop.'),
    name: pgIdentifier.describe('The database to drop (never the configured database itself).'),
    onlyScratch: z
      .boolean()
      .default(true)
      .describe(
        'Drop only a scratch copy made by pg:backup:restore with scratch: true (anything else fails InvalidInput). ' +
          'false drops any database: the step must be guarded by an approval.',
      ),
    maintenanceDatabase: pgIdentifier.default('postgres').describe('Where to connect to drop it.'),
  })
  .strict();
const dropOutput = z.object({
  name: z.string(),
  changed: z.boolean().describe('false when it was already gone.'),
  terminated: z.number().describe('Connections to it that were ended (DROP DATABASE ... WITH (FORCE)).'),
});
export type PgDatabaseDropInput = z.infer<typeof dropInput>;
export type PgDatabaseDropResult = z.infer<typeof dropOutput>;

export const pgDatabaseDrop: CatalogEntry<typeof dropInput, typeof dropOutput, 'pg:database:drop'> = {
  id: 'pg:database:drop',
  description:
    'Drop a database on a configured server, ending its connections first. By default only a scratch copy that ' +
    'pg:backup:restore made with scratch: true (its comment says so); onlyScratch: false drops any other database ' +
    'but the configured one and needs an approval guarding the step. Already gone: changed: false.',
  input: dropInput,
  output: dropOutput,
  mutating: true,
  requiresApproval: (i) => i.onlyScratch !== undefined && i.onlyScratch !== true,
  nonRetryable: NON_RETRYABLE,
  describe: (i) => `drop database ${i.name} on ${i.database}'s server`,
  example: { needs: 'postgres', with: { database: 'orders', name: 'orders_verify' } },
};
