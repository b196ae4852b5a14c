/**
 * Point-in-time recovery (docs/pitr.md): `pg:basebackup:create` (pg_basebackup into a store,
 * beside the WAL the archive command puts there), `pg:pitr:restore` (a base backup plus WAL to a
 * target time, into a scratch cluster on the worker), and the scratch cluster's `pg:scratch:query`
 * and `pg:scratch:remove`.
 */
import { z } from 'zod';
import { FAILURE } from '../../shared/failures';
import type { CatalogEntry } from '../types';
import { backupIdText, database, keyPrefix, NON_RETRYABLE, storeName } from './common';
import { pgQuerySmoke } from './query';

const store = storeName.describe(
  'The backup store by its configuration name (`backupStores.<name>`), where the WAL is archived.',
);
const prefix = keyPrefix
  .optional()
  .describe('Where in the store (default `pitr/<database>/`: `wal/` and `base/<id>/` under it).');
const backupId = backupIdText;
const scratchName = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,39}$/, 'lower case letters, digits and -, at most 40')
  .describe('The scratch cluster’s name: its folder under `postgres.workDir`/pitr/.');

const baseSummary = z.object({
  id: z.string(),
  database: z.string(),
  manifestKey: z.string(),
  serverVersion: z.string(),
  timeline: z.number(),
  startLsn: z.string(),
  endLsn: z.string(),
  startWal: z.string().describe('The first WAL segment a restore from it reads.'),
  consistentAt: z.string().describe('The earliest target time it can be recovered to.'),
  size: z.number(),
  sha256: z.string(),
  durationMs: z.number(),
});

const baseInput = z
  .object({
    database,
    store,
    prefix,
    id: backupId
      .optional()
      .describe('The base backup’s id (default: derived from the run and step, so a retry finds its own).'),
    compress: z.boolean().default(true).describe('gzip the tar (pg_basebackup -z).'),
    fastCheckpoint: z
      .boolean()
      .default(true)
      .describe('Start at once with an immediate checkpoint (-c fast); false spreads it (less I/O, slower start).'),
  })
  .strict();
const baseOutput = baseSummary.extend({
  changed: z.boolean().describe('false when a retry found this base backup already complete.'),
});
export type PgBasebackupCreateInput = z.infer<typeof baseInput>;
export type PgBasebackupCreateResult = z.infer<typeof baseOutput>;

export const pgBasebackupCreate: CatalogEntry<typeof baseInput, typeof baseOutput, 'pg:basebackup:create'> = {
  id: 'pg:basebackup:create',
  description:
    'Take a physical base backup with pg_basebackup (tar, -X none: the WAL comes from the archive) into a backup ' +
    'store under `pitr/<database>/base/<id>/`, then check that every WAL segment it needs is archived in the same ' +
    'store, and write a manifest last (start and end LSN, timeline, when it is consistent, sha256 of each file). ' +
    'Needs archive_mode on and the archive command archiving into the store (docs/pitr.md), and a user with the ' +
    'REPLICATION attribute. Heartbeats its progress and stops pg_basebackup when cancelled; a retry that finds its ' +
    'manifest answers changed: false.',
  input: baseInput,
  output: baseOutput,
  mutating: true,
  heartbeatTimeoutMs: 60_000,
  nonRetryable: [...NON_RETRYABLE, FAILURE.IntegrityFailed],
  describe: (i) => `take a base backup of ${i.database} into store ${i.store}`,
  example: { needs: 'pitr', with: { database: 'orders', store: 'backups' } },
};

const targetTime = z
  .union([
    z.literal('latest'),
    z.iso.datetime({ offset: true, error: 'an ISO-8601 time with its offset (2026-12-01T06:30:00Z), or latest' }),
  ])
  .describe(
    'Recover to this instant (transactions committed after it are absent), or `latest`: the end of the archive.',
  );

const restoreInput = z
  .object({
    database: database.describe('The configured database whose base backups and WAL are restored.'),
    store,
    prefix,
    targetTime,
    backup: z
      .union([backupId, z.literal('auto')])
      .default('auto')
      .describe('Which base backup: its id, or `auto`, the newest consistent before the target.'),
    name: scratchName
      .optional()
      .describe('The scratch cluster’s name (default: derived from the run and step, so a retry finds it).'),
    port: z
      .number()
      .int()
      .min(1024)
      .max(65535)
      .optional()
      .describe(
        'A fixed port, the one the application’s configuration names (a DR failover restoring onto the worker’s ' +
          'host); refused when something listens there. Default: a free port.',
      ),
    listen: z
      .ipv4()
      .default('127.0.0.1')
      .describe(
        'The address it listens on: loopback for a scratch copy; the host’s address for a DR site that the ' +
          'application reaches (TCP always asks for the source’s passwords).',
      ),
  })
  .strict();
