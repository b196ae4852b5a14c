/**
 * `pg:health:read`: a handful of catalog queries on one connection. On a standby the primary's
 * view (pg_stat_replication, pg_current_wal_lsn) does not apply, so it reads its own replay state.
 */
import type { PgHealthInput, PgHealthResult } from '../../catalog/postgres/health';
import { records, withDatabase, type PgConnect } from './client';

const QUERY_CHARS = 200;

const SERVER = `SELECT current_setting('server_version') AS version, pg_is_in_recovery() AS in_recovery,
  current_setting('max_connections')::int AS max_connections`;
// Client backends only (not the checkpointer, WAL senders, ...), and not this check's own connection.
const ACTIVITY = `SELECT coalesce(state, 'unknown') AS state, coalesce(nullif(application_name, ''), '(none)') AS app,
  count(*)::int AS n
  FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() GROUP BY 1, 2`;
const STANDBYS = `SELECT application_name, host(client_addr) AS client_addr, state, sync_state,
  pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::float8 AS lag_bytes,
  extract(epoch FROM replay_lag)::float8 AS replay_lag
  FROM pg_stat_replication ORDER BY application_name LIMIT $1`;
const RECEIVER = `SELECT pg_last_wal_receive_lsn()::text AS receive_lsn, pg_last_wal_replay_lsn()::text AS replay_lsn,
  extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8 AS replay_delay`;
const LONG = `SELECT pid, coalesce(application_name, '') AS app, usename, state,
  extract(epoch FROM now() - xact_start)::float8 AS seconds, left(query, ${QUERY_CHARS}) AS query
  FROM pg_stat_activity
  WHERE xact_start IS NOT NULL AND pid <> pg_backend_pid() AND now() - xact_start > make_interval(secs => $1)
  ORDER BY xact_start LIMIT $2`;
const BLOCKED = `SELECT pid, pg_blocking_pids(pid) AS blocked_by, coalesce(application_name, '') AS app,
  extract(epoch FROM now() - query_start)::float8 AS wait_seconds, left(query, ${QUERY_CHARS}) AS query
  FROM pg_stat_activity WHERE cardinality(pg_blocking_pids(pid)) > 0 ORDER BY query_start LIMIT $1`;

const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v));
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : num(v));
const text = (v: unknown): string => (v === null || v === undefined ? '' : String(v));
const textOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const round = (v: number | null, places = 3): number | null =>
  v === null ? null : Math.round(v * 10 ** places) / 10 ** places;

/** Counts summed by key, largest first, at most `limit`. */
function tally(rows: Array<{ key: string; n: number }>, limit: number): Array<{ name: string; count: number }> {
  const m = new Map<string, number>();
  for (const r of rows) m.set(r.key, (m.get(r.key) ?? 0) + r.n);
  return [...m]
    .map(([name, count]) => ({ name, count }))
    .sort((a, b) => b.count - a.count || a.name.localeCompare(b.name))
    .slice(0, limit);
}

export function createHealthAction(connect: PgConnect) {
  return (i: PgHealthInput): Promise<PgHealthResult> =>
    withDatabase(connect, i.database, async (c) => {
      const [server] = records(await c.query(SERVER));
      const inRecovery = server?.in_recovery === true;
      const max = num(server?.max_connections);
      const activity = records(await c.query(ACTIVITY)).map((r) => ({
        state: text(r.state),
        app: text(r.app),
        n: num(r.n),
      }));
      const used = activity.reduce((s, r) => s + r.n, 0);
      const standbys = inRecovery
        ? []
        : records(await c.query(STANDBYS, [i.limit])).map((r) => ({
            applicationName: text(r.application_name),
            clientAddr: textOrNull(r.client_addr),
            state: text(r.state),
            syncState: text(r.sync_state),
            lagBytes: numOrNull(r.lag_bytes),
            replayLagSeconds: round(numOrNull(r.replay_lag)),
          }));
      const receiver = inRecovery ? records(await c.query(RECEIVER))[0] : undefined;
      const long = records(await c.query(LONG, [i.longTransactionSeconds, i.limit])).map((r) => ({
        pid: num(r.pid),
        application: text(r.app),
        user: textOrNull(r.usename),
        state: textOrNull(r.state),
        seconds: round(num(r.seconds)) ?? 0,
        query: text(r.query),
      }));
      const blocked = records(await c.query(BLOCKED, [i.limit])).map((r) => ({
        pid: num(r.pid),
        blockedBy: (Array.isArray(r.blocked_by) ? r.blocked_by : []).map(num),
        application: text(r.app),
        waitSeconds: round(numOrNull(r.wait_seconds)) ?? 0,
        query: text(r.query),
      }));
      return {
        serverVersion: text(server?.version),
        inRecovery,
        connections: {
          used,
          max,
          ratio: max > 0 ? (round(used / max) ?? 0) : 0,
          byState: tally(
            activity.map((r) => ({ key: r.state, n: r.n })),
            i.limit,
          ),
          byApplication: tally(
            activity.map((r) => ({ key: r.app, n: r.n })),
            i.limit,
          ),
        },
        replication: {
          standbys,
          standby: receiver
            ? {
                receiveLsn: textOrNull(receiver.receive_lsn),
                replayLsn: textOrNull(receiver.replay_lsn),
                replayDelaySeconds: round(numOrNull(receiver.replay_delay)),
              }
            : null,
        },
        longTransactions: long,
        blockedQueries: blocked,
      };
    });
}
