/**
 * `redis:backup:restore`: never from a file whose bytes do not match (the store's getFile checks
 * sha256 and size, this checks them against the manifest) nor from one whose content does not
 * match its manifest (checked in a scratch redis-server before the target is touched); reads the
 * target first (a target already holding the backup is as asked), and ends by digesting it.
 */
import type { RedisBackupRestoreInput, RedisBackupRestoreResult } from '../../catalog/redis/backup';
import { FAILURE } from '../../shared/failures';
import { permanent } from '../errors';
import { progressOf, type BackupDeps } from './backup';
import { withServer } from './client';
import { copyDatabase, digestDatabase, type DbDigest } from './digest';
import { readManifest } from './manifest';
import { rdbPath, scratchDatabases, withScratch, withTempDir } from './rdb';

/** A database the backup has no key in (INFO keyspace lists only databases with keys). */
const EMPTY: DbDigest = { keys: 0, volatileKeys: 0, digest: '', persistentDigest: '' };

export function createRestoreAction(deps: BackupDeps) {
  return async (i: RedisBackupRestoreInput): Promise<RedisBackupRestoreResult> => {
    const started = performance.now();
    const ms = (): number => Math.round(performance.now() - started);
    const { beat, during, signal } = progressOf(deps);
    const store = await deps.openStore(i.store);
    const m = await readManifest(store, i.manifest);
    const fromDb = i.fromDb ?? m.db;
    const want = m.databases.find((d) => d.db === fromDb) ?? EMPTY;

    return withServer(deps.connect, i.server, async (target, endpoint) =>
      withTempDir(deps.tmpDir, async (dir) => {
        // IntegrityFailed from the store when the bytes are not those it recorded; nothing is kept.
        const got = await store.getFile(m.rdb.key, rdbPath(dir), {
          onProgress: (bytes) => beat('download', { bytes }),
          ...(signal ? { signal } : {}),
        });
        if (got.sha256 !== m.rdb.sha256 || got.size !== m.rdb.size)
          throw permanent(
            `${m.rdb.key} is not the file manifest ${i.manifest} names (sha256 ${got.sha256}, ${got.size} bytes; ` +
              `the manifest says ${m.rdb.sha256}, ${m.rdb.size} bytes): nothing restored`,
            FAILURE.IntegrityFailed,
          );
        const scratch = await during(
          'load',
          deps.rdb.startScratch(dir, { databases: scratchDatabases(m.databases), ...(signal ? { signal } : {}) }),
        );
        return withScratch(scratch, async (s) => {
          const source = await s.open(fromDb);
          try {
            const loaded = await digestDatabase(source, { onBatch: (keys) => beat('check', { keys }) });
            if (!matches(loaded, want))
              throw permanent(
                `db ${fromDb} of ${m.rdb.key} does not hold what manifest ${i.manifest} says ` +
                  `(${loaded.keys} keys, persistent digest ${loaded.persistentDigest}; manifest: ${want.keys} keys, ` +
                  `${want.persistentDigest || 'empty'}` +
                  `${s.version !== m.digest.redisVersion ? `; digested by Redis ${m.digest.redisVersion}, this scratch server is ${s.version}` : ''}): nothing restored`,
                FAILURE.IntegrityFailed,
              );
            const removed = await target.dbsize();
            if (removed === 0 && loaded.keys === 0)
              return {
                changed: false,
                reason: `db ${fromDb} of the backup is empty, and so is database ${endpoint.db}`,
                db: endpoint.db,
                keys: 0,
                removed: 0,
                expiredSinceBackup: want.keys,
                digest: loaded.digest,
                persistentDigest: loaded.persistentDigest,
                durationMs: ms(),
              };
            if (removed > 0) {
              // Read state first: a target already holding the backup (a retry after the copy) is as asked.
              const current =
                removed === loaded.keys
                  ? await digestDatabase(target, { onBatch: (keys) => beat('compare', { keys }) })
                  : undefined;
              if (current?.digest === loaded.digest)
                return {
                  changed: false,
                  reason: `database ${endpoint.db} already holds the backup`,
                  db: endpoint.db,
                  keys: current.keys,
                  removed: 0,
                  expiredSinceBackup: want.keys - current.keys,
                  digest: current.digest,
                  persistentDigest: current.persistentDigest,
                  durationMs: ms(),
                };
              if (!i.replace)
                throw permanent(
                  `database ${endpoint.db} of Redis server ${i.server} holds ${removed} keys: restore refuses a ` +
                    'non-empty database unless replace: true (which makes it exactly the backup)',
                  FAILURE.InvalidInput,
                );
              await target.flushdb();
            }
            await copyDatabase(source, target, { replace: i.replace, onBatch: (keys) => beat('restore', { keys }) });
            const after = await digestDatabase(target, { onBatch: (keys) => beat('verify', { keys }) });
            if (!matches(after, want))
              throw permanent(
                `database ${endpoint.db} of Redis server ${i.server} does not match backup ${i.manifest} after the ` +
                  `restore (${after.keys} keys, persistent digest ${after.persistentDigest}; backup: ${want.keys} keys, ` +
                  `${want.persistentDigest || 'empty'}): was it written meanwhile?`,
                FAILURE.IntegrityFailed,
              );
            return {
              changed: true,
              db: endpoint.db,
              keys: after.keys,
              removed,
              expiredSinceBackup: want.keys - after.keys,
              digest: after.digest,
              persistentDigest: after.persistentDigest,
              durationMs: ms(),
            };
          } finally {
            await source.close();
          }
        });
      }),
    );
  };
}

/**
 * Whether a database holds a backup's database: the keys without a TTL exactly (same count, same
 * digest), and no more keys with one than the backup had (some may have expired since).
 */
function matches(d: DbDigest, want: DbDigest): boolean {
  if (want.keys === 0) return d.keys === 0;
  return (
    d.keys - d.volatileKeys === want.keys - want.volatileKeys &&
    d.persistentDigest === want.persistentDigest &&
    d.volatileKeys <= want.volatileKeys
  );
}
