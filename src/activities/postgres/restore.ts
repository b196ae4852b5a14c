/**
 * `pg:backup:restore` and `pg:database:drop`. A restore never leaves a half-restored database
 * under the name asked for: the dump is checked against its sha256 before anything is created,
 * restored into `<into>__restoring`, compared table by table with the manifest (each table summed as
 * soon as pg_restore has committed its rows, while it goes on with the rest), marked with a
 * comment naming the backup, and only then renamed to `into`. A worker killed at any point leaves
 * `into` absent (or as it was) and a staging copy the retry drops, or, past the mark, renames.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PgBackupRestoreInput, PgBackupRestoreResult } from '../../catalog/postgres/backup';
import type { PgDatabaseDropInput, PgDatabaseDropResult } from '../../catalog/postgres/database';
import type { StepContext } from '../../shared/activity-types';
import { FAILURE } from '../../shared/failures';
import { permanent } from '../errors';
import { throttled } from '../progress';
import { DUMP_FILE, findBackup, summaryOf, type BackupDeps } from './backup';
import { records, withDatabase, type PgClient } from './client';
import { compareTables, quoteIdent, type BackupManifest, type RowHash } from './manifest';
import { createRestoreVerifier, type RestoreVerifier } from './verify';

const STAGING_SUFFIX = '__restoring';
const MARK = 'durable-runbooks';

/**
 * The comment a restored database carries: which backup, whether it is a scratch copy, and which
 * step made it (so only that step's retry takes it as done; a later restore of the same backup
 * into a database that has lived on since restores again).
 */
export function restoreMark(m: Pick<BackupManifest, 'id' | 'database'>, scratch: boolean, step: string): string {
  const by = createHash('sha256').update(step).digest('hex').slice(0, 12);
  return `${MARK} ${scratch ? 'scratch ' : ''}restore of backup ${m.id} (${m.database}), verified, step ${by}`;
}
const isScratchMark = (comment: string | null): boolean => !!comment?.startsWith(`${MARK} scratch restore of backup `);

async function describeDb(m: PgClient, name: string): Promise<{ exists: boolean; comment: string | null }> {
  const [r] = records(
    await m.query(`SELECT shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE datname = $1`, [
      name,
    ]),
  );
  return { exists: !!r, comment: r ? ((r.comment as string | null) ?? null) : null };
}

