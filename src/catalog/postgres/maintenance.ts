/**
 * PostgreSQL maintenance and failover: `pg:table:vacuum`, `pg:index:reindex` (the seeds' weekly
 * maintenance), `pg:connection:terminate` (ending sessions by application or state) and
 * `pg:server:promote` (a standby becomes the primary).
 */
import { z } from 'zod';
import type { CatalogEntry } from '../types';
import { database, NON_RETRYABLE } from './common';

const qualifiedTable = z
  .string()
  .regex(
    /^([a-z_][a-z0-9_]{0,62}\.)?[a-z_][a-z0-9_]{0,62}$/,
    'a table as name or schema.name (plain lower-case names)',
  );

const vacuumInput = z
  .object({
    database,
    tables: z
      .array(qualifiedTable)
      .max(200)
      .default([])
      .describe('The tables (schema.name, public by default); none: the whole database.'),
    analyze: z.boolean().default(true).describe('VACUUM (ANALYZE): refresh the planner statistics too.'),
  })
  .strict();
const tableStats = z.object({
  table: z.string(),
  deadTuplesBefore: z.number().nullable(),
  deadTuplesAfter: z.number().nullable(),
});
const vacuumOutput = z.object({
  changed: z.literal(true),
  tables: z.array(tableStats).describe('The tables named, or the 20 with the most dead tuples before.'),
  durationMs: z.number(),
});
export type PgVacuumInput = z.infer<typeof vacuumInput>;
export type PgVacuumResult = z.infer<typeof vacuumOutput>;

export const pgTableVacuum: CatalogEntry<typeof vacuumInput, typeof vacuumOutput, 'pg:table:vacuum'> = {
  id: 'pg:table:vacuum',
  description:
    'VACUUM (ANALYZE by default) the named tables, or the whole database: dead tuples are reclaimed and planner ' +
    'statistics refreshed, without the exclusive lock of VACUUM FULL. Answers dead tuples before and after per ' +
    'table (from pg_stat_user_tables). Heartbeats while it runs.',
  input: vacuumInput,
  output: vacuumOutput,
  mutating: true,
  heartbeatTimeoutMs: 60_000,
  nonRetryable: NON_RETRYABLE,
  describe: (i) =>
    `VACUUM${i.analyze ? ' ANALYZE' : ''} ${i.tables.length ? i.tables.join(', ') : 'every table'} of ${i.database}`,
  example: { needs: 'postgres', with: { database: 'orders', tables: ['public.orders'] } },
};

const reindexInput = z
  .object({
    database,
    table: qualifiedTable.optional().describe('Reindex this table’s indexes; absent: every index of the database.'),
    concurrently: z
      .boolean()
      .default(true)
      .describe('REINDEX CONCURRENTLY where the server allows it (12 and later): writes go on meanwhile.'),
  })
  .strict();
const reindexOutput = z.object({
  changed: z.literal(true),
  target: z.string(),
  concurrently: z.boolean().describe('Whether it ran concurrently (false on a server before 12).'),
  indexes: z.number().describe('How many indexes the target has.'),
  durationMs: z.number(),
});
export type PgReindexInput = z.infer<typeof reindexInput>;
export type PgReindexResult = z.infer<typeof reindexOutput>;

export const pgIndexReindex: CatalogEntry<typeof reindexInput, typeof reindexOutput, 'pg:index:reindex'> = {
  id: 'pg:index:reindex',
  description:
    'REINDEX a table or the whole database, CONCURRENTLY where the server allows it (PostgreSQL 12 and later) so ' +
    'writes are not blocked; a concurrent reindex that fails leaves an invalid index behind, which the next run ' +
    'rebuilds. Heartbeats while it runs.',
  input: reindexInput,
  output: reindexOutput,
  mutating: true,
  heartbeatTimeoutMs: 60_000,
  nonRetryable: NON_RETRYABLE,
  describe: (i) => `REINDEX ${i.concurrently ? 'CONCURRENTLY ' : ''}${i.table ?? `database ${i.database}`}`,
  example: { needs: 'postgres', with: { database: 'orders', table: 'public.orders' } },
};

const terminateInput = z
  .object({
    database,
    application: z.string().min(1).max(63).optional().describe('Sessions with this application_name.'),
    state: z
      .enum(['active', 'idle', 'idle in transaction', 'idle in transaction (aborted)'])
      .optional()
      .describe('Sessions in this state.'),
    minSeconds: z
      .number()
      .int()
      .min(0)
      .max(86_400)
      .default(0)
      .describe('Only sessions in their state at least this long.'),
    user: z.string().min(1).max(63).optional().describe('Sessions of this role.'),
    limit: z.number().int().min(1).max(1000).default(50).describe('End at most this many (the oldest first).'),
  })
  .strict()
  .refine((i) => i.application !== undefined || i.state !== undefined || i.user !== undefined, {
    message: 'name at least one of application, state, user: ending every session is not a step',
  });
