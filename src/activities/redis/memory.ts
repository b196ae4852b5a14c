/**
 * `redis:memory:read`: INFO memory, DBSIZE, and MEMORY USAGE over a bounded SCAN sample (the
 * maintenance procedure's `info memory` and `memory usage`), the biggest keys first.
 */
import type { RedisMemoryInput, RedisMemoryResult } from '../../catalog/redis/memory';
import { keyText, withServer, type RedisConnect } from './client';
import { num, parseInfo, text } from './info';
import { scanKeys } from './scan';

export function createMemoryAction(connect: RedisConnect) {
  return (i: RedisMemoryInput): Promise<RedisMemoryResult> =>
    withServer(connect, i.server, async (c) => {
      const f = parseInfo(await c.info('memory'));
      const dbsize = await c.dbsize();
      let top: Array<{ key: Buffer; bytes: number }> = [];
      const sample =
        i.sampleKeys > 0
          ? await scanKeys(c, { count: i.count, maxKeys: i.sampleKeys }, async (keys) => {
              const sizes = await c.memoryUsage(keys);
              keys.forEach((key, n) => {
                const bytes = sizes[n];
                if (typeof bytes === 'number') top.push({ key, bytes });
              });
              // Only the biggest `limit` matter: trimmed as it goes, so a large sample stays small.
              if (top.length > i.limit * 4) top = biggest(top, i.limit);
            })
          : { scanned: 0, complete: dbsize === 0 };
      top = biggest(top, i.limit);
      const types = await c.types(top.map((t) => t.key));
      const max = num(f, 'maxmemory');
      return {
        usedBytes: num(f, 'used_memory'),
        peakBytes: num(f, 'used_memory_peak'),
        rssBytes: num(f, 'used_memory_rss'),
        fragmentationRatio: num(f, 'mem_fragmentation_ratio'),
        maxBytes: max > 0 ? max : null,
        policy: text(f, 'maxmemory_policy'),
        dbsize,
        sampled: sample.scanned,
        sampleComplete: sample.complete,
        biggestKeys: top.map((t, n) => ({ key: keyText(t.key), type: types[n] ?? 'none', bytes: t.bytes })),
      };
    });
}

function biggest<T extends { key: Buffer; bytes: number }>(all: T[], limit: number): T[] {
  return [...all].sort((a, b) => b.bytes - a.bytes || Buffer.compare(a.key, b.key)).slice(0, limit);
}
