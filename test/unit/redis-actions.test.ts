/**
 * The redis:* actions over a fake of the narrow client (an in-memory Redis): INFO becomes the
 * health and memory outputs; scans are bounded; the TTL repair reads first, writes only keys at
 * -1 (with NX on Redis 7) and changes nothing the second time; flush reads DBSIZE first; backups
 * and restores keep their manifest and digest rules (retry, refusal, replace, integrity) with
 * fake RDB tools; errors map to the vocabulary; secrets go only to the server's origin; and
 * redis-cli gets the password in its environment, never its arguments.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import { REDIS_ENTRIES } from '../../src/catalog/redis';
import {
  redisBackupRestore,
  type RedisBackupCreateResult,
  type RedisBackupRestoreResult,
} from '../../src/catalog/redis/backup';
import type { RedisHealthResult } from '../../src/catalog/redis/health';
import type { RedisKeyExpireResult } from '../../src/catalog/redis/key';
import type { RedisMemoryResult } from '../../src/catalog/redis/memory';
import { redisDbFlush } from '../../src/catalog/redis/db';
import { createRedisActivities } from '../../src/activities/redis';
import {
  createRedisConnect,
  type RedisClient,
  type RedisConnect,
  type RedisEndpoint,
} from '../../src/activities/redis/client';
import { canonicalValue, keyHash } from '../../src/activities/redis/digest';
import { redisFailure } from '../../src/activities/redis/errors';
import type { RedisBackupManifest } from '../../src/activities/redis/manifest';
import { createRdbTools, type RdbTools } from '../../src/activities/redis/rdb';
import { createSecretResolver } from '../../src/activities/secrets';
import { requiresApproval } from '../../src/catalog/types';
import { redisServerConfig, redisServersSection } from '../../src/config/redis-schema';
import { FAILURE } from '../../src/shared/failures';
import type { ActionInput, ActionResult } from '../../src/shared/activity-types';
import { memoryBackupStore, type MemoryStore } from '../support/redis';

// ---- an in-memory Redis behind the narrow client ------------------------------------------

interface Entry {
  key: Buffer;
  type: string;
  value: Buffer[];
  /** -1: no expiry. */
  ttlMs: number;
}
type Db = Map<string, Entry>;

class FakeServer {
  dbs = new Map<number, Db>();
  info: Record<string, string> = {};
  version = '7.0.15';
  calls: string[] = [];
  db(n: number): Db {
    let d = this.dbs.get(n);
    if (!d) this.dbs.set(n, (d = new Map()));
    return d;
  }
  set(db: number, key: string | Buffer, type: string, value: Array<string | Buffer>, ttlMs = -1): void {
    const k = Buffer.isBuffer(key) ? key : Buffer.from(key);
    this.db(db).set(k.toString('hex'), { key: k, type, value: value.map((v) => Buffer.from(v)), ttlMs });
  }
  keyspaceInfo(): string {
    return [...this.dbs]
      .filter(([, d]) => d.size > 0)
      .map(([n, d]) => `db${n}:keys=${d.size},expires=${[...d.values()].filter((e) => e.ttlMs > 0).length}`)
      .join('\r\n');
  }
  client(dbIndex: number): RedisClient {
    const d = (): Db => this.db(dbIndex);
    const get = (k: Buffer): Entry | undefined => d().get(k.toString('hex'));
    const log = (s: string): void => void this.calls.push(`db${dbIndex} ${s}`);
    return {
      info: async (section) => {
        log(`INFO ${section ?? ''}`.trim());
        if (section === 'keyspace') return `# Keyspace\r\n${this.keyspaceInfo()}`;
        if (section === 'server') return `# Server\r\nredis_version:${this.version}\r\n`;
        return this.info[section ?? 'default'] ?? '';
      },
      dbsize: async () => d().size,
      scan: async (cursor, o) => {
        const all = [...d().values()].map((e) => e.key);
        const re = o.match
          ? new RegExp(
              `^${o.match
                .replace(/[.+^${}()|\\]/g, '\\$&')
                .replace(/\*/g, '.*')
                .replace(/\?/g, '.')}$`,
            )
          : undefined;
        const at = Number(cursor);
        const slice = all.slice(at, at + o.count);
        const next = at + o.count >= all.length ? '0' : String(at + o.count);
        log(`SCAN ${cursor} COUNT ${o.count}`);
        return { cursor: next, keys: slice.filter((k) => !re || re.test(k.toString())) };
      },
      pttl: async (keys) => keys.map((k) => get(k)?.ttlMs ?? -2),
      types: async (keys) => keys.map((k) => get(k)?.type ?? 'none'),
      memoryUsage: async (keys) =>
        keys.map((k) => (get(k) ? 50 + (get(k)?.value.reduce((n, v) => n + v.length, 0) ?? 0) : null)),
      expire: async (keys, seconds, o) => {
        log(`EXPIRE ${keys.map(String).join(',')} ${seconds}${o.nx ? ' NX' : ''}`);
        return keys.map((k) => {
          const e = get(k);
          if (!e || (o.nx && e.ttlMs > 0)) return false;
          e.ttlMs = seconds * 1000;
          return true;
        });
      },
      dump: async (keys) =>
        keys.map((k) => {
          const e = get(k);
          if (!e) return null;
          const body = JSON.stringify({ type: e.type, value: e.value.map((v) => v.toString('base64')) });
          return Buffer.concat([Buffer.from(body), Buffer.alloc(10, this.version === '7.0.15' ? 1 : 2)]);
        }),
      // Sets come back in another order than they were written: the digest must not care.
      values: async (items) =>
        items.map(({ key }) => {
          const e = get(key);
          return e ? (e.type === 'set' ? [...e.value].reverse() : e.value) : null;
        }),
      restore: async (items, o) => {
        for (const i of items) {
          if (!o.replace && get(i.key)) throw Object.assign(new Error('BUSYKEY Target key name already exists.'), {});
          const { type, value } = JSON.parse(i.payload.subarray(0, i.payload.length - 10).toString()) as {
            type: string;
            value: string[];
          };
          this.set(
            dbIndex,
            i.key,
            type,
            value.map((v) => Buffer.from(v, 'base64')),
            i.ttlMs > 0 ? i.ttlMs : -1,
          );
        }
        log(`RESTORE ${items.length}${o.replace ? ' REPLACE' : ''}`);
      },
      flushdb: async () => {
        log('FLUSHDB');
        d().clear();
      },
      close: async () => undefined,
    };
  }
}

