/**
 * The dataset digest (`redis-dataset-digest-v1`, docs/redis.md): what a Redis database holds,
 * as one sha256, so a backup can say what it contains and a restore can prove it put exactly that
 * back. Per key, sha256 over length-prefixed fields:
 *
 *   key bytes | TYPE | whether it has a TTL (not the TTL itself: that shrinks as time passes) |
 *   the value, canonical: a string's bytes; a list's elements in order; a set's members sorted;
 *   a hash's field/value pairs sorted by field; a sorted set's members and scores by rank;
 *   any other type (streams, modules) its DUMP payload without the 10-byte footer
 *
 * and those per-key hashes are combined by addition modulo 2^256 (a multiset hash): independent
 * of SCAN's order, so a database of any size is digested in one pass without a sorted key list.
 * The digest is sha256 of `redis-dataset-digest-v1`, the key count and that sum. The database's
 * index is not part of it: db 0 restored into db 3 digests the same.
 *
 * Values, not DUMP payloads, for the common types: DUMP serializes a set or hash in its hash
 * table's order, which depends on a seed each redis-server process picks at random, and the
 * encoding (listpack, ziplist, hashtable) depends on version and thresholds. Streams are still
 * digested by their DUMP payload, which depends on the Redis version: the manifest records it.
 * Keys with a TTL can expire between a backup and a restore, so `persistentDigest` covers only the
 * keys without one: those must always come back exactly.
 */
import { createHash } from 'node:crypto';
import type { RedisClient } from './client';
import { scanKeys } from './scan';

export const DIGEST_ALGORITHM = 'redis-dataset-digest-v1';
const MOD = 1n << 256n;
/** DUMP's footer: 2 bytes of RDB version and 8 of CRC64, which differ between versions for the same value. */
const DUMP_FOOTER = 10;
const VALUE_TYPES = new Set(['string', 'list', 'set', 'hash', 'zset']);

export interface DbDigest {
  keys: number;
  /** Keys with a TTL. */
  volatileKeys: number;
  digest: string;
  persistentDigest: string;
}

/** A value's parts in a canonical order (see the file comment). */
export function canonicalValue(type: string, parts: readonly Buffer[]): Buffer[] {
  if (type === 'set') return [...parts].sort(Buffer.compare);
  if (type === 'hash') {
    const pairs: Array<[Buffer, Buffer]> = [];
    for (let n = 0; n + 1 < parts.length; n += 2) pairs.push([parts[n] as Buffer, parts[n + 1] as Buffer]);
    return pairs.sort((a, b) => Buffer.compare(a[0], b[0])).flat();
  }
  if (VALUE_TYPES.has(type)) return [...parts];
  const payload = parts[0] ?? Buffer.alloc(0);
  return [payload.subarray(0, Math.max(0, payload.length - DUMP_FOOTER))];
}

const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};

/** One key's record, hashed (`parts` as `values` read them). */
export function keyHash(key: Buffer, type: string, hasTtl: boolean, parts: readonly Buffer[]): bigint {
  const h = createHash('sha256');
  h.update(u32(key.length)).update(key);
  h.update(u32(Buffer.byteLength(type))).update(type);
  h.update(Buffer.from([hasTtl ? 1 : 0]));
  const value = canonicalValue(type, parts);
  h.update(u32(value.length));
  for (const v of value) h.update(u32(v.length)).update(v);
  return BigInt(`0x${h.digest('hex')}`);
}

/** Sums key hashes as a database is read; `result()` is its digest. */
export class DigestAccumulator {
  private persistent = { count: 0, sum: 0n };
  private volatile = { count: 0, sum: 0n };

  add(key: Buffer, type: string, ttlMs: number, parts: readonly Buffer[]): void {
    const hasTtl = ttlMs > 0;
    const part = hasTtl ? this.volatile : this.persistent;
    part.count++;
    part.sum = (part.sum + keyHash(key, type, hasTtl, parts)) % MOD;
  }

