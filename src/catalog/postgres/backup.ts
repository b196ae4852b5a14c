/** `pg:backup:create`, `pg:backup:list`, `pg:backup:restore`: logical backups with a manifest, proved on restore. */
import { z } from 'zod';
import { FAILURE } from '../../shared/failures';
import type { CatalogEntry } from '../types';
import { backupIdText, database, keyPrefix, NON_RETRYABLE, storeName } from './common';

const store = storeName.describe(
  'The backup store by its configuration name (`backupStores.<name>`): a local directory or an S3 bucket.',
);
const prefix = keyPrefix.optional().describe('Where in the store (default `postgres/<database>/`).');
const backupId = backupIdText.describe('The backup’s id: its folder under the prefix.');
export const pgIdentifier = z
  .string()
  .regex(/^[a-z_][a-z0-9_]{0,47}$/, 'a plain PostgreSQL name: lower case letters, digits, _ (at most 48)');

const backupSummary = z.object({
  id: z.string(),
  database: z.string(),
  manifestKey: z.string(),
  dumpKey: z.string(),
  size: z.number(),
  sha256: z.string(),
  serverVersion: z.string(),
  snapshotAt: z.string().describe('The data is as of this instant.'),
  walLsn: z.string().nullable(),
  tables: z.number(),
  rows: z.number(),
});
export type PgBackupSummary = z.infer<typeof backupSummary>;

const createInput = z
  .object({
    database,
    store,
    prefix,
    id: backupId
      .optional()
      .describe('The backup’s id (default: derived from the run and step, so a retry finds its own backup).'),
    compress: z.number().int().min(0).max(9).optional().describe('pg_dump’s compression level (default its own).'),
    checksums: z
      .boolean()
      .default(true)
      .describe(
        'Sum every row of every table into the manifest (default), so a restore is proved equal row for row; ' +
          'false records row counts only, for databases too large to read twice (a restore then checks the counts).',
      ),
  })
  .strict();
const createOutput = backupSummary.extend({
  changed: z.boolean().describe('false when a retry found this backup already complete.'),
  durationMs: z.number(),
  dumpMs: z.number(),
  uploadMs: z.number(),
});
export type PgBackupCreateInput = z.infer<typeof createInput>;
export type PgBackupCreateResult = z.infer<typeof createOutput>;

export const pgBackupCreate: CatalogEntry<typeof createInput, typeof createOutput, 'pg:backup:create'> = {
  id: 'pg:backup:create',
  description:
    'Back a database up with pg_dump (custom format) into a backup store, with a manifest written last: sha256 and ' +
    'size of the dump, server version, the snapshot’s time and WAL position, and every table’s row count and ' +
    'checksum taken in the same snapshot pg_dump dumps (so a restore can be proved equal). Heartbeats its progress ' +
    '(bytes dumped, tables summed) and stops pg_dump when cancelled. A retry that finds its manifest answers ' +
    'changed: false.',
  input: createInput,
  output: createOutput,
  mutating: true,
  heartbeatTimeoutMs: 60_000,
  nonRetryable: [...NON_RETRYABLE, FAILURE.IntegrityFailed],
  describe: (i) => `back up database ${i.database} into store ${i.store}`,
  example: { needs: 'postgres', with: { database: 'orders', store: 'backups' } },
};

const listInput = z
  .object({
    database,
    store,
    prefix,
    limit: z.number().int().min(1).max(1000).default(100).describe('At most this many, newest first.'),
  })
  .strict();
const listOutput = z.object({
  backups: z.array(backupSummary).describe('Complete backups (with a manifest), newest snapshot first.'),
  incomplete: z
    .array(z.object({ key: z.string(), size: z.number(), modified: z.string() }))
    .describe('Dumps without a manifest: a backup that never finished (retention removes them).'),
  unreadable: z
    .array(z.string())
    .describe('Manifests that do not check (damaged or tampered with): never restored, never pruned; look at them.'),
  newestAgeSeconds: z.number().nullable().describe('Age of the newest complete backup: the RPO a restore gives now.'),
});
export type PgBackupListInput = z.infer<typeof listInput>;
export type PgBackupListResult = z.infer<typeof listOutput>;

export const pgBackupList: CatalogEntry<typeof listInput, typeof listOutput, 'pg:backup:list'> = {
  id: 'pg:backup:list',
  description:
    'List a database’s backups in a store, newest first, from their manifests (each read and checked), the dumps ' +
    'that never got one, and the age of the newest complete backup.',
  input: listInput,
  output: listOutput,
  mutating: false,
  nonRetryable: [...NON_RETRYABLE, FAILURE.IntegrityFailed],
  describe: (i) => `list the backups of ${i.database} in store ${i.store}`,
  example: { needs: 'postgres', with: { database: 'orders', store: 'backups' } },
};

const restoreInput = z
  .object({
    database: database.describe(
      'The configured database whose server receives the restore (its user creates the database).',
    ),
    store,
    prefix,
    backup: z
      .union([backupId, z.literal('newest')])
      .default('newest')
      .describe('Which backup: its id, or the newest complete one.'),
    from: database
      .optional()
      .describe('The configured name the backup was taken of, when not `database` (a restore onto another server).'),
    into: pgIdentifier.describe('The database to create on the server, holding the restored data.'),
    replace: z
      .boolean()
      .default(false)
      .describe('Replace `into` when it exists. Cannot be undone: a step with it must be guarded by an approval.'),
    jobs: z.number().int().min(1).max(16).default(2).describe('pg_restore -j: tables restored in parallel.'),
    owners: z
      .boolean()
      .default(false)
      .describe('Keep the dump’s owners and grants (the roles must exist); by default the restoring user owns it all.'),
    scratch: z
      .boolean()
      .default(false)
      .describe('A scratch copy (restore verification): pg:database:drop removes it without an approval.'),
    maintenanceDatabase: pgIdentifier
      .default('postgres')
      .describe('Where to connect to create, rename and drop databases.'),
  })
  .strict();