const restoreOutput = z.object({
  name: z.string(),
  host: z.string().describe('Where it listens (the `listen` address), on the worker’s host.'),
  port: z.number(),
  socketDir: z.string(),
  dataDir: z.string(),
  superuser: z.string().describe('The backup’s bootstrap superuser; trusted on the private socket only.'),
  dbname: z.string().describe('The source database’s name: what pg:scratch:query reads by default.'),
  backupId: z.string(),
  baseConsistentAt: z.string(),
  targetTime: z.string(),
  reachedTime: z.string().nullable().describe('The last transaction recovery applied (its commit time).'),
  reachedLsn: z.string(),
  timeline: z.number().describe('The new timeline the copy promoted onto.'),
  endedAtArchiveEnd: z
    .boolean()
    .describe('Recovered to the end of the archive: `latest`, or no commit after the target was archived.'),
  segmentsRestored: z.number(),
  changed: z.boolean().describe('false when a retry found this scratch cluster already recovered.'),
  durationMs: z.number(),
  downloadMs: z.number(),
  recoveryMs: z.number(),
});
export type PgPitrRestoreInput = z.infer<typeof restoreInput>;
export type PgPitrRestoreResult = z.infer<typeof restoreOutput>;

export const pgPitrRestore: CatalogEntry<typeof restoreInput, typeof restoreOutput, 'pg:pitr:restore'> = {
  id: 'pg:pitr:restore',
  description:
    'Restore a base backup and the archived WAL to a target time into a new scratch cluster on the worker ' +
    '(`postgres.workDir`/pitr/<name>), started on a loopback port (or a fixed `port` and `listen` address: a DR ' +
    'failover onto the worker’s host): WAL is fetched from the store with its sha256 ' +
    'checked (a segment or base backup that does not check fails IntegrityFailed and recovery is aborted, never ' +
    'ended early), and the action waits until PostgreSQL has promoted, answering the time, LSN and timeline ' +
    'reached. A target older than the base backup is refused. Nothing in production changes; a retry finds its ' +
    'cluster (changed: false) or wipes a half-made one and starts again. Remove it with pg:scratch:remove.',
  input: restoreInput,
  output: restoreOutput,
  mutating: true,
  heartbeatTimeoutMs: 60_000,
  nonRetryable: [...NON_RETRYABLE, FAILURE.IntegrityFailed],
  describe: (i) =>
    `restore ${i.database} to ${i.targetTime} into scratch cluster ${i.name ?? '(named by the step)'} on the worker`,
  example: {
    needs: 'pitr',
    with: { database: 'orders', store: 'backups', targetTime: '2026-12-01T06:30:00Z', name: 'orders-pitr' },
  },
};

const queryInput = pgQuerySmoke.input
  .omit({ database: true })
  .extend({
    scratch: scratchName.describe('The scratch cluster pg:pitr:restore made, by name.'),
    dbname: pgQuerySmoke.input.shape.dbname.describe('A database in the copy (default: the source database’s).'),
  })
  .strict();
export type PgScratchQueryInput = z.infer<typeof queryInput>;

export const pgScratchQuery: CatalogEntry<typeof queryInput, typeof pgQuerySmoke.output, 'pg:scratch:query'> = {
  id: 'pg:scratch:query',
  description:
    'pg:query:smoke on a scratch cluster by its name: a declared query in a READ ONLY transaction with a statement ' +
    'timeout, over the cluster’s private socket as its superuser; with expectRows, a count outside min..max fails ' +
    '(CheckFailed). NotFound when no recovered scratch cluster has that name.',
  input: queryInput,
  output: pgQuerySmoke.output,
  mutating: false,
  nonRetryable: NON_RETRYABLE,
  describe: (i) => `run a smoke query on scratch cluster ${i.scratch}`,
  example: {
    needs: 'pitr',
    with: { scratch: 'orders-pitr', sql: 'SELECT count(*) AS n FROM orders', expectRows: { min: 1 } },
  },
};

const removeInput = z.object({ name: scratchName }).strict();
const removeOutput = z.object({ name: z.string(), changed: z.boolean().describe('false when it was already gone.') });
export type PgScratchRemoveInput = z.infer<typeof removeInput>;
export type PgScratchRemoveResult = z.infer<typeof removeOutput>;

export const pgScratchRemove: CatalogEntry<typeof removeInput, typeof removeOutput, 'pg:scratch:remove'> = {
  id: 'pg:scratch:remove',
  description:
    'Stop a scratch cluster made by pg:pitr:restore and delete its folder. Only scratch clusters: a folder without ' +
    'the restore’s state file is refused (InvalidInput). Already gone: changed: false.',
  input: removeInput,
  output: removeOutput,
  mutating: true,
  nonRetryable: NON_RETRYABLE,
  describe: (i) => `stop and delete scratch cluster ${i.name}`,
  example: { needs: 'pitr', with: { name: 'orders-pitr' } },
};

export const PITR_ENTRIES = [pgBasebackupCreate, pgPitrRestore, pgScratchQuery, pgScratchRemove] as const;