/** Fake RDB tools: the "RDB" is the fake server's data as JSON; the scratch server a FakeServer loaded from it. */
function fakeRdb(servers: Record<string, FakeServer>): RdbTools & { downloads: RedisEndpoint[] } {
  const downloads: RedisEndpoint[] = [];
  return {
    downloads,
    async download(e, file) {
      downloads.push(e);
      const s = servers[`${e.host}:${e.port}`];
      if (!s) throw new Error('no such server');
      const data = [...s.dbs].map(([n, d]) => [
        n,
        [...d.values()].map((x) => ({
          ...x,
          key: x.key.toString('base64'),
          value: x.value.map((v) => v.toString('base64')),
        })),
      ]);
      await writeFile(file, JSON.stringify(data));
    },
    async startScratch(dir) {
      const scratch = new FakeServer();
      const data = JSON.parse(await readFile(join(dir, 'dump.rdb'), 'utf8')) as Array<
        [number, Array<{ key: string; type: string; value: string[]; ttlMs: number }>]
      >;
      for (const [n, entries] of data)
        for (const x of entries)
          scratch.set(
            n,
            Buffer.from(x.key, 'base64'),
            x.type,
            x.value.map((v) => Buffer.from(v, 'base64')),
            x.ttlMs,
          );
      return { version: scratch.version, open: async (db) => scratch.client(db), stop: async () => undefined };
    },
  };
}

interface Rig {
  servers: Record<string, FakeServer>;
  opened: string[];
  store: MemoryStore;
  rdb: ReturnType<typeof fakeRdb>;
  /** Every heartbeat the backup and restore actions sent. */
  heartbeats: Array<Record<string, unknown>>;
  run<T>(id: string, input: Record<string, unknown>, stepId?: string): Promise<T>;
}

/** Configured names → fake servers: `cache` (127.0.0.1:6379 db 0), `restore` (10.0.0.2:6379 db 2). */
function rig(): Rig {
  const cache = new FakeServer();
  const other = new FakeServer();
  const servers = { '127.0.0.1:6379': cache, '10.0.0.2:6379': other };
  const config: Record<string, RedisEndpoint> = {
    cache: { host: '127.0.0.1', port: 6379, db: 0, tls: false },
    restore: { host: '10.0.0.2', port: 6379, db: 2, tls: false },
  };
  const opened: string[] = [];
  const connect: RedisConnect = async (name) => {
    const endpoint = config[name];
    if (!endpoint) throw ApplicationFailure.nonRetryable(`no Redis server '${name}'`, FAILURE.UnknownTarget);
    opened.push(name);
    const s = servers[`${endpoint.host}:${endpoint.port}` as keyof typeof servers];
    return { client: s.client(endpoint.db), endpoint };
  };
  const store = memoryBackupStore('backups');
  const rdb = fakeRdb(servers);
  const heartbeats: Array<Record<string, unknown>> = [];
  const acts = createRedisActivities({
    connect,
    openStore: async () => store,
    metrics: { observeStep: () => undefined },
    rdb,
    progress: () => ({ heartbeat: (d) => void heartbeats.push(d), signal: undefined }),
  }) as unknown as Record<string, (i: ActionInput) => Promise<ActionResult>>;
  return {
    servers,
    opened,
    store,
    rdb,
    heartbeats,
    async run<T>(id: string, input: Record<string, unknown>, stepId = 's'): Promise<T> {
      const fn = acts[id];
      if (!fn) throw new Error(`no activity ${id}`);
      const step = {
        workflowId: 'w',
        runId: 'r',
        stepId,
        runbookId: 'x',
        idempotencyKey: `w/${stepId}`,
        dryRun: false,
      };
      const r: ActionResult = await new MockActivityEnvironment().run(fn, {
        step,
        input: input as ActionInput['input'],
      });
      return r.output as T;
    },
  };
}

