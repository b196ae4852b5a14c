/**
 * The redis:* actions against real throwaway redis-servers (test/support/redis.ts), through the
 * activity envelope: each documented example runs; health on a primary shows its replica and on
 * the replica the link; memory finds the biggest key; scan and expire find and repair keys with
 * no TTL (a second run changes nothing); a backup of several databases and types restores into
 * another server with the same digest, and a retry changes nothing; a corrupted RDB in the store
 * is refused (IntegrityFailed) with the target untouched; a non-empty target is refused without
 * replace; flush empties one database only; a wrong password is Forbidden.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { MockActivityEnvironment } from '@temporalio/testing';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { REDIS_ENTRIES } from '../../src/catalog/redis';
import type { RedisBackupCreateResult, RedisBackupRestoreResult } from '../../src/catalog/redis/backup';
import type { RedisHealthResult } from '../../src/catalog/redis/health';
import type { RedisKeyExpireResult, RedisKeyScanResult } from '../../src/catalog/redis/key';
import type { RedisMemoryResult } from '../../src/catalog/redis/memory';
import type { RedisDbFlushResult } from '../../src/catalog/redis/db';
import { createRedisActivities } from '../../src/activities/redis';
import { createRedisConnect } from '../../src/activities/redis/client';
import type { RedisBackupManifest } from '../../src/activities/redis/manifest';
import { createSecretResolver } from '../../src/activities/secrets';
import type { RedisServerConfig } from '../../src/config/redis-schema';
import { freePort } from '../../src/platform/ports';
import { FAILURE } from '../../src/shared/failures';
import type { ActionInput, ActionResult } from '../../src/shared/activity-types';
import { memoryBackupStore, startRedis, type MemoryStore, type RedisServer } from '../support/redis';
import { waitFor } from '../support/wait';

const PASSWORD = 'correct-horse-battery-staple';
// No 5 s wait before a replica's (and redis-cli --rdb's) snapshot is sent.
const FAST_SYNC = ['--repl-diskless-sync-delay', '0'];

let primary: RedisServer;
let replica: RedisServer;
let target: RedisServer;
let secured: RedisServer;
let store: MemoryStore;
let activities: Record<string, (i: ActionInput) => Promise<ActionResult>>;
let tmpDir: string;
const clients: Redis[] = [];

const server = (port: number, extra: Partial<RedisServerConfig> = {}): RedisServerConfig => ({
  host: '127.0.0.1',
  port,
  db: 0,
  tls: false,
  ...extra,
});

beforeAll(async () => {
  primary = await startRedis({ args: FAST_SYNC });
  [replica, target, secured] = await Promise.all([
    startRedis({ replicaOf: primary.port, args: FAST_SYNC }),
    startRedis(),
    startRedis({ password: PASSWORD, args: FAST_SYNC }),
  ]);
  store = memoryBackupStore('backups');
  tmpDir = mkdtempSync(join(tmpdir(), 'redis-actions-'));
  const origin = `redis://127.0.0.1:${secured.port}`;
  const connect = createRedisConnect({
    servers: {
      cache: server(primary.port),
      'cache-replica': server(replica.port),
      'cache-restore': server(target.port, { db: 2 }),
      'restore-busy': server(target.port, { db: 3 }),
      'restore-corrupt': server(target.port, { db: 4 }),
      'cache-scratch': server(primary.port, { db: 5 }),
      secured: server(secured.port, { passwordSecret: 'secured-pw' }),
      'secured-wrong': server(secured.port, { passwordSecret: 'wrong-pw' }),
      'secured-none': server(secured.port),
      nobody: server(await freePort()),
    },
    secrets: createSecretResolver({
      env: { RUNBOOK_SECRET_SECURED_PW: PASSWORD, RUNBOOK_SECRET_WRONG_PW: 'not-the-password' },
      bindings: { 'secured-pw': [origin], 'wrong-pw': [origin] },
    }),
  });
  activities = createRedisActivities({
    connect,
    openStore: async (name) => {
      if (name !== 'backups') throw new Error(`no store ${name}`);
      return store;
    },
    metrics: { observeStep: () => undefined },
    tmpDir,
  }) as unknown as Record<string, (i: ActionInput) => Promise<ActionResult>>;
  await seed();
}, 120_000);

afterAll(async () => {
  clients.splice(0).forEach((c) => c.disconnect());
  await Promise.all([primary, replica, target, secured].map((s) => s?.dispose()));
  if (tmpDir) rmSync(tmpDir, { recursive: true, force: true });
});

function redis(s: RedisServer, db = 0, password?: string): Redis {
  const c = new Redis({ host: '127.0.0.1', port: s.port, db, ...(password ? { password } : {}), lazyConnect: false });
  c.on('error', () => undefined);
  clients.push(c);
  return c;
}

/** db 0: every type, keys with and without TTL, a binary key, a big one; db 1: a few more. */
async function seed(): Promise<void> {
  const c = redis(primary);
  const p = c.pipeline();
  for (let n = 0; n < 30; n++) p.set(`request:${n}`, `payload ${n}`);
  for (let n = 0; n < 5; n++) p.set(`request:ttl:${n}`, 'x', 'EX', 1000);
  for (let n = 0; n < 5; n++) p.set(`other:${n}`, 'y');
  p.hset('user:1', { name: 'Ada', role: 'admin' });
  p.rpush('queue:jobs', 'a', 'b', 'c');
  p.sadd('tags', 'x', 'y', 'z');
  p.zadd('scores', 1, 'one', 2, 'two');
  p.xadd('events', '*', 'kind', 'deploy');
  p.set(Buffer.from([0xff, 0x00, 0xfe, 0x41]), Buffer.from([1, 2, 3]));
  p.set('big:blob', 'z'.repeat(200_000));
  await p.exec();
  const c1 = redis(primary, 1);
  await c1.mset('one:a', '1', 'one:b', '2');
  await c1.set('one:ttl', '3', 'EX', 5000);
}

