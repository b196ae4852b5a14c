/**
 * `redis:backup:create` and `redis:backup:restore`: a server's RDB snapshot copied out with
 * `redis-cli --rdb` into a backup store with a manifest (key counts and a dataset digest), and
 * one database of it copied back into a configured server, checked against that manifest.
 */
import { z } from 'zod';
import { FAILURE } from '../../shared/failures';
import type { CatalogEntry } from '../types';
import { NON_RETRYABLE, server } from './common';

const storeName = z
  .string()
  .regex(/^[a-z][a-z0-9-]*$/, 'a backup store name from configuration (backupStores.<name>)')
  .describe('The backup store by its configuration name (`backupStores.<name>`).');
const storeKey = z
  .string()
  .min(1)
  .max(900)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._=+/-]*$/, 'a store key: letters, digits, . _ = + - and /');

const BACKUP_FAILURES = [...NON_RETRYABLE, FAILURE.IntegrityFailed];

const createInput = z
  .object({
    server,
    store: storeName,
    prefix: storeKey
      .refine((p) => p.endsWith('/'), 'a prefix ends with /')
      .optional()
      .describe('Where in the store the backup goes. Default `redis/<server>/`.'),
  })
  .strict();

const digestOf = z.object({
  digest: z
    .string()
    .describe('The dataset digest (docs/redis.md): every key, its type, whether it expires, its value.'),
  persistentDigest: z.string().describe('The same over the keys without a TTL only.'),
});

const createOutput = z.object({
  changed: z.boolean(),
  reason: z.string().optional().describe('Why nothing changed: this step already made this backup.'),
  rdbKey: z.string(),
  manifestKey: z.string(),
  sha256: z.string().describe('Of the RDB file.'),
  size: z.number().describe('Bytes of the RDB file.'),
  keys: z.number().describe('Keys in every database of the snapshot.'),
  digest: z.string().describe('The digest of the whole snapshot (every database).'),
  durationMs: z.number(),
});
export type RedisBackupCreateInput = z.infer<typeof createInput>;
export type RedisBackupCreateResult = z.infer<typeof createOutput>;

export const redisBackupCreate: CatalogEntry<typeof createInput, typeof createOutput, 'redis:backup:create'> = {
  id: 'redis:backup:create',
  description:
    'Back a Redis server up: its RDB snapshot copied out with `redis-cli --rdb` (as a replica would get it; nothing ' +
    'is written on the server), its sha256 and size, loaded into a scratch redis-server on loopback to count keys and ' +
    'compute the dataset digest, then uploaded to a backup store with a manifest.json next to it. A retry of the ' +
    'same step finds the backup it made and answers `changed: false`.',
  input: createInput,
  output: createOutput,
  mutating: true,
  nonRetryable: BACKUP_FAILURES,
  describe: (i) =>
    `copy the RDB snapshot of Redis server ${i.server} to backup store ${i.store} under ${i.prefix ?? `redis/${i.server}/`}`,
  example: { needs: 'redis', with: { server: 'cache', store: 'backups' } },
};

const restoreInput = z
  .object({
    server,
    store: storeName,
    manifest: storeKey.describe('The manifest key a `redis:backup:create` step answered (`manifestKey`).'),
    fromDb: z
      .number()
      .int()
      .min(0)
      .max(10_000)
      .optional()
      .describe('Which database of the backup to restore. Default: the one the backed-up server is configured with.'),
    replace: z
      .boolean()
      .default(false)
      .describe(
        'Make the target database exactly the backup: FLUSHDB first. Without it a non-empty target is refused.',
      ),
  })
  .strict();

const restoreOutput = z.object({
  changed: z.boolean(),
  reason: z.string().optional().describe('Why nothing changed: the target already holds the backup.'),
  db: z.number().describe('The target database.'),
  keys: z.number().describe('Keys in the target database afterwards.'),
  removed: z.number().describe('Keys the target held before (removed with replace).'),
  expiredSinceBackup: z.number().describe('Keys with a TTL in the backup that expired before they were restored.'),
  ...digestOf.shape,
  durationMs: z.number(),
});
export type RedisBackupRestoreInput = z.infer<typeof restoreInput>;
export type RedisBackupRestoreResult = z.infer<typeof restoreOutput>;

export const redisBackupRestore: CatalogEntry<typeof restoreInput, typeof restoreOutput, 'redis:backup:restore'> = {
  id: 'redis:backup:restore',
  description:
    'Restore one database of a Redis backup into the configured database of a server: the RDB fetched from the store ' +
    'and checked (sha256 and size; IntegrityFailed and nothing restored when it does not match), loaded into a scratch ' +
    'redis-server, checked against its manifest, then each key copied with DUMP and RESTORE keeping its TTL. A ' +
    'non-empty target is refused unless `replace: true`, which flushes it first. Afterwards the target’s digest must ' +
    'match the manifest’s (IntegrityFailed otherwise). A target that already holds the backup is `changed: false`.',
  input: restoreInput,
  output: restoreOutput,
  mutating: true,
  requiresApproval: (input) => input.replace !== false && input.replace !== undefined,
  nonRetryable: BACKUP_FAILURES,
  describe: (i) =>
    `${i.replace ? 'replace the configured database of' : 'restore into the empty configured database of'} Redis ` +
    `server ${i.server} with the backup ${i.manifest} from store ${i.store}`,
  example: {
    needs: 'redis',
    with: { server: 'cache-restore', store: 'backups', manifest: 'redis/cache/example/manifest.json', replace: true },
  },
};
