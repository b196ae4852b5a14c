/**
 * Redis as the activities use it: a narrow client over ioredis, binary-safe (keys are Buffers, so a
 * key that is not UTF-8 is still the same key when we write it back), batched where an action
 * touches many keys (one pipeline per batch), made from a server's configuration by name. Runbook
 * steps name a server; its address and password stay in the worker's configuration and secrets.
 *
 * One connection per call, closed when the call ends, as for PostgreSQL (postgres/client.ts): these
 * actions are occasional, often run while the server is in trouble, and need no shutdown hook.
 * ioredis never reconnects here (a step fails and Temporal retries it) and never queues commands
 * while disconnected.
 */
import { Redis } from 'ioredis';
import { FAILURE } from '../../shared/failures';
import type { RedisServerConfig } from '../../config/redis-schema';
import { permanent } from '../errors';
import type { SecretResolver } from '../secrets';
import { redisFailure } from './errors';

/** Where a server is and how to log in: resolved in the worker, never in a step's input or output. */
export interface RedisEndpoint {
  host: string;
  port: number;
  db: number;
  tls: boolean;
  username?: string;
  password?: string;
}

export interface RestoreItem {
  key: Buffer;
  /** Milliseconds to live; 0 for none. */
  ttlMs: number;
  payload: Buffer;
}

/** The commands the actions use, on one database (selected when connecting). */
export interface RedisClient {
  /** INFO text of a section (`server`, `replication`, ...), or the default sections. */
  info(section?: string): Promise<string>;
  dbsize(): Promise<number>;
  /** One SCAN call; cursor '0' in the answer means the iteration is over. */
  scan(cursor: string, o: { match?: string; count: number }): Promise<{ cursor: string; keys: Buffer[] }>;
  /** PTTL of each key: -1 no expiry, -2 gone. */
  pttl(keys: readonly Buffer[]): Promise<number[]>;
  /** TYPE of each key (`none` when gone). */
  types(keys: readonly Buffer[]): Promise<string[]>;
  /** MEMORY USAGE of each key (null when gone). */
  memoryUsage(keys: readonly Buffer[]): Promise<Array<number | null>>;
  /** EXPIRE each key (with NX: only if it has none); whether each one was set. */
  expire(keys: readonly Buffer[], seconds: number, o: { nx: boolean }): Promise<boolean[]>;
  /** DUMP of each key (null when gone). */
  dump(keys: readonly Buffer[]): Promise<Array<Buffer | null>>;
  /**
   * Each key's value as a list of byte strings, by its type: a string its bytes; a list its
   * elements; a set its members and a hash its fields and values (in the server's order, which
   * is not stable); a sorted set members and scores by rank; any other type its DUMP payload.
   * Null when the key is gone.
   */
  values(keys: ReadonlyArray<{ key: Buffer; type: string }>): Promise<Array<Buffer[] | null>>;
  /** RESTORE each key; BUSYKEY (without replace) and other refusals throw. */
  restore(items: readonly RestoreItem[], o: { replace: boolean }): Promise<void>;
  flushdb(): Promise<void>;
  close(): Promise<void>;
}

export interface RedisSession {
  client: RedisClient;
  endpoint: RedisEndpoint;
}

/** Opens a connection to a configured server by its name. */
export type RedisConnect = (server: string) => Promise<RedisSession>;

const CONNECT_TIMEOUT_MS = 10_000;
/** Long enough for a FLUSHDB of a large database; a command past it fails as Timeout (retried). */
const COMMAND_TIMEOUT_MS = 120_000;

/** `redis://host:port` (`rediss://` with TLS): where a server's password may be sent. */
export function originFor(e: Pick<RedisEndpoint, 'host' | 'port' | 'tls'>): string {
  const host = e.host.includes(':') && !e.host.startsWith('[') ? `[${e.host}]` : e.host;
  return `${e.tls ? 'rediss' : 'redis'}://${host}:${e.port}`;
}

/** Real connections from `redisServers.<name>`; the password resolved by the worker's secret resolver. */
export function createRedisConnect(deps: {
  servers: Readonly<Record<string, RedisServerConfig>>;
  secrets: Pick<SecretResolver, 'resolveFor'>;
  open?: (e: RedisEndpoint, label: string) => Promise<RedisClient>;
}): RedisConnect {
  const open = deps.open ?? openRedis;
  return async (name) => {
    const s = Object.prototype.hasOwnProperty.call(deps.servers, name) ? deps.servers[name] : undefined;
    if (!s)
      throw permanent(
        `no Redis server '${name}' in configuration (redisServers.<name>; known: ${Object.keys(deps.servers).join(', ') || 'none'})`,
        FAILURE.UnknownTarget,
      );
    // Bound like every secret: the password goes only to a server its secrets.<name>.sendTo lists.
    const password = s.passwordSecret ? await deps.secrets.resolveFor(s.passwordSecret, originFor(s)) : undefined;
    const endpoint: RedisEndpoint = {
      host: s.host,
      port: s.port,
      db: s.db,
      tls: s.tls,
      ...(s.username !== undefined ? { username: s.username } : {}),
      ...(password !== undefined ? { password } : {}),
    };
    return { client: await open(endpoint, `Redis server ${name} (${s.host}:${s.port})`), endpoint };
  };
}