async function failure(
  p: Promise<unknown>,
): Promise<{ type: string | undefined | null; nonRetryable: boolean; message: string }> {
  try {
    await p;
  } catch (err) {
    if (!(err instanceof ApplicationFailure)) throw err;
    return { type: err.type, nonRetryable: err.nonRetryable === true, message: err.message };
  }
  throw new Error('did not fail');
}

const info = (fields: Record<string, string | number>): string =>
  Object.entries(fields)
    .map(([k, v]) => `${k}:${v}`)
    .join('\r\n');

// ---- health, memory ------------------------------------------------------------------------

test('health on a primary: replicas with their lag, persistence, memory against maxmemory', async () => {
  const r = rig();
  r.servers['127.0.0.1:6379']!.info.default = `# Server\r\n${info({
    redis_version: '7.0.15',
    redis_mode: 'standalone',
    uptime_in_seconds: 3600,
    connected_clients: 12,
    blocked_clients: 1,
    used_memory: 750,
    maxmemory: 1000,
    maxmemory_policy: 'allkeys-lru',
    loading: 0,
    rdb_changes_since_last_save: 42,
    rdb_bgsave_in_progress: 0,
    rdb_last_save_time: 1_780_000_000,
    rdb_last_bgsave_status: 'err',
    aof_enabled: 1,
    aof_rewrite_in_progress: 0,
    aof_last_bgrewrite_status: 'ok',
    aof_last_write_status: 'ok',
    evicted_keys: 9,
    role: 'master',
    connected_slaves: 2,
    slave0: 'ip=10.0.0.5,port=6379,state=online,offset=1000,lag=0',
    slave1: 'ip=10.0.0.6,port=6380,state=wait_bgsave,offset=0,lag=3',
    master_repl_offset: 1500,
  })}\r\n`;
  const h = await r.run('redis:health:read', { server: 'cache' });
  expect(h).toEqual({
    version: '7.0.15',
    mode: 'standalone',
    role: 'primary',
    uptimeSeconds: 3600,
    connectedClients: 12,
    blockedClients: 1,
    memory: { usedBytes: 750, maxBytes: 1000, ratio: 0.75, policy: 'allkeys-lru', evictedKeys: 9 },
    persistence: {
      loading: false,
      rdbLastBgsaveStatus: 'err',
      rdbLastSaveTime: new Date(1_780_000_000_000).toISOString(),
      rdbChangesSinceLastSave: 42,
      rdbBgsaveInProgress: false,
      aofEnabled: true,
      aofLastWriteStatus: 'ok',
      aofLastBgrewriteStatus: 'ok',
      aofRewriteInProgress: false,
    },
    replication: {
      replicas: [
        { address: '10.0.0.5:6379', state: 'online', offset: 1000, lagBytes: 500, lagSeconds: 0 },
        { address: '10.0.0.6:6380', state: 'wait_bgsave', offset: 0, lagBytes: 1500, lagSeconds: 3 },
      ],
      primary: null,
    },
  });
  expect(r.opened).toEqual(['cache']);
});

test('health on a replica: the link to its primary; no maxmemory is null, not a ratio', async () => {
  const r = rig();
  r.servers['127.0.0.1:6379']!.info.default = info({
    redis_version: '7.0.15',
    role: 'slave',
    used_memory: 10,
    maxmemory: 0,
    master_host: '10.0.0.1',
    master_port: 6379,
    master_link_status: 'down',
    master_last_io_seconds_ago: -1,
    master_sync_in_progress: 1,
    slave_repl_offset: 77,
    master_link_down_since_seconds: 12,
    aof_enabled: 0,
    aof_last_write_status: 'ok',
  });
  const h = await r.run<RedisHealthResult>('redis:health:read', { server: 'cache' });
  expect(h.role).toBe('replica');
  expect(h.memory).toMatchObject({ maxBytes: null, ratio: null });
  expect(h.persistence).toMatchObject({ aofEnabled: false, aofLastWriteStatus: null });
  expect(h.replication).toEqual({
    replicas: [],
    primary: {
      host: '10.0.0.1',
      port: 6379,
      linkStatus: 'down',
      lastIoSecondsAgo: null,
      linkDownSinceSeconds: 12,
      syncInProgress: true,
      offset: 77,
    },
  });
});

