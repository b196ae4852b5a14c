/**
 * `redis:key:scan` and `redis:key:expire`: the maintenance procedure's loop (`--scan --pattern`,
 * `ttl`, `expire` when -1) as bounded SCAN batches with one pipeline of PTTL per batch. The repair
 * reads first and writes only keys at -1, with EXPIRE ... NX on Redis 7 so a key that got a TTL
 * between our read and our write keeps its own; before 7 (no NX) it is a plain EXPIRE of the keys
 * just read at -1.
 */
import type {
  RedisKeyExpireInput,
  RedisKeyExpireResult,
  RedisKeyScanInput,
  RedisKeyScanResult,
} from '../../catalog/redis/key';
import { keyText, withServer, type RedisConnect } from './client';
import { majorVersion, parseInfo } from './info';
import { scanKeys } from './scan';

export function createKeyScanAction(connect: RedisConnect) {
  return (i: RedisKeyScanInput): Promise<RedisKeyScanResult> =>
    withServer(connect, i.server, async (c) => {
      let withoutTtl = 0;
      const keys: string[] = [];
      const r = await scanKeys(c, i, async (batch) => {
        const ttls = await c.pttl(batch);
        batch.forEach((k, n) => {
          if (ttls[n] !== -1) return;
          withoutTtl++;
          if (keys.length < i.limit) keys.push(keyText(k));
        });
      });
      return { scanned: r.scanned, withoutTtl, keys, complete: r.complete };
    });
}

export function createKeyExpireAction(connect: RedisConnect) {
  return (i: RedisKeyExpireInput): Promise<RedisKeyExpireResult> =>
    withServer(connect, i.server, async (c) => {
      const nx = majorVersion(parseInfo(await c.info('server'))) >= 7;
      let expired = 0;
      const sample: string[] = [];
      const r = await scanKeys(c, i, async (batch) => {
        const ttls = await c.pttl(batch);
        const bare = batch.filter((_, n) => ttls[n] === -1);
        const set = await c.expire(bare, i.ttlSeconds, { nx });
        bare.forEach((k, n) => {
          if (!set[n]) return; // gone, or given a TTL by someone else since the PTTL
          expired++;
          if (sample.length < i.limit) sample.push(keyText(k));
        });
      });
      const base = { expired, sample, scanned: r.scanned, complete: r.complete };
      if (expired > 0) return { changed: true, ...base };
      return {
        changed: false,
        reason: `no key matching ${i.match} lacks a TTL (${r.scanned} scanned${r.complete ? '' : ', scan incomplete'})`,
        ...base,
      };
    });
}