async function call<T>(id: string, input: Record<string, unknown>, stepId = 's'): Promise<T> {
  const fn = activities[id];
  if (!fn) throw new Error(`no activity ${id}`);
  const step = {
    workflowId: 'wf-redis',
    runId: 'r',
    stepId,
    runbookId: 'redis',
    idempotencyKey: `wf-redis/${stepId}`,
    dryRun: false,
  };
  const env = new MockActivityEnvironment();
  if (process.env.DEBUG_REDIS) env.on('heartbeat', (d: unknown) => console.log(id, JSON.stringify(d)));
  const r: ActionResult = await env.run(fn, { step, input: input as ActionInput['input'] });
  return r.output as T;
}

async function failureOf(id: string, input: Record<string, unknown>, stepId = 's'): Promise<ApplicationFailure> {
  try {
    await call(id, input, stepId);
  } catch (err) {
    if (err instanceof ApplicationFailure) return err;
    throw err;
  }
  throw new Error(`${id} did not fail`);
}

const kind = (f: ApplicationFailure) => ({ type: f.type, nonRetryable: f.nonRetryable });

test('health on the primary: role, version, persistence, memory and the replica with its lag', async () => {
  const h = await waitFor('the replica online', async () => {
    const r = await call<RedisHealthResult>('redis:health:read', { server: 'cache' });
    return r.replication.replicas.some((x) => x.state === 'online') ? r : undefined;
  });
  expect(h.role).toBe('primary');
  expect(h.version).toMatch(/^\d+\.\d+\.\d+$/);
  expect(h.mode).toBe('standalone');
  expect(h.replication.primary).toBeNull();
  expect(h.replication.replicas).toEqual([
    {
      address: `127.0.0.1:${replica.port}`,
      state: 'online',
      offset: expect.any(Number),
      lagBytes: expect.any(Number),
      lagSeconds: expect.any(Number),
    },
  ]);
  expect(h.replication.replicas[0]?.lagBytes).toBeGreaterThanOrEqual(0);
  expect(h.persistence).toMatchObject({ aofEnabled: false, aofLastWriteStatus: null, rdbLastBgsaveStatus: 'ok' });
  expect(h.persistence.rdbChangesSinceLastSave).toBeGreaterThan(0);
  expect(h.memory).toMatchObject({ maxBytes: null, ratio: null, policy: 'noeviction', evictedKeys: 0 });
  expect(h.memory.usedBytes).toBeGreaterThan(200_000);
  expect(h.connectedClients).toBeGreaterThanOrEqual(1);
});