/** A connection over ioredis; `label` names the server in failures. */
export async function openRedis(e: RedisEndpoint, label: string): Promise<RedisClient> {
  const redis = new Redis({
    host: e.host,
    port: e.port,
    ...(e.username !== undefined ? { username: e.username } : {}),
    ...(e.password !== undefined ? { password: e.password } : {}),
    ...(e.tls ? { tls: { servername: e.host } } : {}),
    lazyConnect: true,
    connectTimeout: CONNECT_TIMEOUT_MS,
    commandTimeout: COMMAND_TIMEOUT_MS,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
    enableOfflineQueue: false,
    // The actions read INFO themselves; a server still LOADING answers so (retried).
    enableReadyCheck: false,
  });
  // Required: without a listener a server that goes away would crash the worker. ioredis reports
  // the reason here (WRONGPASS, ECONNREFUSED) and rejects connect() only with "Connection is closed".
  let last: unknown;
  redis.on('error', (err: unknown) => (last = err));
  try {
    await redis.connect();
    // AUTH is answered after connect() resolves: a PING behind it fails if it failed.
    await redis.ping();
    // Selected here, not through ioredis' `db` option: that one leaves the connection on db 0
    // when the index is out of range, and a FLUSHDB would then empty the wrong database.
    if (e.db !== 0) await redis.select(e.db);
  } catch (err) {
    redis.disconnect();
    return redisFailure(last ?? err, `connect to ${label}`);
  }
  // A command failing because the connection dropped says only that; the reason came as an event.
  return wrapIoredis(redis, label, () => last);
}

/** The first error of a pipeline's replies, thrown; else the results. */
async function replies(p: ReturnType<Redis['pipeline']>): Promise<unknown[]> {
  const r = (await p.exec()) ?? [];
  const failed = r.find(([err]) => err);
  if (failed?.[0]) throw failed[0];
  return r.map(([, v]) => v);
}

/** How `values` reads each type (the command, then arguments after the key). */
const VALUE_READS: Readonly<Record<string, readonly string[]>> = {
  string: ['GET'],
  list: ['LRANGE', '0', '-1'],
  set: ['SMEMBERS'],
  hash: ['HGETALL'],
  zset: ['ZRANGE', '0', '-1', 'WITHSCORES'],
};

function wrapIoredis(redis: Redis, label: string, lastError: () => unknown): RedisClient {
  const guard =
    <A extends unknown[], R>(fn: (...a: A) => Promise<R>) =>
    async (...a: A): Promise<R> => {
      try {
        return await fn(...a);
      } catch (err) {
        const closed = err instanceof Error && /Connection is closed|Stream isn't writeable/.test(err.message);
        return redisFailure((closed ? lastError() : undefined) ?? err, label);
      }
    };
  const batch = <R>(keys: readonly Buffer[], add: (p: ReturnType<Redis['pipeline']>, k: Buffer) => void) =>
    keys.length === 0
      ? Promise.resolve([] as R[])
      : replies(keys.reduce((p, k) => (add(p, k), p), redis.pipeline())).then((r) => r as R[]);
  return {
    info: guard((section?: string) => (section ? redis.info(section) : redis.info())),
    dbsize: guard(() => redis.dbsize()),
    scan: guard(async (cursor: string, o: { match?: string; count: number }) => {
      const [next, keys] = o.match
        ? await redis.scanBuffer(cursor, 'MATCH', o.match, 'COUNT', o.count)
        : await redis.scanBuffer(cursor, 'COUNT', o.count);
      return { cursor: next.toString(), keys };
    }),
    pttl: guard((keys: readonly Buffer[]) => batch<number>(keys, (p, k) => p.pttl(k))),
    types: guard((keys: readonly Buffer[]) => batch<string>(keys, (p, k) => p.type(k))),
    memoryUsage: guard((keys: readonly Buffer[]) => batch<number | null>(keys, (p, k) => p.call('MEMORY', 'USAGE', k))),
    expire: guard(async (keys: readonly Buffer[], seconds: number, o: { nx: boolean }) =>
      (await batch<number>(keys, (p, k) => (o.nx ? p.call('EXPIRE', k, seconds, 'NX') : p.expire(k, seconds)))).map(
        (n) => n === 1,
      ),
    ),
    dump: guard((keys: readonly Buffer[]) => batch<Buffer | null>(keys, (p, k) => p.dumpBuffer(k))),
    values: guard(async (items: ReadonlyArray<{ key: Buffer; type: string }>) => {
      if (items.length === 0) return [];
      const p = redis.pipeline();
      for (const { key, type } of items) {
        const [cmd, ...args] = VALUE_READS[type] ?? ['DUMP'];
        p.callBuffer(cmd as string, key, ...(args as string[]));
      }
      const r = await replies(p);
      return r.map((v) => (v === null ? null : Array.isArray(v) ? (v as Buffer[]) : [v as Buffer]));
    }),
    restore: guard(async (items: readonly RestoreItem[], o: { replace: boolean }) => {
      if (items.length === 0) return;
      const p = redis.pipeline();
      for (const i of items)
        if (o.replace) p.restore(i.key, i.ttlMs, i.payload, 'REPLACE');
        else p.restore(i.key, i.ttlMs, i.payload);
      await replies(p);
    }),
    flushdb: guard(async () => {
      await redis.flushdb();
    }),
    close: async () => {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

/** Runs `fn` on a fresh connection to the server, closing it however `fn` ends; errors mapped once. */
export async function withServer<T>(
  connect: RedisConnect,
  server: string,
  fn: (c: RedisClient, e: RedisEndpoint) => Promise<T>,
): Promise<T> {
  const s = await connect(server);
  try {
    return await fn(s.client, s.endpoint);
  } catch (err) {
    return redisFailure(err, `Redis server ${server}`);
  } finally {
    await s.client.close().catch(() => undefined);
  }
}

/** A key as text for outputs: UTF-8 (invalid bytes replaced), cut to 200 characters. */
export function keyText(k: Buffer): string {
  const s = k.toString('utf8');
  return s.length > 200 ? `${s.slice(0, 199)}…` : s;
}