const restoreOutput = z.object({
  into: z.string(),
  backup: backupSummary,
  changed: z.boolean().describe('false when `into` already held this backup, restored and verified.'),
  replaced: z.boolean(),
  verified: z
    .literal(true)
    .describe(
      'Every table’s rows (and checksum, where the backup took them) equal the manifest’s, else IntegrityFailed.',
    ),
  tables: z.number(),
  rows: z.number(),
  bytes: z.number(),
  durationMs: z.number(),
  downloadMs: z.number(),
  restoreMs: z.number(),
  verifyMs: z.number(),
  backupAgeSeconds: z.number().describe('How old the data is: now minus the backup’s snapshot.'),
});
export type PgBackupRestoreInput = z.infer<typeof restoreInput>;
export type PgBackupRestoreResult = z.infer<typeof restoreOutput>;

export const pgBackupRestore: CatalogEntry<typeof restoreInput, typeof restoreOutput, 'pg:backup:restore'> = {
  id: 'pg:backup:restore',
  description:
    'Restore a backup into a named database: the dump is fetched and its sha256 checked first (a corrupted or ' +
    'truncated file fails IntegrityFailed before anything is created), restored with pg_restore -j into a staging ' +
    'database, every table’s rows and checksum compared with the manifest, and only then renamed to `into`. So ' +
    '`into` is either absent or complete and verified, even when the worker dies in the middle (the retry drops ' +
    'the staging copy and starts again). An existing `into` is refused (InvalidInput) unless `replace: true`, which ' +
    'needs an approval guarding the step.',
  input: restoreInput,
  output: restoreOutput,
  mutating: true,
  requiresApproval: (i) => i.replace !== undefined && i.replace !== false,
  heartbeatTimeoutMs: 60_000,
  nonRetryable: [...NON_RETRYABLE, FAILURE.IntegrityFailed],
  describe: (i) =>
    `restore ${i.backup} backup of ${i.from ?? i.database} into database ${i.into}${i.replace ? ', replacing it' : ''}`,
  example: {
    needs: 'postgres',
    with: { database: 'orders', store: 'backups', backup: 'newest', into: 'orders_verify', scratch: true },
  },
};

const pruneInput = z
  .object({
    database,
    store,
    prefix,
    keepAllDays: z
      .number()
      .min(0)
      .max(3650)
      .default(7)
      .describe('Keep every backup younger than this many days (the seeds: 6-hourly backups kept 7 days).'),
    keepDailyDays: z
      .number()
      .min(0)
      .max(3650)
      .default(30)
      .describe(
        'Beyond that, keep the newest backup of each UTC day younger than this (the seeds: daily kept 30 days).',
      ),
    keepLast: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .default(1)
      .describe('Always keep this many newest backups, however old.'),
    incompleteAfterHours: z
      .number()
      .min(1)
      .max(720)
      .default(24)
      .describe('Remove a dump that never got its manifest once it is this old (an interrupted backup).'),
  })
  .strict()
  .refine((i) => i.keepDailyDays >= i.keepAllDays, {
    message: 'keepDailyDays below keepAllDays',
    path: ['keepDailyDays'],
  });
const pruned = z.object({
  id: z.string(),
  snapshotAt: z.string(),
  bytes: z.number(),
  reason: z.string().describe('Why it went: older than keepDailyDays, or not the newest of its day.'),
});
const pruneOutput = z.object({
  changed: z.boolean(),
  kept: z.array(z.object({ id: z.string(), snapshotAt: z.string(), why: z.string() })),
  deleted: z.array(pruned),
  incompleteDeleted: z.array(z.object({ key: z.string(), bytes: z.number(), modified: z.string() })),
  bytesFreed: z.number(),
});
export type PgBackupPruneInput = z.infer<typeof pruneInput>;
export type PgBackupPruneResult = z.infer<typeof pruneOutput>;

export const pgBackupPrune: CatalogEntry<typeof pruneInput, typeof pruneOutput, 'pg:backup:prune'> = {
  id: 'pg:backup:prune',
  description:
    'Apply the retention policy to a database’s backups in a store and say what went: every backup younger than ' +
    'keepAllDays stays, then the newest of each UTC day younger than keepDailyDays, and always the keepLast newest ' +
    '(the newest good backup is never deleted); dumps that never got a manifest go after incompleteAfterHours. ' +
    'A backup is deleted manifest first, so a half-deleted one is never listed as complete.',
  input: pruneInput,
  output: pruneOutput,
  mutating: true,
  nonRetryable: [...NON_RETRYABLE, FAILURE.IntegrityFailed],
  describe: (i) => `delete backups of ${i.database} in ${i.store} past the retention policy`,
  example: { needs: 'postgres', with: { database: 'orders', store: 'backups', keepAllDays: 7, keepDailyDays: 30 } },
};