test('health on the replica: its primary and the link', async () => {
  const h = await waitFor('the link up', async () => {
    const r = await call<RedisHealthResult>('redis:health:read', { server: 'cache-replica' });
    return r.replication.primary?.linkStatus === 'up' ? r : undefined;
  });
  expect(h.role).toBe('replica');
  expect(h.replication.replicas).toEqual([]);
  expect(h.replication.primary).toEqual({
    host: '127.0.0.1',
    port: primary.port,
    linkStatus: 'up',
    lastIoSecondsAgo: expect.any(Number),
    linkDownSinceSeconds: null,
    syncInProgress: false,
    offset: expect.any(Number),
  });
});

test('memory: figures from INFO, DBSIZE, the biggest sampled keys first, the sample bounded', async () => {
  const m = await call<RedisMemoryResult>('redis:memory:read', { server: 'cache', limit: 2 });
  expect(m.dbsize).toBe(47);
  expect(m.sampled).toBe(47);
  expect(m.sampleComplete).toBe(true);
  expect(m.biggestKeys).toHaveLength(2);
  expect(m.biggestKeys[0]).toEqual({ key: 'big:blob', type: 'string', bytes: expect.any(Number) });
  expect(m.biggestKeys[0]?.bytes).toBeGreaterThan(200_000);
  expect(m.usedBytes).toBeGreaterThan(0);
  expect(m.peakBytes).toBeGreaterThanOrEqual(m.usedBytes);
  expect(m.fragmentationRatio).toBeGreaterThan(0);
  const bounded = await call<RedisMemoryResult>('redis:memory:read', { server: 'cache', sampleKeys: 10, count: 10 });
  expect(bounded.sampled).toBe(10);
  expect(bounded.sampleComplete).toBe(false);
});

test('scan finds the keys without a TTL; expire gives them one, once; keys with a TTL keep theirs', async () => {
  const before = await call<RedisKeyScanResult>('redis:key:scan', { server: 'cache', match: 'request:*', limit: 3 });
  expect(before).toEqual({ scanned: 35, withoutTtl: 30, keys: expect.any(Array), complete: true });
  expect(before.keys).toHaveLength(3);
  expect(before.keys.every((k) => /^request:\d+$/.test(k))).toBe(true);

  const bounded = await call<RedisKeyScanResult>('redis:key:scan', {
    server: 'cache',
    match: 'request:*',
    maxKeys: 10,
    count: 10,
  });
  expect(bounded.scanned).toBe(10);
  expect(bounded.complete).toBe(false);

  const first = await call<RedisKeyExpireResult>('redis:key:expire', {
    server: 'cache',
    match: 'request:*',
    ttlSeconds: 86400,
    limit: 5,
  });
  expect(first).toEqual({ changed: true, expired: 30, sample: expect.any(Array), scanned: 35, complete: true });
  expect(first.sample).toHaveLength(5);
  const c = redis(primary);
  expect(await c.ttl('request:7')).toBeGreaterThan(86_000);
  expect(await c.ttl('request:ttl:1')).toBeLessThanOrEqual(1000);
  expect(await c.ttl('other:1')).toBe(-1);

  const second = await call<RedisKeyExpireResult>('redis:key:expire', {
    server: 'cache',
    match: 'request:*',
    ttlSeconds: 60,
  });
  expect(second).toEqual({
    changed: false,
    reason: 'no key matching request:* lacks a TTL (35 scanned)',
    expired: 0,
    sample: [],
    scanned: 35,
    complete: true,
  });
  expect(await c.ttl('request:7')).toBeGreaterThan(86_000);
  expect((await call<RedisKeyScanResult>('redis:key:scan', { server: 'cache', match: 'request:*' })).withoutTtl).toBe(
    0,
  );
});

