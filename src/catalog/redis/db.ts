/** `redis:db:flush`: FLUSHDB of the configured database (the emergency recovery procedure's "clear problematic state"). */
import { z } from 'zod';
import type { CatalogEntry } from '../types';
import { NON_RETRYABLE, server } from './common';

const flushInput = z.object({ server }).strict();

const flushOutput = z.object({
  changed: z.boolean(),
  reason: z.string().optional().describe('Why nothing changed.'),
  db: z.number(),
  keysRemoved: z.number().describe('DBSIZE read just before the FLUSHDB.'),
});
export type RedisDbFlushInput = z.infer<typeof flushInput>;
export type RedisDbFlushResult = z.infer<typeof flushOutput>;

export const redisDbFlush: CatalogEntry<typeof flushInput, typeof flushOutput, 'redis:db:flush'> = {
  id: 'redis:db:flush',
  description:
    'Remove every key of the configured database (FLUSHDB, synchronous; other databases are untouched). Reads DBSIZE ' +
    'first: an empty database is `changed: false`. Cannot be taken back: a step naming it must be covered by an ' +
    'approval, and a `redis:backup:create` step before it keeps a way back.',
  input: flushInput,
  output: flushOutput,
  mutating: true,
  requiresApproval: true,
  nonRetryable: NON_RETRYABLE,
  describe: (i) => `remove every key of the configured database of Redis server ${i.server} (FLUSHDB)`,
  example: { needs: 'redis', with: { server: 'cache-scratch' } },
};
