/**
 * `redis:key:scan` and `redis:key:expire`: keys matching a pattern that never expire, found by a
 * bounded SCAN, and the repair that gives them a TTL (the maintenance procedure's loop of
 * `redis-cli --scan --pattern ...`, `ttl`, `expire`), idempotent.
 */
import { z } from 'zod';
import type { CatalogEntry } from '../types';
import { count, limit, match, maxKeys, NON_RETRYABLE, server } from './common';

const scanInput = z.object({ server, match, maxKeys, count, limit }).strict();

const scanOutput = z.object({
  scanned: z.number().describe('Keys looked at (at most maxKeys).'),
  withoutTtl: z.number().describe('Of those, keys with no expiry (PTTL -1).'),
  keys: z.array(z.string()).describe('The first `limit` keys without a TTL, each cut to 200 characters.'),
  complete: z.boolean().describe('Whether the scan went through the whole database before maxKeys.'),
});
export type RedisKeyScanInput = z.infer<typeof scanInput>;
export type RedisKeyScanResult = z.infer<typeof scanOutput>;

export const redisKeyScan: CatalogEntry<typeof scanInput, typeof scanOutput, 'redis:key:scan'> = {
  id: 'redis:key:scan',
  description:
    'Find keys matching a pattern that have no TTL: SCAN with MATCH and COUNT over the configured database, at most ' +
    'maxKeys keys looked at, PTTL of each. Answers how many were scanned, how many have no TTL, the first `limit` of ' +
    'them and whether the scan completed. SCAN never blocks the server the way KEYS does.',
  input: scanInput,
  output: scanOutput,
  mutating: false,
  nonRetryable: NON_RETRYABLE,
  describe: (i) => `list keys matching ${i.match} without a TTL on Redis server ${i.server}`,
  example: { needs: 'redis', with: { server: 'cache', match: 'request:*', maxKeys: 10000 } },
};

const expireInput = z
  .object({
    server,
    match,
    ttlSeconds: z
      .number()
      .int()
      .min(1)
      .max(31_536_000 * 10)
      .describe('The TTL given to each key that has none, in seconds (86400: a day).'),
    maxKeys,
    count,
    limit,
  })
  .strict();

const expireOutput = z.object({
  changed: z.boolean(),
  reason: z.string().optional().describe('Why nothing changed.'),
  expired: z.number().describe('Keys given a TTL by this call.'),
  sample: z.array(z.string()).describe('The first `limit` of them, each cut to 200 characters.'),
  scanned: z.number(),
  complete: z.boolean().describe('Whether the scan went through the whole database before maxKeys.'),
});
export type RedisKeyExpireInput = z.infer<typeof expireInput>;
export type RedisKeyExpireResult = z.infer<typeof expireOutput>;

export const redisKeyExpire: CatalogEntry<typeof expireInput, typeof expireOutput, 'redis:key:expire'> = {
  id: 'redis:key:expire',
  description:
    'Give a TTL to keys matching a pattern that have none: a bounded SCAN (maxKeys), PTTL of each, then EXPIRE ... NX ' +
    '(Redis 7; a key that gained a TTL meanwhile keeps it) for those at -1. Keys that already expire are never ' +
    'touched, so a second run changes nothing (`changed: false`). Incomplete scans (maxKeys reached) can be run again.',
  input: expireInput,
  output: expireOutput,
  mutating: true,
  nonRetryable: NON_RETRYABLE,
  describe: (i) =>
    `give keys matching ${i.match} on Redis server ${i.server} that never expire a TTL of ${i.ttlSeconds}s ` +
    `(at most ${i.maxKeys} keys scanned)`,
  example: { needs: 'redis', with: { server: 'cache', match: 'request:*', ttlSeconds: 86400 } },
};