let backup: RedisBackupCreateResult;

test('backup: the RDB and a manifest in the store, every database digested; a retry of the step changes nothing', async () => {
  backup = await call<RedisBackupCreateResult>('redis:backup:create', { server: 'cache', store: 'backups' }, 'backup');
  expect(backup).toEqual({
    changed: true,
    rdbKey: expect.stringMatching(/^redis\/cache\/\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}Z-[0-9a-f]{12}\/dump\.rdb$/),
    manifestKey: backup.rdbKey.replace(/dump\.rdb$/, 'manifest.json'),
    sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    size: expect.any(Number),
    keys: 50,
    digest: expect.stringMatching(/^[0-9a-f]{64}$/),
    durationMs: expect.any(Number),
  });
  if (process.env.DEBUG_REDIS) console.log('backup done');
  const rdb = await store.head(backup.rdbKey);
  expect(rdb).toMatchObject({ sha256: backup.sha256, size: backup.size });
  const manifest = JSON.parse(
    (await store.getBytes(backup.manifestKey, 1 << 20)).body.toString('utf8'),
  ) as RedisBackupManifest;
  expect(manifest).toMatchObject({
    format: 'durable-runbooks/redis-backup@1',
    server: 'cache',
    db: 0,
    keys: 50,
    rdb: { key: backup.rdbKey, sha256: backup.sha256, size: backup.size },
    digest: { algorithm: 'redis-dataset-digest-v1', value: backup.digest, redisVersion: expect.any(String) },
  });
  expect(manifest.databases.map((d) => [d.db, d.keys, d.volatileKeys])).toEqual([
    [0, 47, 35],
    [1, 3, 1],
  ]);

  if (process.env.DEBUG_REDIS) console.log('manifest read');
  const again = await call<RedisBackupCreateResult>(
    'redis:backup:create',
    { server: 'cache', store: 'backups' },
    'backup',
  );
  if (process.env.DEBUG_REDIS) console.log('again done');
  expect(again).toEqual({
    ...backup,
    changed: false,
    reason: `this step already made backup ${backup.manifestKey}`,
    durationMs: expect.any(Number),
  });
  expect((await store.list('redis/cache/')).length).toBe(2);
});

test('restore into an empty database of another server: same digest, values and TTLs; a second run changes nothing', async () => {
  const r = await call<RedisBackupRestoreResult>('redis:backup:restore', {
    server: 'cache-restore',
    store: 'backups',
    manifest: backup.manifestKey,
  });
  const manifest = JSON.parse(
    (await store.getBytes(backup.manifestKey, 1 << 20)).body.toString('utf8'),
  ) as RedisBackupManifest;
  const db0 = manifest.databases.find((d) => d.db === 0);
  expect(r).toEqual({
    changed: true,
    db: 2,
    keys: 47,
    removed: 0,
    expiredSinceBackup: 0,
    digest: db0?.digest,
    persistentDigest: db0?.persistentDigest,
    durationMs: expect.any(Number),
  });
  const t = redis(target, 2);
  expect(await t.hgetall('user:1')).toEqual({ name: 'Ada', role: 'admin' });
  expect(await t.lrange('queue:jobs', 0, -1)).toEqual(['a', 'b', 'c']);
  expect(await t.getBuffer(Buffer.from([0xff, 0x00, 0xfe, 0x41]))).toEqual(Buffer.from([1, 2, 3]));
  expect(await t.ttl('request:ttl:0')).toBeGreaterThan(900);
  expect(await t.ttl('other:0')).toBe(-1);
  expect(await redis(target, 0).dbsize()).toBe(0);

  const again = await call<RedisBackupRestoreResult>('redis:backup:restore', {
    server: 'cache-restore',
    store: 'backups',
    manifest: backup.manifestKey,
  });
  expect(again).toMatchObject({ changed: false, reason: 'database 2 already holds the backup', digest: db0?.digest });

  // Another database of the backup, by fromDb.
  const one = await call<RedisBackupRestoreResult>('redis:backup:restore', {
    server: 'cache-scratch',
    store: 'backups',
    manifest: backup.manifestKey,
    fromDb: 1,
  });
  expect(one).toMatchObject({ changed: true, db: 5, keys: 3 });
  expect(await redis(primary, 5).get('one:b')).toBe('2');
});