test('memory: the biggest sampled keys first, the sample bounded by sampleKeys, keys cut', async () => {
  const r = rig();
  const s = r.servers['127.0.0.1:6379']!;
  s.info.memory = info({
    used_memory: 100,
    used_memory_peak: 200,
    used_memory_rss: 150,
    mem_fragmentation_ratio: 1.5,
    maxmemory: 0,
    maxmemory_policy: 'noeviction',
  });
  for (let n = 0; n < 30; n++) s.set(0, `k${n}`, 'string', ['x'.repeat(n)]);
  s.set(0, 'z'.repeat(300), 'hash', ['f', 'v'.repeat(100)]);
  const m = await r.run<RedisMemoryResult>('redis:memory:read', { server: 'cache', limit: 2, count: 10 });
  expect(m).toEqual({
    usedBytes: 100,
    peakBytes: 200,
    rssBytes: 150,
    fragmentationRatio: 1.5,
    maxBytes: null,
    policy: 'noeviction',
    dbsize: 31,
    sampled: 31,
    sampleComplete: true,
    biggestKeys: [
      { key: `${'z'.repeat(199)}…`, type: 'hash', bytes: 151 },
      { key: 'k29', type: 'string', bytes: 79 },
    ],
  });
  const bounded = await r.run<RedisMemoryResult>('redis:memory:read', { server: 'cache', sampleKeys: 15, count: 10 });
  expect({ sampled: bounded.sampled, complete: bounded.sampleComplete }).toEqual({ sampled: 15, complete: false });
  expect(bounded.biggestKeys[0]).toEqual({ key: 'k14', type: 'string', bytes: 64 });
});

// ---- scan, expire --------------------------------------------------------------------------

function requests(r: Rig): FakeServer {
  const s = r.servers['127.0.0.1:6379']!;
  for (let n = 0; n < 25; n++) s.set(0, `request:${n}`, 'string', ['v']);
  for (let n = 0; n < 5; n++) s.set(0, `request:ttl:${n}`, 'string', ['v'], 5000);
  s.set(0, 'other', 'string', ['v']);
  return s;
}

test('scan: keys without a TTL, bounded by maxKeys (cut inside a batch) and listed up to limit', async () => {
  const r = rig();
  requests(r);
  expect(await r.run('redis:key:scan', { server: 'cache', match: 'request:*', limit: 2, count: 10 })).toEqual({
    scanned: 30,
    withoutTtl: 25,
    keys: ['request:0', 'request:1'],
    complete: true,
  });
  expect(
    await r.run('redis:key:scan', { server: 'cache', match: 'request:*', maxKeys: 15, count: 10, limit: 0 }),
  ).toEqual({
    scanned: 15,
    withoutTtl: 15,
    keys: [],
    complete: false,
  });
  await expect(failure(r.run('redis:key:scan', { server: 'cache', match: 'x', maxKeys: 0 }))).resolves.toMatchObject({
    type: FAILURE.InvalidInput,
    nonRetryable: true,
  });
});

test('expire: only keys at -1, with NX on Redis 7; keys with a TTL keep it; a second run changes nothing', async () => {
  const r = rig();
  const s = requests(r);
  const first = await r.run('redis:key:expire', {
    server: 'cache',
    match: 'request:*',
    ttlSeconds: 86400,
    limit: 3,
    count: 100,
  });
  expect(first).toEqual({
    changed: true,
    expired: 25,
    sample: ['request:0', 'request:1', 'request:2'],
    scanned: 30,
    complete: true,
  });
  const expires = s.calls.filter((c) => c.includes('EXPIRE'));
  expect(expires).toHaveLength(1);
  expect(expires[0]).toMatch(/ 86400 NX$/);
  expect(expires[0]).not.toContain('request:ttl:');
  expect(s.db(0).get(Buffer.from('request:ttl:0').toString('hex'))?.ttlMs).toBe(5000);
  expect(s.db(0).get(Buffer.from('other').toString('hex'))?.ttlMs).toBe(-1);
  const second = await r.run('redis:key:expire', { server: 'cache', match: 'request:*', ttlSeconds: 60 });
  expect(second).toEqual({
    changed: false,
    reason: 'no key matching request:* lacks a TTL (30 scanned)',
    expired: 0,
    sample: [],
    scanned: 30,
    complete: true,
  });
  expect(s.calls.filter((c) => c.includes('EXPIRE'))).toHaveLength(2); // an empty batch, nothing set
});

