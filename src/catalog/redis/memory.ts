/** `redis:memory:read`: memory figures of a Redis server and its biggest keys among a bounded sample. */
import { z } from 'zod';
import type { CatalogEntry } from '../types';
import { count, NON_RETRYABLE, server } from './common';

const memoryInput = z
  .object({
    server,
    sampleKeys: z
      .number()
      .int()
      .min(0)
      .max(100_000)
      .default(1000)
      .describe('How many keys SCAN samples for MEMORY USAGE (default 1,000; 0 skips the sample).'),
    count,
    limit: z.number().int().min(1).max(100).default(10).describe('How many of the biggest sampled keys to list.'),
  })
  .strict();

const memoryOutput = z.object({
  usedBytes: z.number(),
  peakBytes: z.number(),
  rssBytes: z.number(),
  fragmentationRatio: z.number().describe('RSS / used (mem_fragmentation_ratio).'),
  maxBytes: z.number().nullable().describe('maxmemory; null when there is no limit.'),
  policy: z.string(),
  dbsize: z.number().describe('Keys in the configured database.'),
  sampled: z.number().describe('Keys whose MEMORY USAGE was read.'),
  sampleComplete: z.boolean().describe('Whether the sample covered the whole database.'),
  biggestKeys: z.array(
    z.object({ key: z.string().describe('Cut to 200 characters.'), type: z.string(), bytes: z.number() }),
  ),
});
export type RedisMemoryInput = z.infer<typeof memoryInput>;
export type RedisMemoryResult = z.infer<typeof memoryOutput>;

export const redisMemoryRead: CatalogEntry<typeof memoryInput, typeof memoryOutput, 'redis:memory:read'> = {
  id: 'redis:memory:read',
  description:
    'Read a Redis server’s memory: used, peak and RSS bytes, the fragmentation ratio, maxmemory and its policy, the ' +
    'configured database’s key count, and the biggest keys found by MEMORY USAGE over a bounded SCAN sample.',
  input: memoryInput,
  output: memoryOutput,
  mutating: false,
  nonRetryable: NON_RETRYABLE,
  describe: (i) => `read the memory of Redis server ${i.server}`,
  example: { needs: 'redis', with: { server: 'cache', sampleKeys: 500, limit: 5 } },
};