test('a non-empty target is refused without replace and left as it was; replace makes it exactly the backup', async () => {
  const busy = redis(target, 3);
  await busy.set('mine', 'keep me');
  const refused = await failureOf('redis:backup:restore', {
    server: 'restore-busy',
    store: 'backups',
    manifest: backup.manifestKey,
  });
  expect(kind(refused)).toEqual({ type: FAILURE.InvalidInput, nonRetryable: true });
  expect(refused.message).toContain('holds 1 keys');
  expect(await busy.get('mine')).toBe('keep me');
  expect(await busy.dbsize()).toBe(1);

  const replaced = await call<RedisBackupRestoreResult>('redis:backup:restore', {
    server: 'restore-busy',
    store: 'backups',
    manifest: backup.manifestKey,
    replace: true,
  });
  expect(replaced).toMatchObject({ changed: true, db: 3, keys: 47, removed: 1 });
  expect(await busy.get('mine')).toBeNull();
  const again = await call<RedisBackupRestoreResult>('redis:backup:restore', {
    server: 'restore-busy',
    store: 'backups',
    manifest: backup.manifestKey,
    replace: true,
  });
  expect(again).toMatchObject({ changed: false, digest: replaced.digest });
});

test('a corrupted RDB in the store is refused (IntegrityFailed) and the target is untouched', async () => {
  // A copy of the backup under its own key, its stored bytes then damaged behind the store's back.
  const bad = backup.rdbKey.replace('redis/cache/', 'redis/corrupt/');
  const original = store.bytes.get(backup.rdbKey);
  if (!original) throw new Error('no rdb stored');
  await store.putBytes(bad, original);
  const manifest = JSON.parse(
    (await store.getBytes(backup.manifestKey, 1 << 20)).body.toString('utf8'),
  ) as RedisBackupManifest;
  const badManifest = bad.replace(/dump\.rdb$/, 'manifest.json');
  await store.putBytes(badManifest, Buffer.from(JSON.stringify({ ...manifest, rdb: { ...manifest.rdb, key: bad } })));
  const damaged = Buffer.from(original);
  const at = Math.floor(damaged.length / 2);
  damaged[at] = (damaged[at] ?? 0) ^ 0xff;
  store.bytes.set(bad, damaged);

  const t = redis(target, 4);
  await t.set('sentinel', 'untouched');
  for (const replace of [false, true]) {
    const f = await failureOf('redis:backup:restore', {
      server: 'restore-corrupt',
      store: 'backups',
      manifest: badManifest,
      replace,
    });
    expect(kind(f)).toEqual({ type: FAILURE.IntegrityFailed, nonRetryable: true });
  }
  expect(await t.dbsize()).toBe(1);
  expect(await t.get('sentinel')).toBe('untouched');
});

test('a wrong or missing password is Forbidden; the right one works, for reads and for redis-cli --rdb', async () => {
  await redis(secured, 0, PASSWORD).set('s', '1');
  const wrong = await failureOf('redis:health:read', { server: 'secured-wrong' });
  if (process.env.DEBUG_REDIS) console.log(wrong.message);
  expect(kind(wrong)).toEqual({ type: FAILURE.Forbidden, nonRetryable: true });
  expect(wrong.message).toContain('WRONGPASS');
  expect(wrong.message).not.toContain('not-the-password');
  const none = await failureOf('redis:health:read', { server: 'secured-none' });
  expect(kind(none)).toEqual({ type: FAILURE.Forbidden, nonRetryable: true });
  expect(none.message).toContain('NOAUTH');
  expect((await call<RedisHealthResult>('redis:health:read', { server: 'secured' })).role).toBe('primary');
  const b = await call<RedisBackupCreateResult>('redis:backup:create', { server: 'secured', store: 'backups' }, 'sb');
  expect(b).toMatchObject({ changed: true, keys: 1 });
  expect(b.rdbKey.startsWith('redis/secured/')).toBe(true);
});

