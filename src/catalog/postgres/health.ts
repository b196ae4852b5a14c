/** `pg:health:read`: connections, replication, long transactions and blocking locks of one database server. */
import { z } from 'zod';
import type { CatalogEntry } from '../types';
import { database, NON_RETRYABLE } from './common';

const healthInput = z
  .object({
    database,
    longTransactionSeconds: z
      .number()
      .int()
      .min(1)
      .max(86_400)
      .default(300)
      .describe('A transaction open longer than this many seconds is reported (default 5 minutes).'),
    limit: z.number().int().min(1).max(100).default(20).describe('At most this many rows per list.'),
  })
  .strict();

const count = z.object({ name: z.string(), count: z.number() });
const healthOutput = z.object({
  serverVersion: z.string(),
  inRecovery: z.boolean(),
  connections: z.object({
    used: z.number().describe('Client connections, not counting this check’s own.'),
    max: z.number(),
    ratio: z.number().describe('used / max, 0..1'),
    byState: z.array(count),
    byApplication: z.array(count),
  }),
  replication: z.object({
    standbys: z
      .array(
        z.object({
          applicationName: z.string(),
          clientAddr: z.string().nullable(),
          state: z.string(),
          syncState: z.string(),
          lagBytes: z.number().nullable().describe('How far replay is behind the primary’s current WAL position.'),
          replayLagSeconds: z
            .number()
            .nullable()
            .describe('pg_stat_replication.replay_lag; null when idle and caught up.'),
        }),
      )
      .describe('On a primary: each standby streaming from it.'),
    standby: z
      .object({
        receiveLsn: z.string().nullable(),
        replayLsn: z.string().nullable(),
        replayDelaySeconds: z
          .number()
          .nullable()
          .describe('now() minus the last replayed commit’s time: grows while the primary is idle.'),
      })
      .nullable()
      .describe('On a standby: what it received and replayed; null on a primary.'),
  }),
  longTransactions: z.array(
    z.object({
      pid: z.number(),
      application: z.string(),
      user: z.string().nullable(),
      state: z.string().nullable(),
      seconds: z.number(),
      query: z.string(),
    }),
  ),
  blockedQueries: z.array(
    z.object({
      pid: z.number(),
      blockedBy: z.array(z.number()),
      application: z.string(),
      waitSeconds: z.number(),
      query: z.string(),
    }),
  ),
});
export type PgHealthInput = z.infer<typeof healthInput>;
export type PgHealthResult = z.infer<typeof healthOutput>;

export const pgHealthRead: CatalogEntry<typeof healthInput, typeof healthOutput, 'pg:health:read'> = {
  id: 'pg:health:read',
  description:
    'Read a PostgreSQL server’s health: connections in use against max_connections (by state and application), ' +
    'replication (on a primary each standby’s state, sync state, lag in bytes and replay lag; on a standby what it ' +
    'received and replayed and how far behind), transactions open longer than a threshold, queries waiting on locks ' +
    'with the pids blocking them, the server version and whether it is in recovery. Queries are cut to 200 characters.',
  input: healthInput,
  output: healthOutput,
  mutating: false,
  nonRetryable: NON_RETRYABLE,
  describe: (i) => `read the health of database ${i.database}`,
  example: { needs: 'postgres', with: { database: 'orders', longTransactionSeconds: 300 } },
};
