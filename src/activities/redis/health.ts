/**
 * `redis:health:read`: one INFO (its default sections) read as the health output. On a primary
 * each `slaveN` line is a replica with its acknowledged offset; on a replica the `master_*`
 * fields describe the link to its primary.
 */
import type { RedisHealthInput, RedisHealthResult } from '../../catalog/redis/health';
import { withServer, type RedisConnect } from './client';
import { num, numOrNull, pairs, parseInfo, text, type InfoFields } from './info';

const ratio = (used: number, max: number): number => Math.round((used / max) * 1000) / 1000;
const iso = (unixSeconds: number): string => new Date(unixSeconds * 1000).toISOString();

function replicas(f: InfoFields): RedisHealthResult['replication']['replicas'] {
  const head = num(f, 'master_repl_offset');
  return [...f]
    .filter(([k]) => /^slave\d+$/.test(k))
    .map(([, v]) => {
      const p = pairs(v);
      const offset = Number(p.offset ?? 0);
      const lag = p.lag === undefined ? NaN : Number(p.lag);
      return {
        address: `${p.ip ?? '?'}:${p.port ?? '?'}`,
        state: p.state ?? 'unknown',
        offset,
        lagBytes: Math.max(0, head - offset),
        lagSeconds: Number.isFinite(lag) ? lag : null,
      };
    });
}

export function healthOf(f: InfoFields): RedisHealthResult {
  const isReplica = text(f, 'role') === 'slave';
  const max = num(f, 'maxmemory');
  const used = num(f, 'used_memory');
  const aofEnabled = num(f, 'aof_enabled') === 1;
  const lastIo = numOrNull(f, 'master_last_io_seconds_ago');
  return {
    version: text(f, 'redis_version'),
    mode: text(f, 'redis_mode') || 'standalone',
    role: isReplica ? 'replica' : 'primary',
    uptimeSeconds: num(f, 'uptime_in_seconds'),
    connectedClients: num(f, 'connected_clients'),
    blockedClients: num(f, 'blocked_clients'),
    memory: {
      usedBytes: used,
      maxBytes: max > 0 ? max : null,
      ratio: max > 0 ? ratio(used, max) : null,
      policy: text(f, 'maxmemory_policy'),
      evictedKeys: num(f, 'evicted_keys'),
    },
    persistence: {
      loading: num(f, 'loading') === 1,
      rdbLastBgsaveStatus: text(f, 'rdb_last_bgsave_status'),
      rdbLastSaveTime: iso(num(f, 'rdb_last_save_time')),
      rdbChangesSinceLastSave: num(f, 'rdb_changes_since_last_save'),
      rdbBgsaveInProgress: num(f, 'rdb_bgsave_in_progress') === 1,
      aofEnabled,
      aofLastWriteStatus: aofEnabled ? text(f, 'aof_last_write_status') : null,
      aofLastBgrewriteStatus: aofEnabled ? text(f, 'aof_last_bgrewrite_status') : null,
      aofRewriteInProgress: num(f, 'aof_rewrite_in_progress') === 1,
    },
    replication: {
      replicas: isReplica ? [] : replicas(f),
      primary: isReplica
        ? {
            host: text(f, 'master_host'),
            port: num(f, 'master_port'),
            linkStatus: text(f, 'master_link_status'),
            // -1 before the first interaction.
            lastIoSecondsAgo: lastIo !== null && lastIo >= 0 ? lastIo : null,
            linkDownSinceSeconds: numOrNull(f, 'master_link_down_since_seconds'),
            syncInProgress: num(f, 'master_sync_in_progress') === 1,
            offset: num(f, 'slave_repl_offset'),
          }
        : null,
    },
  };
}

export function createHealthAction(connect: RedisConnect) {
  return (i: RedisHealthInput): Promise<RedisHealthResult> =>
    withServer(connect, i.server, async (c) => healthOf(parseInfo(await c.info())));
}