test('expire before Redis 7: plain EXPIRE of the keys just read at -1; one given a TTL meanwhile is not counted', async () => {
  const r = rig();
  const s = requests(r);
  s.version = '6.2.14';
  const client = s.client.bind(s);
  s.client = (db) => {
    const c = client(db);
    // Someone sets a TTL on request:3 between our PTTL and our EXPIRE: EXPIRE answers 0 for it.
    return {
      ...c,
      expire: async (keys, sec, o) =>
        (await c.expire(keys, sec, o)).map((ok, n) => ok && String(keys[n]) !== 'request:3'),
    };
  };
  const out = await r.run<RedisKeyExpireResult>('redis:key:expire', {
    server: 'cache',
    match: 'request:*',
    ttlSeconds: 10,
    maxKeys: 10,
    count: 10,
  });
  expect(out).toMatchObject({ changed: true, expired: 9, scanned: 10, complete: false });
  expect(s.calls.find((c) => c.includes('EXPIRE'))).toMatch(/ 10$/);
});

// ---- flush ---------------------------------------------------------------------------------

test('flush: DBSIZE first; an empty database is changed: false without a FLUSHDB', async () => {
  const r = rig();
  const s = r.servers['10.0.0.2:6379']!;
  expect(await r.run('redis:db:flush', { server: 'restore' })).toEqual({
    changed: false,
    reason: 'database 2 is already empty',
    db: 2,
    keysRemoved: 0,
  });
  expect(s.calls.filter((c) => c.includes('FLUSHDB'))).toEqual([]);
  s.set(2, 'a', 'string', ['1']);
  s.set(2, 'b', 'string', ['2']);
  s.set(0, 'keep', 'string', ['3']);
  expect(await r.run('redis:db:flush', { server: 'restore' })).toEqual({ changed: true, db: 2, keysRemoved: 2 });
  expect(s.calls.filter((c) => c.includes('FLUSHDB'))).toEqual(['db2 FLUSHDB']);
  expect(s.db(0).size).toBe(1);
});

// ---- backup, restore -----------------------------------------------------------------------

function dataset(r: Rig): FakeServer {
  const s = r.servers['127.0.0.1:6379']!;
  s.info.default = info({ redis_version: '7.0.15', db0: 'keys=4,expires=1', db1: 'keys=1,expires=0' });
  s.set(0, 'user:1', 'hash', ['name', 'Ada', 'role', 'admin']);
  s.set(0, 'tags', 'set', ['x', 'y', 'z']);
  s.set(0, Buffer.from([0xff, 0x00]), 'string', [Buffer.from([1, 2])]);
  s.set(0, 'session', 'string', ['s'], 60_000);
  s.set(1, 'other-db', 'list', ['a', 'b']);
  return s;
}

async function manifestOf(store: MemoryStore, key: string): Promise<RedisBackupManifest> {
  return JSON.parse((await store.getBytes(key, 1 << 20)).body.toString('utf8')) as RedisBackupManifest;
}

test('backup: the RDB and its manifest (every database digested) in the store; a retry of the step changes nothing', async () => {
  const r = rig();
  dataset(r);
  const b = await r.run<RedisBackupCreateResult>('redis:backup:create', { server: 'cache', store: 'backups' }, 'b1');
  expect(b).toMatchObject({
    changed: true,
    keys: 5,
    rdbKey: expect.stringMatching(/^redis\/cache\/.+-[0-9a-f]{12}\/dump\.rdb$/),
  });
  const m = await manifestOf(r.store, b.manifestKey);
  expect(m).toMatchObject({
    format: 'durable-runbooks/redis-backup@1',
    server: 'cache',
    db: 0,
    keys: 5,
    source: { version: '7.0.15' },
    rdb: { key: b.rdbKey, sha256: b.sha256, size: b.size },
  });
  expect(m.databases.map((d) => [d.db, d.keys, d.volatileKeys])).toEqual([
    [0, 4, 1],
    [1, 1, 0],
  ]);
  expect(m.digest.value).toBe(b.digest);
  // Heartbeats name each phase as it starts.
  expect([...new Set(r.heartbeats.map((h) => h.phase))]).toEqual(['download', 'load', 'digest', 'upload']);
  const again = await r.run<RedisBackupCreateResult>(
    'redis:backup:create',
    { server: 'cache', store: 'backups' },
    'b1',
  );
  expect(again).toEqual({
    ...b,
    changed: false,
    reason: `this step already made backup ${b.manifestKey}`,
    durationMs: expect.any(Number),
  });
  expect(r.rdb.downloads).toHaveLength(1);
  // Another step is another backup.
  const other = await r.run<RedisBackupCreateResult>(
    'redis:backup:create',
    { server: 'cache', store: 'backups', prefix: 'nightly/' },
    'b2',
  );
  expect(other.rdbKey.startsWith('nightly/')).toBe(true);
  expect(other.digest).toBe(b.digest);
});