/** DROP DATABASE, ending its sessions first (WITH (FORCE) from PostgreSQL 13). Returns how many it ended. */
async function dropDb(m: PgClient, name: string): Promise<number> {
  const [n] = records(
    await m.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [
      name,
    ]),
  );
  const [v] = records(await m.query(`SELECT current_setting('server_version_num')::int AS v`));
  if (Number(v?.v) >= 130_000) await m.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
  else {
    await m.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, [name]);
    await m.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)}`);
  }
  return Number(n?.n ?? 0);
}

export function createRestoreAction(deps: BackupDeps) {
  const now = deps.now ?? (() => new Date());
  return async (i: PgBackupRestoreInput, ctx: StepContext): Promise<PgBackupRestoreResult> => {
    const started = performance.now();
    const store = await deps.openStore(i.store);
    const { manifest, key } = await findBackup(store, i.from ?? i.database, i.prefix, i.backup);
    // The manifest is read from a store: its dump must be the one in its own folder.
    const dumpKey = `${key.slice(0, key.lastIndexOf('/') + 1)}${DUMP_FILE}`;
    if (manifest.dump.key !== dumpKey)
      throw permanent(
        `backup manifest ${key} names a dump outside its folder (${manifest.dump.key})`,
        FAILURE.IntegrityFailed,
      );
    const backup = summaryOf(manifest, key);
    const mark = restoreMark(manifest, i.scratch, ctx.idempotencyKey);
    const staging = `${i.into}${STAGING_SUFFIX}`;
    if (i.into === i.maintenanceDatabase)
      throw permanent(`cannot restore into the maintenance database ${i.into}`, FAILURE.InvalidInput);
    const result = (o: Partial<PgBackupRestoreResult> & { changed: boolean; replaced: boolean }) => ({
      into: i.into,
      backup,
      verified: true as const,
      tables: manifest.totals.tables,
      rows: manifest.totals.rows,
      bytes: manifest.dump.size,
      durationMs: Math.round(performance.now() - started),
      downloadMs: 0,
      restoreMs: 0,
      verifyMs: 0,
      backupAgeSeconds: Math.round((now().getTime() - Date.parse(manifest.snapshotAt)) / 1000),
      ...o,
    });

    // One restore into a name at a time, held on a connection kept for the whole restore: a second
    // attempt (its heartbeat was late) waits for this one rather than dropping its staging copy,
    // and a dead worker's connection closes, which frees the lock.
    const m = await deps.connect(i.database, { dbname: i.maintenanceDatabase });
    const p = deps.progress();
    const beat = throttled(p);
    let last: Record<string, unknown> = { phase: 'start' };
    const tell = (d: Record<string, unknown>): void => {
      last = d;
      beat(d);
    };
    // A single long COPY or CREATE INDEX says nothing for minutes: the last progress again.
    const keepAlive = setInterval(() => p.heartbeat(last), 10_000);
    const work = await mkdtemp(join(deps.workDir ?? tmpdir(), 'pg-restore-'));
    const file = join(work, DUMP_FILE);
    let marked = false;
    let locked = false;
    let verifier: RestoreVerifier | undefined;
    try {
      await m.query('SET statement_timeout = 0');
      const [l] = records(
        await m.query('SELECT pg_try_advisory_lock(hashtext($1)) AS ok', [`${MARK} restore ${i.into}`]),
      );
      if (l?.ok !== true)
        throw new Error(`another restore into ${i.into} is running on ${i.database}'s server; retried`);
      locked = true;

      // Read first: the target already holding this step's restore (a retry after the rename) is
      // done; a staging copy already marked (the worker died before the rename) only needs renaming.
      const into = await describeDb(m, i.into);
      if (into.exists && into.comment === mark) {
        marked = true;
        return result({ changed: false, replaced: false });
      }
      if (into.exists && !i.replace)
        throw permanent(
          `database ${i.into} already exists on ${i.database}'s server; restore into another name, or set replace: true (guarded by an approval)`,
          FAILURE.InvalidInput,
        );
      if ((await describeDb(m, staging)).comment === mark) {
        marked = true;
        return result({ changed: true, replaced: await swapIn(m, staging, i.into) });
      }

      // Checked before anything is created: a corrupted dump never reaches the server.
      const downloadStarted = performance.now();
      const got = await store.getFile(manifest.dump.key, file, {
        onProgress: (bytes) => tell({ phase: 'download', bytes, of: manifest.dump.size }),
        ...(p.signal ? { signal: p.signal } : {}),
      });
      if (got.sha256 !== manifest.dump.sha256 || got.size !== manifest.dump.size || got.size === 0)
        throw permanent(
          `the dump of backup ${manifest.id} is not the one its manifest names (sha256 ${got.sha256}, ${got.size} bytes; manifest ${manifest.dump.sha256}, ${manifest.dump.size} bytes)`,
          FAILURE.IntegrityFailed,
        );
      const downloadMs = Math.round(performance.now() - downloadStarted);

      await dropDb(m, staging);
      await m.query(
        `CREATE DATABASE ${quoteIdent(staging)} TEMPLATE template0${manifest.encoding ? ` ENCODING '${manifest.encoding}'` : ''}`,
      );
      const restoreStarted = performance.now();
      const target = await deps.resolve(i.database);
      // Checksums where the backup took them; a rows-only backup is checked on its counts.
      let checked = 0;
      let loaded = 0;
      const stop = new AbortController();
      p.signal?.addEventListener('abort', () => stop.abort(p.signal?.reason), { once: true });
      verifier = createRestoreVerifier({
        connect: () => deps.connect(i.database, { dbname: staging }),
        checksums: manifest.tables.some((t) => t.checksum !== null),
        hashOf: hashesOf(manifest),
        onTable: (n) => {
          checked = n;
          tell({ phase: 'restore', tablesLoaded: loaded, tablesChecked: checked, of: manifest.totals.tables });
        },
        onError: (err) => stop.abort(err),
      });
      const v = verifier;
      await deps.runTool({
        tool: 'pg_restore',
        target,
        dbname: staging,
        args: [
          '--exit-on-error',
          `--jobs=${i.jobs}`,
          '--no-password',
          '--verbose',
          `--dbname=${staging}`,
          ...(i.owners ? [] : ['--no-owner', '--no-privileges']),
          file,
        ],
        onLine: (line) => {
          v.line(line);
          if (!/processing data for table/.test(line)) return;
          loaded += 1;
          tell({ phase: 'restore', tablesLoaded: loaded, tablesChecked: checked, of: manifest.totals.tables });
        },
        signal: stop.signal,
      });
      const restoreMs = Math.round(performance.now() - restoreStarted);

      // What was not summed while pg_restore worked (all of it after a serial restore).
      const verifyStarted = performance.now();
      tell({ phase: 'verify', tablesChecked: checked, of: manifest.totals.tables });
      const actual = await v.finish();
      // Closed before the swap ends the copy's sessions.
      await v.close();
      const differences = compareTables(manifest.tables, actual);
      if (differences.length)
        throw permanent(
          `restore of backup ${manifest.id} into ${i.into} differs from its manifest in ${differences.length} table(s): ${differences
            .slice(0, 5)
            .map(describeDifference)
            .join('; ')}`,
          FAILURE.IntegrityFailed,
        );
      const verifyMs = Math.round(performance.now() - verifyStarted);

      await m.query(`COMMENT ON DATABASE ${quoteIdent(staging)} IS '${mark.replace(/'/g, "''")}'`);
      // From here the copy is whole and proved: a failure below leaves it for the retry to rename.
      marked = true;
      const replaced = await swapIn(m, staging, i.into);
      beat({ phase: 'done', tables: actual.length }, true);
      return result({ changed: true, replaced, downloadMs, restoreMs, verifyMs });
    } finally {
      clearInterval(keepAlive);
      await verifier?.close();
      await rm(work, { recursive: true, force: true });
      // Failed or cancelled before it was proved: no half-restored copy stays behind.
      if (locked && !marked) await dropDb(m, staging).catch(() => undefined);
      await m.end().catch(() => undefined);
    }
  };
}