  result(): DbDigest {
    const p = this.persistent;
    const v = this.volatile;
    return {
      keys: p.count + v.count,
      volatileKeys: v.count,
      digest: finish(p.count + v.count, (p.sum + v.sum) % MOD),
      persistentDigest: finish(p.count, p.sum),
    };
  }
}

function finish(count: number, sum: bigint): string {
  return createHash('sha256')
    .update(`${DIGEST_ALGORITHM}\n${count}\n${sum.toString(16).padStart(64, '0')}`)
    .digest('hex');
}

/** The digest of a whole backup: its databases' digests by index. */
export function backupDigest(dbs: ReadonlyArray<{ db: number; digest: string }>): string {
  const lines = [...dbs].sort((a, b) => a.db - b.db).map((d) => `db${d.db}:${d.digest}`);
  return createHash('sha256')
    .update(`${DIGEST_ALGORITHM}\n${lines.join('\n')}`)
    .digest('hex');
}

/** A key as read for the digest or a copy: its type, PTTL (-1 none) and DUMP payload. */
export interface KeyDump {
  key: Buffer;
  type: string;
  ttlMs: number;
  payload: Buffer;
}

/** TYPE, PTTL and DUMP of each key of a batch; keys gone meanwhile are left out. */
export async function dumpKeys(c: Pick<RedisClient, 'types' | 'pttl' | 'dump'>, keys: Buffer[]): Promise<KeyDump[]> {
  const [types, ttls, payloads] = await Promise.all([c.types(keys), c.pttl(keys), c.dump(keys)]);
  const out: KeyDump[] = [];
  keys.forEach((key, n) => {
    const type = types[n];
    const ttlMs = ttls[n];
    const payload = payloads[n];
    if (!type || type === 'none' || ttlMs === undefined || ttlMs === -2 || !payload) return;
    out.push({ key, type, ttlMs, payload });
  });
  return out;
}

/** Reads the whole connected database: its digest (`onBatch` told the keys read so far, for heartbeats). */
export async function digestDatabase(
  c: Pick<RedisClient, 'scan' | 'types' | 'pttl' | 'values'>,
  o: { count?: number; onBatch?: (keysSoFar: number) => void } = {},
): Promise<DbDigest> {
  const acc = new DigestAccumulator();
  let read = 0;
  await scanKeys(c, { count: o.count ?? 1000, maxKeys: Number.MAX_SAFE_INTEGER }, async (keys) => {
    const [types, ttls] = await Promise.all([c.types(keys), c.pttl(keys)]);
    const live = keys.flatMap((key, n) => {
      const type = types[n];
      const ttlMs = ttls[n];
      return type && type !== 'none' && ttlMs !== undefined && ttlMs !== -2 ? [{ key, type, ttlMs }] : [];
    });
    const values = await c.values(live);
    live.forEach((k, n) => {
      const parts = values[n];
      if (parts) acc.add(k.key, k.type, k.ttlMs, parts);
    });
    read += keys.length;
    o.onBatch?.(read);
  });
  return acc.result();
}

/** Copies every key of `from` into `to` with DUMP and RESTORE, keeping TTLs; the number copied. */
export async function copyDatabase(
  from: Pick<RedisClient, 'scan' | 'types' | 'pttl' | 'dump'>,
  to: Pick<RedisClient, 'restore'>,
  o: { replace: boolean; count?: number; onBatch?: (copied: number) => void },
): Promise<number> {
  let copied = 0;
  await scanKeys(from, { count: o.count ?? 1000, maxKeys: Number.MAX_SAFE_INTEGER }, async (keys) => {
    const dumps = await dumpKeys(from, keys);
    await to.restore(
      dumps.map((d) => ({ key: d.key, ttlMs: d.ttlMs > 0 ? d.ttlMs : 0, payload: d.payload })),
      { replace: o.replace },
    );
    copied += dumps.length;
    o.onBatch?.(copied);
  });
  return copied;
}