test('restore: into an empty db with the same digest; already equal is changed: false; non-empty refused without replace', async () => {
  const r = rig();
  dataset(r);
  const target = r.servers['10.0.0.2:6379']!;
  const b = await r.run<RedisBackupCreateResult>('redis:backup:create', { server: 'cache', store: 'backups' });
  const m = await manifestOf(r.store, b.manifestKey);
  const input = { server: 'restore', store: 'backups', manifest: b.manifestKey };
  const first = await r.run<RedisBackupRestoreResult>('redis:backup:restore', input);
  expect(first).toEqual({
    changed: true,
    db: 2,
    keys: 4,
    removed: 0,
    expiredSinceBackup: 0,
    digest: m.databases[0]?.digest,
    persistentDigest: m.databases[0]?.persistentDigest,
    durationMs: expect.any(Number),
  });
  expect(target.calls).toContain('db2 RESTORE 4');
  expect(target.db(2).get(Buffer.from('session').toString('hex'))?.ttlMs).toBe(60_000);
  expect(await r.run('redis:backup:restore', input)).toMatchObject({
    changed: false,
    reason: 'database 2 already holds the backup',
  });
  target.set(2, 'extra', 'string', ['!']);
  await expect(failure(r.run('redis:backup:restore', input))).resolves.toMatchObject({
    type: FAILURE.InvalidInput,
    nonRetryable: true,
    message: expect.stringContaining('holds 5 keys'),
  });
  expect(target.db(2).size).toBe(5);
  const replaced = await r.run<RedisBackupRestoreResult>('redis:backup:restore', { ...input, replace: true });
  expect(replaced).toMatchObject({ changed: true, keys: 4, removed: 5, digest: m.databases[0]?.digest });
  expect(target.calls.filter((c) => /FLUSHDB|RESTORE/.test(c)).slice(-2)).toEqual([
    'db2 FLUSHDB',
    'db2 RESTORE 4 REPLACE',
  ]);
  // fromDb picks another database of the backup; one the backup has no key in restores nothing.
  target.db(2).clear();
  expect(await r.run('redis:backup:restore', { ...input, fromDb: 1 })).toMatchObject({ changed: true, keys: 1 });
  target.db(2).clear();
  expect(await r.run('redis:backup:restore', { ...input, fromDb: 7 })).toMatchObject({
    changed: false,
    reason: 'db 7 of the backup is empty, and so is database 2',
    keys: 0,
  });
  expect(r.heartbeats.map((h) => h.phase)).toEqual(
    expect.arrayContaining(['download', 'load', 'check', 'restore', 'verify']),
  );
});

test('restore refuses a file its store finds corrupted, or one that does not hold what its manifest says: the target untouched', async () => {
  const r = rig();
  dataset(r);
  const target = r.servers['10.0.0.2:6379']!;
  const b = await r.run<RedisBackupCreateResult>('redis:backup:create', { server: 'cache', store: 'backups' });
  const bytes = r.store.bytes.get(b.rdbKey)!;
  r.store.bytes.set(b.rdbKey, Buffer.concat([bytes, Buffer.from(' ')]));
  const input = { server: 'restore', store: 'backups', manifest: b.manifestKey, replace: true };
  await expect(failure(r.run('redis:backup:restore', input))).resolves.toMatchObject({
    type: FAILURE.IntegrityFailed,
    nonRetryable: true,
  });
  r.store.bytes.set(b.rdbKey, bytes);
  // A manifest whose digest is not the file's: refused in the scratch server, before the target.
  const m = await manifestOf(r.store, b.manifestKey);
  const lying = { ...m, databases: m.databases.map((d) => ({ ...d, persistentDigest: 'f'.repeat(64) })) };
  await r.store.putBytes('lying/manifest.json', Buffer.from(JSON.stringify(lying)));
  target.set(2, 'mine', 'string', ['keep']);
  const f = await failure(r.run('redis:backup:restore', { ...input, manifest: 'lying/manifest.json' }));
  expect(f).toMatchObject({
    type: FAILURE.IntegrityFailed,
    nonRetryable: true,
    message: expect.stringContaining('nothing restored'),
  });
  expect(target.calls.filter((c) => /FLUSHDB|RESTORE/.test(c))).toEqual([]);
  expect(target.db(2).size).toBe(1);
  // Not a manifest at all.
  await r.store.putBytes('junk.json', Buffer.from('{"hello":1}'));
  await expect(failure(r.run('redis:backup:restore', { ...input, manifest: 'junk.json' }))).resolves.toMatchObject({
    type: FAILURE.InvalidInput,
  });
});