/** Each table's row hash as the manifest took it, to take the copy's the same way. */
function hashesOf(m: BackupManifest): (t: { schema: string; name: string }) => RowHash {
  const byName = new Map(m.tables.map((t) => [`${t.schema}.${t.name}`, t.hash ?? 'text']));
  return (t) => byName.get(`${t.schema}.${t.name}`) ?? 'text';
}

function describeDifference(d: ReturnType<typeof compareTables>[number]): string {
  const rows = (x: { rows: number } | null): string => (x ? `${x.rows} rows` : 'absent');
  const same = d.expected && d.actual && d.expected.rows === d.actual.rows;
  return `${d.table} (expected ${rows(d.expected)}, got ${rows(d.actual)}${same ? ', checksum differs' : ''})`;
}

/**
 * Puts the proved staging copy in place: its sessions ended, the old `into` renamed aside, the
 * copy renamed, the old one dropped. `into` is missing only between two renames, never for a
 * drop, and a crash there leaves both databases for the retry (which renames the marked copy).
 */
async function swapIn(m: PgClient, staging: string, into: string): Promise<boolean> {
  const aside = `${into}__replaced`;
  await m.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, [staging]);
  const replaced = (await describeDb(m, into)).exists;
  if (replaced) {
    await dropDb(m, aside);
    await m.query(`ALTER DATABASE ${quoteIdent(into)} RENAME TO ${quoteIdent(aside)}`);
  }
  await m.query(`ALTER DATABASE ${quoteIdent(staging)} RENAME TO ${quoteIdent(into)}`);
  if (replaced) await dropDb(m, aside);
  return replaced;
}

export function createDropAction(deps: Pick<BackupDeps, 'connect' | 'resolve'>) {
  return async (i: PgDatabaseDropInput): Promise<PgDatabaseDropResult> => {
    const target = await deps.resolve(i.database);
    if (i.name === target.database || i.name === i.maintenanceDatabase)
      throw permanent(
        `refusing to drop ${i.name}: it is the configured database or the maintenance database`,
        FAILURE.InvalidInput,
      );
    return withDatabase(
      deps.connect,
      i.database,
      async (m) => {
        const db = await describeDb(m, i.name);
        if (!db.exists) return { name: i.name, changed: false, terminated: 0 };
        if (i.onlyScratch && !isScratchMark(db.comment))
          throw permanent(
            `database ${i.name} is not a scratch restore (its comment does not say so); drop it with onlyScratch: false, guarded by an approval`,
            FAILURE.InvalidInput,
          );
        const terminated = await dropDb(m, i.name);
        return { name: i.name, changed: true, terminated };
      },
      { dbname: i.maintenanceDatabase },
    );
  };
}
