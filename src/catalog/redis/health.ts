/** `redis:health:read`: role, replication, persistence, memory and clients of one Redis server, from INFO. */
import { z } from 'zod';
import type { CatalogEntry } from '../types';
import { NON_RETRYABLE, server } from './common';

const healthInput = z.object({ server }).strict();

const healthOutput = z.object({
  version: z.string(),
  mode: z.string().describe('standalone, cluster or sentinel (redis_mode).'),
  role: z.enum(['primary', 'replica']),
  uptimeSeconds: z.number(),
  connectedClients: z.number(),
  blockedClients: z.number(),
  memory: z.object({
    usedBytes: z.number(),
    maxBytes: z.number().nullable().describe('maxmemory; null when there is no limit (0).'),
    ratio: z.number().nullable().describe('used / max, 0..1; null without a limit.'),
    policy: z.string().describe('maxmemory-policy.'),
    evictedKeys: z.number().describe('Keys evicted for maxmemory since the start (INFO stats).'),
  }),
  persistence: z.object({
    loading: z.boolean(),
    rdbLastBgsaveStatus: z.string().describe('ok or err: whether the last snapshot succeeded.'),
    rdbLastSaveTime: z.string().describe('When the last snapshot succeeded (ISO 8601).'),
    rdbChangesSinceLastSave: z.number(),
    rdbBgsaveInProgress: z.boolean(),
    aofEnabled: z.boolean(),
    aofLastWriteStatus: z.string().nullable().describe('ok or err; null when AOF is off.'),
    aofLastBgrewriteStatus: z.string().nullable(),
    aofRewriteInProgress: z.boolean(),
  }),
  replication: z.object({
    replicas: z
      .array(
        z.object({
          address: z.string().describe('ip:port the replica announced.'),
          state: z.string().describe('online, wait_bgsave, send_bulk, ...'),
          offset: z.number(),
          lagBytes: z.number().describe('How far its acknowledged offset is behind master_repl_offset.'),
          lagSeconds: z.number().nullable().describe('Seconds since its last acknowledgement.'),
        }),
      )
      .describe('On a primary: each connected replica.'),
    primary: z
      .object({
        host: z.string(),
        port: z.number(),
        linkStatus: z.string().describe('up or down (master_link_status).'),
        lastIoSecondsAgo: z.number().nullable().describe('Seconds since the last interaction with the primary.'),
        linkDownSinceSeconds: z.number().nullable().describe('How long the link has been down; null while up.'),
        syncInProgress: z.boolean(),
        offset: z.number().describe('slave_repl_offset: what this replica has processed.'),
      })
      .nullable()
      .describe('On a replica: its primary and the link to it; null on a primary.'),
  }),
});
export type RedisHealthInput = z.infer<typeof healthInput>;
export type RedisHealthResult = z.infer<typeof healthOutput>;

export const redisHealthRead: CatalogEntry<typeof healthInput, typeof healthOutput, 'redis:health:read'> = {
  id: 'redis:health:read',
  description:
    'Read a Redis server’s health from INFO: its role and replication (on a primary each replica’s state and lag in ' +
    'bytes and seconds; on a replica the link to its primary), persistence (last snapshot status and time, changes ' +
    'since, AOF status), the version, uptime, connected and blocked clients, memory used against maxmemory with the ' +
    'eviction policy, and keys evicted.',
  input: healthInput,
  output: healthOutput,
  mutating: false,
  nonRetryable: NON_RETRYABLE,
  describe: (i) => `read the health of Redis server ${i.server}`,
  example: { needs: 'redis', with: { server: 'cache' } },
};