test('the digest: values not representations (a set in any order, hash pairs by field), TTL presence not its value', () => {
  const k = Buffer.from('k');
  const set = (...m: string[]) => m.map((x) => Buffer.from(x));
  expect(keyHash(k, 'set', false, set('a', 'b', 'c'))).toBe(keyHash(k, 'set', false, set('c', 'a', 'b')));
  expect(keyHash(k, 'list', false, set('a', 'b'))).not.toBe(keyHash(k, 'list', false, set('b', 'a')));
  expect(canonicalValue('hash', set('b', '2', 'a', '1')).map(String)).toEqual(['a', '1', 'b', '2']);
  expect(keyHash(k, 'string', true, set('v'))).not.toBe(keyHash(k, 'string', false, set('v')));
  // Other types by DUMP payload without its 10-byte footer (RDB version, CRC64).
  const body = Buffer.from('payload');
  expect(keyHash(k, 'stream', false, [Buffer.concat([body, Buffer.alloc(10, 1)])])).toBe(
    keyHash(k, 'stream', false, [Buffer.concat([body, Buffer.alloc(10, 2)])]),
  );
});

// ---- schemas, errors, secrets --------------------------------------------------------------

test('schemas: a step names a server, never an address; flush and a replacing restore need an approval', async () => {
  const r = rig();
  await expect(failure(r.run('redis:health:read', { server: 'redis://:pw@10.0.0.1:6379' }))).resolves.toMatchObject({
    type: FAILURE.InvalidInput,
  });
  await expect(failure(r.run('redis:health:read', { server: 'cache', host: '10.0.0.1' }))).resolves.toMatchObject({
    type: FAILURE.InvalidInput,
  });
  expect(r.opened).toEqual([]);
  expect(requiresApproval(redisDbFlush, { server: 'cache' })).toBe(true);
  const restore = { server: 'cache', store: 'b', manifest: 'm.json' };
  expect(requiresApproval(redisBackupRestore, restore)).toBe(false);
  expect(requiresApproval(redisBackupRestore, { ...restore, replace: false })).toBe(false);
  expect(requiresApproval(redisBackupRestore, { ...restore, replace: true })).toBe(true);
  expect(requiresApproval(redisBackupRestore, { ...restore, replace: '${{ params.replace }}' })).toBe(true);
  expect(
    REDIS_ENTRIES.filter((e) => e.mutating === true)
      .map((e) => e.id)
      .sort(),
  ).toEqual(['redis:backup:create', 'redis:backup:restore', 'redis:db:flush', 'redis:key:expire']);
  for (const e of REDIS_ENTRIES) {
    expect({ id: e.id, ok: e.input.safeParse(e.example.with).success, needs: e.example.needs }).toEqual({
      id: e.id,
      ok: true,
      needs: 'redis',
    });
    expect(e.id).toMatch(/^redis:[a-z]+:[a-z]+$/);
  }
  // Configuration: defaults, strictness.
  expect(redisServerConfig.parse({ host: 'cache.internal' })).toEqual({
    host: 'cache.internal',
    port: 6379,
    db: 0,
    tls: false,
  });
  expect(redisServerConfig.safeParse({ host: 'h', password: 'inline' }).success).toBe(false);
  expect(redisServersSection.safeParse({ Cache: { host: 'h' } }).success).toBe(false);
});