test('a backup cancelled while redis-cli waits for the snapshot stops, leaving no temp files and nothing stored', async () => {
  // The target server keeps Redis' default 5 s repl-diskless-sync-delay: the download waits that long.
  const fn = activities['redis:backup:create'];
  if (!fn) throw new Error('no activity');
  const env = new MockActivityEnvironment();
  const step = {
    workflowId: 'wf-redis',
    runId: 'r',
    stepId: 'cancel',
    runbookId: 'redis',
    idempotencyKey: 'wf-redis/cancel',
    dryRun: false,
  };
  const running = env.run(fn, { step, input: { server: 'cache-restore', store: 'backups' } });
  const heartbeats: unknown[] = [];
  env.on('heartbeat', (d: unknown) => heartbeats.push(d));
  await waitFor('the download under way', async () => heartbeats.length > 0);
  const started = Date.now();
  env.cancel();
  // The envelope wraps every failure as an ApplicationFailure; the type keeps the SDK's name.
  await expect(running).rejects.toMatchObject({ type: CancelledFailure.name });
  expect(Date.now() - started).toBeLessThan(3000);
  expect(readdirSync(tmpDir)).toEqual([]);
  expect(await store.list('redis/cache-restore/')).toEqual([]);
});

test('a write on the replica is refused for good (READONLY: InvalidInput); reads work there', async () => {
  const f = await failureOf('redis:key:expire', { server: 'cache-replica', match: 'other:*', ttlSeconds: 60 });
  expect(kind(f)).toEqual({ type: FAILURE.InvalidInput, nonRetryable: true });
  expect(f.message).toContain('READONLY');
  const scan = await call<RedisKeyScanResult>('redis:key:scan', { server: 'cache-replica', match: 'other:*' });
  expect(scan).toMatchObject({ withoutTtl: 5, complete: true });
});

test('an unknown server is permanent; a refused connection is retried', async () => {
  expect(kind(await failureOf('redis:health:read', { server: 'billing' }))).toEqual({
    type: FAILURE.UnknownTarget,
    nonRetryable: true,
  });
  expect(kind(await failureOf('redis:health:read', { server: 'nobody' }))).toEqual({
    type: 'ECONNREFUSED',
    nonRetryable: false,
  });
});

test('flush empties the configured database only; an empty one is changed: false', async () => {
  const scratch = redis(primary, 5);
  expect(await scratch.dbsize()).toBeGreaterThan(0);
  const first = await call<RedisDbFlushResult>('redis:db:flush', { server: 'cache-scratch' });
  expect(first).toEqual({ changed: true, db: 5, keysRemoved: 3 });
  expect(await scratch.dbsize()).toBe(0);
  expect(await redis(primary, 0).dbsize()).toBe(47);
  expect(await call<RedisDbFlushResult>('redis:db:flush', { server: 'cache-scratch' })).toEqual({
    changed: false,
    reason: 'database 5 is already empty',
    db: 5,
    keysRemoved: 0,
  });
});

test('the redis examples are the redis system, and each documented example runs', async () => {
  expect(REDIS_ENTRIES.map((e) => e.example.needs)).toEqual(REDIS_ENTRIES.map(() => 'redis'));
  // The restore example names a manifest at a fixed key: a copy of the real one.
  await store.putBytes('redis/cache/example/manifest.json', (await store.getBytes(backup.manifestKey, 1 << 20)).body);
  for (const entry of REDIS_ENTRIES) {
    const output = await call(entry.id, entry.example.with, `example-${entry.id}`);
    expect({ id: entry.id, ok: entry.output.safeParse(output).success }).toEqual({ id: entry.id, ok: true });
  }
});
