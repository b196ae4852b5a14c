/**
 * VACUUM, REINDEX, ending sessions and promoting a standby. VACUUM and REINDEX CONCURRENTLY cannot
 * run in a transaction block; each goes alone through the extended protocol (one statement, no
 * implicit transaction around it). They run as long as they need (no statement timeout), with a
 * heartbeat while they do.
 */
import type {
  PgArchiveInput,
  PgArchiveResult,
  PgPromoteInput,
  PgPromoteResult,
  PgReindexInput,
  PgReindexResult,
  PgTerminateInput,
  PgTerminateResult,
  PgVacuumInput,
  PgVacuumResult,
} from '../../catalog/postgres/maintenance';
import { FAILURE } from '../../shared/failures';
import { permanent } from '../errors';
import type { ActivityProgress } from '../progress';
import { records, withDatabase, type PgClient, type PgConnect } from './client';
import { quoteIdent } from './manifest';

const rel = (t: string): string => {
  const [schema, name] = t.includes('.') ? t.split('.') : ['public', t];
  return `${quoteIdent(schema as string)}.${quoteIdent(name as string)}`;
};

/** Runs `fn` with a heartbeat every 10 s naming what it waits on. */
async function beating<T>(p: ActivityProgress, what: Record<string, unknown>, fn: () => Promise<T>): Promise<T> {
  p.heartbeat(what);
  const timer = setInterval(() => p.heartbeat(what), 10_000);
  try {
    return await fn();
  } finally {
    clearInterval(timer);
  }
}

const DEAD = `SELECT schemaname || '.' || relname AS t, n_dead_tup::float8 AS dead FROM pg_stat_user_tables`;

async function deadTuples(c: PgClient): Promise<Map<string, number>> {
  return new Map(records(await c.query(DEAD)).map((r) => [String(r.t), Number(r.dead)]));
}

export function createVacuumAction(connect: PgConnect, progress: () => ActivityProgress) {
  return (i: PgVacuumInput): Promise<PgVacuumResult> =>
    withDatabase(connect, i.database, async (c) => {
      const started = performance.now();
      const names = i.tables.map((t) => (t.includes('.') ? t : `public.${t}`));
      await c.query('SET statement_timeout = 0');
      const before = await deadTuples(c);
      for (const t of names) if (!before.has(t)) throw permanent(`no table ${t} in ${i.database}`, FAILURE.NotFound);
      const sql = `VACUUM${i.analyze ? ' (ANALYZE)' : ''}${names.length ? ` ${names.map(rel).join(', ')}` : ''}`;
      await beating(progress(), { phase: 'vacuum', tables: names.length || 'all' }, () => c.query(sql));
      // The statistics collector reports asynchronously; what it says now is what there is to say.
      const after = await deadTuples(c);
      const shown = names.length
        ? names
        : [...before]
            .sort((a, b) => b[1] - a[1])
            .slice(0, 20)
            .map(([t]) => t);
      return {
        changed: true,
        tables: shown.map((t) => ({
          table: t,
          deadTuplesBefore: before.get(t) ?? null,
          deadTuplesAfter: after.get(t) ?? null,
        })),
        durationMs: Math.round(performance.now() - started),
      };
    });
}

export function createReindexAction(connect: PgConnect, progress: () => ActivityProgress) {
  return (i: PgReindexInput): Promise<PgReindexResult> =>
    withDatabase(connect, i.database, async (c) => {
      const started = performance.now();
      await c.query('SET statement_timeout = 0');
      const [v] = records(
        await c.query(`SELECT current_setting('server_version_num')::int AS v, current_database() AS db`),
      );
      const concurrently = i.concurrently && Number(v?.v) >= 120_000;
      const table = i.table ? (i.table.includes('.') ? i.table : `public.${i.table}`) : undefined;
      const [n] = records(
        table
          ? await c.query(
              `SELECT count(*)::int AS n FROM pg_index x JOIN pg_class t ON t.oid = x.indrelid
                 JOIN pg_namespace s ON s.oid = t.relnamespace WHERE s.nspname || '.' || t.relname = $1`,
              [table],
            )
          : await c.query(
              `SELECT count(*)::int AS n FROM pg_index x JOIN pg_class t ON t.oid = x.indrelid
                 JOIN pg_namespace s ON s.oid = t.relnamespace
                 WHERE s.nspname NOT IN ('pg_catalog', 'information_schema') AND s.nspname NOT LIKE 'pg_toast%'`,
            ),
      );
      if (table) {
        const [exists] = records(await c.query(`SELECT to_regclass($1) IS NOT NULL AS ok`, [table]));
        if (exists?.ok !== true) throw permanent(`no table ${table} in ${i.database}`, FAILURE.NotFound);
      }
      // REINDEX { TABLE | DATABASE } [ CONCURRENTLY ] name: the form every server from 12 takes.
      const sql = table
        ? `REINDEX TABLE ${concurrently ? 'CONCURRENTLY ' : ''}${rel(table)}`
        : `REINDEX DATABASE ${concurrently ? 'CONCURRENTLY ' : ''}${quoteIdent(String(v?.db))}`;
      await beating(progress(), { phase: 'reindex', target: table ?? 'database' }, () => c.query(sql));
      return {
        changed: true,
        target: table ?? `database ${String(v?.db)}`,
        concurrently,
        indexes: Number(n?.n ?? 0),
        durationMs: Math.round(performance.now() - started),
      };
    });
}