test('errors map to the vocabulary by the reply; network errors keep their code and are retried', () => {
  const cases: Array<[unknown, string, boolean]> = [
    [new Error('WRONGPASS invalid username-password pair or user is disabled.'), FAILURE.Forbidden, true],
    [new Error('NOAUTH Authentication required.'), FAILURE.Forbidden, true],
    [new Error("NOPERM this user has no permissions to run the 'flushdb' command"), FAILURE.Forbidden, true],
    [new Error('ERR DB index is out of range'), FAILURE.NotFound, true],
    [new Error("READONLY You can't write against a read only replica."), FAILURE.InvalidInput, true],
    [new Error("ERR unknown command 'FLUSHDB', with args beginning with: "), FAILURE.InvalidInput, true],
    [new Error('BUSYKEY Target key name already exists.'), FAILURE.Conflict, false],
    [new Error('LOADING Redis is loading the dataset in memory'), 'Error', false],
    [Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' }), 'ECONNREFUSED', false],
    [Object.assign(new Error('connect ETIMEDOUT'), { code: 'ETIMEDOUT' }), FAILURE.Timeout, false],
    [new Error('Command timed out'), FAILURE.Timeout, false],
    [new Error('Connection is closed.'), 'Error', false],
  ];
  for (const [err, type, nonRetryable] of cases) {
    let f: ApplicationFailure | undefined;
    try {
      redisFailure(err, 'Redis server cache');
    } catch (e) {
      f = e as ApplicationFailure;
    }
    expect({ message: (err as Error).message, type: f?.type, nonRetryable: f?.nonRetryable }).toEqual({
      message: (err as Error).message,
      type,
      nonRetryable,
    });
  }
});

test('the connector: an unknown name is UnknownTarget; the password is resolved for redis:// (rediss:// with TLS) only', async () => {
  const servers = {
    cache: redisServerConfig.parse({ host: '10.0.0.1', passwordSecret: 'cache-pw', db: 3 }),
    secure: redisServerConfig.parse({
      host: 'cache.example.com',
      port: 6380,
      tls: true,
      username: 'ops',
      passwordSecret: 'cache-pw',
    }),
    open: redisServerConfig.parse({ host: '10.0.0.9' }),
  };
  const opened: RedisEndpoint[] = [];
  const connector = (bindings?: Record<string, string[]>, env: Record<string, string> = {}) =>
    createRedisConnect({
      servers,
      secrets: createSecretResolver({ env, ...(bindings ? { bindings } : {}) }),
      open: async (e) => {
        opened.push(e);
        return rig().servers['127.0.0.1:6379']!.client(0);
      },
    });
  await expect(failure(connector()('billing'))).resolves.toEqual({
    type: FAILURE.UnknownTarget,
    nonRetryable: true,
    message: "no Redis server 'billing' in configuration (redisServers.<name>; known: cache, secure, open)",
  });
  await expect(failure(connector()('constructor'))).resolves.toMatchObject({ type: FAILURE.UnknownTarget });
  const env = { RUNBOOK_SECRET_CACHE_PW: 'hunter2-cache' };
  await expect(failure(connector(undefined, env)('cache'))).resolves.toMatchObject({ type: FAILURE.SecretNotAllowed });
  await expect(failure(connector({ 'cache-pw': ['redis://10.0.0.1:6380'] }, env)('cache'))).resolves.toMatchObject({
    type: FAILURE.SecretNotAllowed,
    message: expect.stringContaining('may not be sent to redis://10.0.0.1:6379'),
  });
  await expect(failure(connector({ 'cache-pw': ['redis://10.0.0.1:6379'] })('cache'))).resolves.toMatchObject({
    type: FAILURE.MissingSecret,
  });
  // With TLS the origin is rediss://: a binding to redis:// does not let it go there.
  await expect(
    failure(connector({ 'cache-pw': ['redis://cache.example.com:6380'] }, env)('secure')),
  ).resolves.toMatchObject({
    type: FAILURE.SecretNotAllowed,
    message: expect.stringContaining('rediss://cache.example.com:6380'),
  });
  const ok = connector({ 'cache-pw': ['redis://10.0.0.1:6379', 'rediss://cache.example.com:6380'] }, env);
  await ok('cache');
  await ok('secure');
  await ok('open');
  expect(opened).toEqual([
    { host: '10.0.0.1', port: 6379, db: 3, tls: false, password: 'hunter2-cache' },
    { host: 'cache.example.com', port: 6380, db: 0, tls: true, username: 'ops', password: 'hunter2-cache' },
    { host: '10.0.0.9', port: 6379, db: 0, tls: false },
  ]);
});

test('redis-cli --rdb gets the password in REDISCLI_AUTH, never in argv, and a minimal environment', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fake-cli-'));
  try {
    const cli = join(dir, 'redis-cli');
    // Records its arguments and environment, writes the "RDB" to the file after --rdb.
    writeFileSync(
      cli,
      `#!/bin/sh\nprintf '%s\\n' "$@" > ${dir}/argv\nenv > ${dir}/env\nfor a in "$@"; do last="$a"; done\nprintf 'REDIS0010' > "$last"\necho "Transfer finished with success after 9 bytes"\n`,
    );
    chmodSync(cli, 0o755);
    process.env.RUNBOOK_SECRET_SOMETHING = 'must-not-leak';
    const tools = createRdbTools({ redisCli: cli });
    const file = join(dir, 'dump.rdb');
    await tools.download(
      { host: 'cache.example.com', port: 6380, db: 0, tls: true, username: 'ops', password: 'hunter2-cache' },
      file,
      { label: 'cache' },
    );
    expect(readFileSync(file, 'utf8')).toBe('REDIS0010');
    const argv = readFileSync(join(dir, 'argv'), 'utf8').trim().split('\n');
    expect(argv).toEqual([
      '-h',
      'cache.example.com',
      '-p',
      '6380',
      '--user',
      'ops',
      '--tls',
      '--sni',
      'cache.example.com',
      '--no-auth-warning',
      '--rdb',
      file,
    ]);
    const env = readFileSync(join(dir, 'env'), 'utf8');
    expect(env).toContain('REDISCLI_AUTH=hunter2-cache');
    expect(env).not.toContain('must-not-leak');
    // A refusal is mapped: exit 1 and AUTH failed is Forbidden.
    writeFileSync(cli, '#!/bin/sh\necho "AUTH failed: WRONGPASS invalid username-password pair"\nexit 1\n');
    await expect(
      failure(tools.download({ host: 'h', port: 1, db: 0, tls: false }, file, { label: 'cache' })),
    ).resolves.toMatchObject({ type: FAILURE.Forbidden, nonRetryable: true });
  } finally {
    delete process.env.RUNBOOK_SECRET_SOMETHING;
    rmSync(dir, { recursive: true, force: true });
  }
});