const terminateOutput = z.object({
  changed: z.boolean().describe('false when no session matched.'),
  terminated: z.array(
    z.object({
      pid: z.number(),
      application: z.string(),
      user: z.string().nullable(),
      state: z.string().nullable(),
      seconds: z.number(),
    }),
  ),
  matched: z.number().describe('Sessions that matched, before the limit.'),
});
export type PgTerminateInput = z.infer<typeof terminateInput>;
export type PgTerminateResult = z.infer<typeof terminateOutput>;

export const pgConnectionTerminate: CatalogEntry<
  typeof terminateInput,
  typeof terminateOutput,
  'pg:connection:terminate'
> = {
  id: 'pg:connection:terminate',
  description:
    'End client sessions of the configured database by application_name, state (idle in transaction, ...) and ' +
    'role, held at least minSeconds, oldest first and at most `limit`: pg_terminate_backend, never this step’s ' +
    'own session. Reads first: no match is changed: false.',
  input: terminateInput,
  output: terminateOutput,
  mutating: true,
  nonRetryable: NON_RETRYABLE,
  describe: (i) =>
    `end sessions of ${i.database}${i.application ? ` from ${i.application}` : ''}${i.state ? ` ${i.state}` : ''}${i.minSeconds ? ` for ${i.minSeconds}s` : ''}`,
  example: {
    needs: 'postgres',
    with: { database: 'orders', state: 'idle in transaction', minSeconds: 600 },
  },
};

const promoteInput = z
  .object({
    database: database.describe('The standby, by its configuration name.'),
    waitSeconds: z.number().int().min(1).max(3600).default(60).describe('How long to wait for promotion to end.'),
  })
  .strict();
const promoteOutput = z.object({
  changed: z.boolean().describe('false when it was already a primary.'),
  promoted: z.literal(true),
  durationMs: z.number(),
  lsn: z.string().describe('The new primary’s WAL position once it accepts writes.'),
  timeline: z.number().describe('Its timeline (a promotion starts a new one).'),
});
export type PgPromoteInput = z.infer<typeof promoteInput>;
export type PgPromoteResult = z.infer<typeof promoteOutput>;

export const pgServerPromote: CatalogEntry<typeof promoteInput, typeof promoteOutput, 'pg:server:promote'> = {
  id: 'pg:server:promote',
  description:
    'Promote a standby to primary (pg_promote, waiting until it accepts writes): a failover. Cannot be undone (the ' +
    'old primary must be rebuilt before it follows again), so a step naming it must be guarded by an approval. ' +
    'Already a primary: changed: false.',
  input: promoteInput,
  output: promoteOutput,
  mutating: true,
  requiresApproval: true,
  nonRetryable: NON_RETRYABLE,
  describe: (i) => `promote ${i.database} to primary`,
  example: { needs: 'postgres', with: { database: 'orders-standby' } },
};

const archiveInput = z.object({ database }).strict();
const archiveOutput = z.object({
  archiving: z.boolean().describe('archive_mode is on (and the server is a primary, or archive_mode is always).'),
  archiveMode: z.string(),
  archivedCount: z.number(),
  lastArchivedWal: z.string().nullable(),
  lastArchivedAt: z.string().nullable(),
  failedCount: z.number(),
  lastFailedWal: z.string().nullable(),
  lastFailedAt: z.string().nullable(),
  failing: z.boolean().describe('The last attempt failed (a failure newer than the last success).'),
  secondsSinceLastArchived: z
    .number()
    .nullable()
    .describe('How long since a WAL segment was last archived: what point-in-time recovery could lose now.'),
  currentWal: z.string().nullable().describe('The WAL segment being written (null on a standby).'),
});
export type PgArchiveInput = z.infer<typeof archiveInput>;
export type PgArchiveResult = z.infer<typeof archiveOutput>;

export const pgArchiveRead: CatalogEntry<typeof archiveInput, typeof archiveOutput, 'pg:archive:read'> = {
  id: 'pg:archive:read',
  description:
    'Read the WAL archive’s status (pg_stat_archiver): whether archiving is on, the last segment archived and ' +
    'when, failures and whether the last attempt failed, the segment being written, and the seconds since the ' +
    'last archived one (the data point-in-time recovery would lose now).',
  input: archiveInput,
  output: archiveOutput,
  mutating: false,
  nonRetryable: NON_RETRYABLE,
  describe: (i) => `read the WAL archive status of ${i.database}`,
  example: { needs: 'postgres', with: { database: 'orders' } },
};