const MATCHING = `SELECT pid, coalesce(application_name, '') AS app, usename, state,
  extract(epoch FROM now() - coalesce(state_change, backend_start))::float8 AS seconds
  FROM pg_stat_activity
  WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND datname = current_database()
    AND ($1::text IS NULL OR application_name = $1) AND ($2::text IS NULL OR state = $2)
    AND ($3::text IS NULL OR usename = $3) AND now() - coalesce(state_change, backend_start) >= make_interval(secs => $4)
  ORDER BY coalesce(state_change, backend_start)`;

export function createTerminateAction(connect: PgConnect) {
  return (i: PgTerminateInput): Promise<PgTerminateResult> =>
    withDatabase(connect, i.database, async (c) => {
      const matched = records(
        await c.query(MATCHING, [i.application ?? null, i.state ?? null, i.user ?? null, i.minSeconds]),
      );
      const chosen = matched.slice(0, i.limit);
      const terminated: PgTerminateResult['terminated'] = [];
      for (const r of chosen) {
        const [t] = records(await c.query('SELECT pg_terminate_backend($1) AS ok', [Number(r.pid)]));
        // false: it ended on its own meanwhile; nothing to report.
        if (t?.ok !== true) continue;
        terminated.push({
          pid: Number(r.pid),
          application: String(r.app),
          user: r.usename === null || r.usename === undefined ? null : String(r.usename),
          state: r.state === null || r.state === undefined ? null : String(r.state),
          seconds: Math.round(Number(r.seconds) * 10) / 10,
        });
      }
      return { changed: terminated.length > 0, terminated, matched: matched.length };
    });
}

export function createPromoteAction(connect: PgConnect) {
  return (i: PgPromoteInput): Promise<PgPromoteResult> =>
    withDatabase(connect, i.database, async (c) => {
      const started = performance.now();
      const [r] = records(await c.query('SELECT pg_is_in_recovery() AS standby'));
      let changed = false;
      if (r?.standby === true) {
        await c.query(`SET statement_timeout = 0`);
        const [p] = records(await c.query('SELECT pg_promote(true, $1) AS ok', [i.waitSeconds]));
        if (p?.ok !== true)
          throw new Error(
            `${i.database} did not finish promoting within ${i.waitSeconds} s (pg_promote answered false)`,
          );
        changed = true;
      }
      const [s] = records(
        // The timeline from the current WAL file's name: the control file's updates only at the next checkpoint.
        await c.query(`SELECT pg_current_wal_lsn()::text AS lsn,
          ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int AS tli`),
      );
      return {
        changed,
        promoted: true,
        durationMs: Math.round(performance.now() - started),
        lsn: String(s?.lsn),
        timeline: Number(s?.tli),
      };
    });
}

const ARCHIVER = `SELECT current_setting('archive_mode') AS mode, pg_is_in_recovery() AS standby,
  archived_count::int AS archived, last_archived_wal, last_archived_time, failed_count::int AS failed,
  last_failed_wal, last_failed_time,
  extract(epoch FROM now() - last_archived_time)::float8 AS since,
  CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_walfile_name(pg_current_wal_lsn()) END AS current_wal
  FROM pg_stat_archiver`;

const iso = (v: unknown): string | null =>
  v === null || v === undefined ? null : new Date(v as string | Date).toISOString();
const textOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

export function createArchiveAction(connect: PgConnect) {
  return (i: PgArchiveInput): Promise<PgArchiveResult> =>
    withDatabase(connect, i.database, async (c) => {
      const [r] = records(await c.query(ARCHIVER));
      const mode = String(r?.mode ?? 'off');
      const lastOk = r?.last_archived_time ? Date.parse(String(iso(r.last_archived_time))) : 0;
      const lastFail = r?.last_failed_time ? Date.parse(String(iso(r.last_failed_time))) : 0;
      return {
        archiving: mode === 'always' || (mode === 'on' && r?.standby !== true),
        archiveMode: mode,
        archivedCount: Number(r?.archived ?? 0),
        lastArchivedWal: textOrNull(r?.last_archived_wal),
        lastArchivedAt: iso(r?.last_archived_time),
        failedCount: Number(r?.failed ?? 0),
        lastFailedWal: textOrNull(r?.last_failed_wal),
        lastFailedAt: iso(r?.last_failed_time),
        failing: lastFail > lastOk,
        secondsSinceLastArchived: r?.since === null || r?.since === undefined ? null : Math.round(Number(r.since)),
        currentWal: textOrNull(r?.current_wal),
      };
    });
}
