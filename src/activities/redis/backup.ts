/**
 * `redis:backup:create` (the restore is restore.ts). A backup is the server's RDB as `redis-cli
 * --rdb` copies it (rdb.ts), digested in a scratch redis-server (digest.ts), stored as
 * `<prefix><time>-<step tag>/dump.rdb` with `manifest.json` beside it, the manifest written last:
 * a backup is complete when its manifest exists. The step tag comes from the idempotency key, so
 * a retry of the same step finds the backup an earlier attempt completed.
 */
import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import type { RedisBackupCreateInput, RedisBackupCreateResult } from '../../catalog/redis/backup';
import type { StepContext } from '../../shared/activity-types';
import { FAILURE } from '../../shared/failures';
import { permanent } from '../errors';
import { contextProgress, throttled, type ActivityProgress } from '../progress';
import { hashFile } from '../storage/hash';
import { isSafeKey, type OpenStore } from '../storage/store';
import { withServer, type RedisConnect } from './client';
import { backupDigest, DIGEST_ALGORITHM, digestDatabase, type DbDigest } from './digest';
import { keyspace, parseInfo, text } from './info';
import { MANIFEST_FORMAT, readManifest, type RedisBackupManifest } from './manifest';
import { rdbPath, scratchDatabases, withScratch, withTempDir, type RdbTools, type Scratch } from './rdb';

export interface BackupDeps {
  connect: RedisConnect;
  openStore: OpenStore;
  rdb: RdbTools;
  /** The running activity's heartbeat and cancellation. @default contextProgress */
  progress?: () => ActivityProgress;
  /** @default Date.now */
  now?: () => number;
  /** Where temp dirs go. @default os.tmpdir() */
  tmpDir?: string;
}

export interface Progress {
  /** A heartbeat with the phase and the bytes or keys so far (throttled: a new phase goes at once). */
  beat: (phase: string, counts?: { bytes?: number; keys?: number }) => void;
  /** Heartbeats every second while `work` runs (a scratch server loading a large RDB says nothing). */
  during: <T>(phase: string, work: Promise<T>) => Promise<T>;
  signal: AbortSignal | undefined;
}

export function progressOf(deps: Pick<BackupDeps, 'progress'>): Progress {
  const p = (deps.progress ?? contextProgress)();
  const throttle = throttled(p);
  const beat: Progress['beat'] = (phase, counts = {}) => throttle({ phase, ...counts });
  return {
    beat,
    during: async (phase, work) => {
      beat(phase);
      const timer = setInterval(() => beat(phase), 1000);
      try {
        return await work;
      } finally {
        clearInterval(timer);
      }
    },
    signal: p.signal,
  };
}

/**
 * Every database the scratch server loaded, digested. Its keys without a TTL are counted against
 * INFO keyspace afterwards: SCAN may answer a key twice when the table is resized meanwhile (keys
 * with a TTL expiring in the scratch server can shrink it), which would count it twice.
 */
async function digestScratch(s: Scratch, beat: Progress['beat']) {
  const c0 = await s.open(0);
  const dbs = keyspace(parseInfo(await c0.info('keyspace').finally(() => c0.close())));
  const out: Array<{ db: number } & DbDigest> = [];
  for (const { db } of dbs) {
    const c = await s.open(db);
    try {
      const d = await digestDatabase(c, { onBatch: (keys) => beat('digest', { keys }) });
      const now = keyspace(parseInfo(await c.info('keyspace'))).find((k) => k.db === db);
      const persistent = now ? now.keys - now.expires : 0;
      if (persistent !== d.keys - d.volatileKeys)
        throw ApplicationFailure.create({
          message: `digest of db ${db} read ${d.keys - d.volatileKeys} keys without a TTL of ${persistent}: read again`,
          type: 'Error',
        });
      out.push({ db, ...d });
    } finally {
      await c.close();
    }
  }
  return out;
}

export function createBackupAction(deps: BackupDeps) {
  const now = deps.now ?? Date.now;
  return async (i: RedisBackupCreateInput, step: StepContext): Promise<RedisBackupCreateResult> => {
    const started = performance.now();
    const { beat, during, signal } = progressOf(deps);
    const prefix = i.prefix ?? `redis/${i.server}/`;
    if (!isSafeKey(prefix, { prefix: true }))
      throw permanent(`prefix ${prefix} is not a safe key`, FAILURE.InvalidInput);
    const store = await deps.openStore(i.store);
    const tag = createHash('sha256').update(step.idempotencyKey).digest('hex').slice(0, 12);
    const ms = (): number => Math.round(performance.now() - started);

    // Read state first: the backup an earlier attempt of this step completed (its manifest exists).
    const earlier = (await store.list(prefix)).find((o) => o.key.endsWith(`-${tag}/manifest.json`));
    if (earlier) {
      const m = await readManifest(store, earlier.key);
      return {
        changed: false,
        reason: `this step already made backup ${earlier.key}`,
        rdbKey: m.rdb.key,
        manifestKey: earlier.key,
        sha256: m.rdb.sha256,
        size: m.rdb.size,
        keys: m.keys,
        digest: m.digest.value,
        durationMs: ms(),
      };
    }

    return withServer(deps.connect, i.server, async (c, endpoint) => {
      const info = parseInfo(await c.info());
      return withTempDir(deps.tmpDir, async (dir) => {
        const file = rdbPath(dir);
        beat('download');
        await deps.rdb.download(endpoint, file, {
          label: `Redis server ${i.server}`,
          onProgress: (bytes) => beat('download', { bytes }),
          ...(signal ? { signal } : {}),
        });
        const { sha256, size } = await hashFile(file, {
          onProgress: () => beat('hash'),
          ...(signal ? { signal } : {}),
        });
        const scratch = await during(
          'load',
          deps.rdb.startScratch(dir, { databases: scratchDatabases(keyspace(info)), ...(signal ? { signal } : {}) }),
        );
        const { version, dbs } = await withScratch(scratch, async (s) => ({
          version: s.version,
          dbs: await digestScratch(s, beat),
        }));
        const base = `${prefix}${new Date(now()).toISOString().replace(/:/g, '-')}-${tag}/`;
        const rdbKey = `${base}dump.rdb`;
        const manifestKey = `${base}manifest.json`;
        beat('upload');
        await store.putFile(rdbKey, file, {
          onProgress: (bytes) => beat('upload', { bytes }),
          ...(signal ? { signal } : {}),
        });
        const keys = dbs.reduce((n, d) => n + d.keys, 0);
        const manifest: RedisBackupManifest = {
          format: MANIFEST_FORMAT,
          server: i.server,
          createdAt: new Date(now()).toISOString(),
          db: endpoint.db,
          source: { version: text(info, 'redis_version') },
          rdb: { key: rdbKey, sha256, size },
          digest: { algorithm: DIGEST_ALGORITHM, redisVersion: version, value: backupDigest(dbs) },
          keys,
          databases: dbs,
        };
        await store.putBytes(manifestKey, Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`));
        return {
          changed: true,
          rdbKey,
          manifestKey,
          sha256,
          size,
          keys,
          digest: manifest.digest.value,
          durationMs: ms(),
        };
      });
    });
  };
}
