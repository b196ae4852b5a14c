/**
 * `pg:backup:restore` and `pg:database:drop`. A restore never leaves a half-restored database
 * under the name asked for: the dump is checked against its sha256 before anything is created,
 * restored into `<into>__restoring`, compared table by table with the manifest, marked with a
 * comment naming the backup, and only then renamed to `into`. A worker killed at any point leaves
 * `into` absent (or as it was) and a staging copy the retry drops, or, past the mark, renames.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PgBackupRestoreInput, PgBackupRestoreResult } from '../../catalog/postgres/backup';
import type { PgDatabaseDropInput, PgDatabaseDropResult } from '../../catalog/postgres/database';
import { FAILURE } from '../../shared/failures';
import { permanent } from '../errors';
import { throttled } from '../progress';
import { DUMP_FILE, findBackup, summaryOf, type BackupDeps } from './backup';
import { records, withDatabase, type PgClient } from './client';
import { compareTables, quoteIdent, sumTables, type BackupManifest } from './manifest';

const STAGING_SUFFIX = '__restoring';
const MARK = 'durable-runbooks';

/** The comment a restored database carries: which backup, and whether it is a scratch copy. */
export function restoreMark(m: Pick<BackupManifest, 'id' | 'database'>, scratch: boolean): string {
  return `${MARK} ${scratch ? 'scratch ' : ''}restore of backup ${m.id} (${m.database}), verified`;
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
  return async (i: PgBackupRestoreInput): Promise<PgBackupRestoreResult> => {
    const started = performance.now();
    const store = await deps.openStore(i.store);
    const { manifest, key } = await findBackup(store, i.from ?? i.database, i.prefix, i.backup);
    const backup = summaryOf(manifest, key);
    const mark = restoreMark(manifest, i.scratch);
    const staging = `${i.into}${STAGING_SUFFIX}`;
    const maintenance = { dbname: i.maintenanceDatabase };
    if (i.into === i.maintenanceDatabase)
      throw permanent(`cannot restore into the maintenance database ${i.into}`, FAILURE.InvalidInput);
    const ageSeconds = (): number => Math.round((now().getTime() - Date.parse(manifest.snapshotAt)) / 1000);
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
      backupAgeSeconds: ageSeconds(),
      ...o,
    });

    // Read first: the target already holding this backup (a retry after the rename) is done;
    // a staging copy already marked (the worker died just before the rename) only needs renaming.
    const before = await withDatabase(
      deps.connect,
      i.database,
      async (m) => ({ into: await describeDb(m, i.into), staging: await describeDb(m, staging) }),
      maintenance,
    );
    if (before.into.exists && before.into.comment === mark) return result({ changed: false, replaced: false });
    if (before.into.exists && !i.replace)
      throw permanent(
        `database ${i.into} already exists on ${i.database}'s server; restore into another name, or set replace: true (guarded by an approval)`,
        FAILURE.InvalidInput,
      );
    if (before.staging.exists && before.staging.comment === mark)
      return withDatabase(
        deps.connect,
        i.database,
        async (m) => result({ changed: true, replaced: await swapIn(m, staging, i.into) }),
        maintenance,
      );

    const p = deps.progress();
    const beat = throttled(p);
    const work = await mkdtemp(join(deps.workDir ?? tmpdir(), 'pg-restore-'));
    const file = join(work, DUMP_FILE);
    let done = false;
    try {
      // Checked before anything is created: a corrupted dump never reaches the server.
      const downloadStarted = performance.now();
      await store.getFile(manifest.dump.key, file, {
        onProgress: (bytes) => beat({ phase: 'download', bytes, of: manifest.dump.size }),
        ...(p.signal ? { signal: p.signal } : {}),
      });
      if (manifest.dump.size === 0) throw permanent(`backup ${manifest.id} has an empty dump`, FAILURE.IntegrityFailed);
      const downloadMs = Math.round(performance.now() - downloadStarted);

      await withDatabase(
        deps.connect,
        i.database,
        async (m) => {
          await dropDb(m, staging);
          await m.query(`CREATE DATABASE ${quoteIdent(staging)} TEMPLATE template0`);
        },
        maintenance,
      );
      const restoreStarted = performance.now();
      const target = await deps.resolve(i.database);
      let loaded = 0;
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
          if (!/processing data for table/.test(line)) return;
          loaded += 1;
          beat({ phase: 'restore', tablesLoaded: loaded, of: manifest.totals.tables });
        },
        ...(p.signal ? { signal: p.signal } : {}),
      });
      const restoreMs = Math.round(performance.now() - restoreStarted);

      const verifyStarted = performance.now();
      const actual = await withDatabase(
        deps.connect,
        i.database,
        (c) => sumTables(c, (n, of) => beat({ phase: 'verify', tablesChecked: n, of })),
        { dbname: staging },
      );
      const differences = compareTables(manifest.tables, actual);
      if (differences.length)
        throw permanent(
          `restore of backup ${manifest.id} into ${i.into} differs from its manifest in ${differences.length} table(s): ${differences
            .slice(0, 5)
            .map(
              (d) =>
                `${d.table} (expected ${d.expected ? `${d.expected.rows} rows` : 'absent'}, got ${d.actual ? `${d.actual.rows} rows` : 'absent'}${d.expected && d.actual && d.expected.rows === d.actual.rows ? ', checksum differs' : ''})`,
            )
            .join('; ')}`,
          FAILURE.IntegrityFailed,
        );
      const verifyMs = Math.round(performance.now() - verifyStarted);

      const replaced = await withDatabase(
        deps.connect,
        i.database,
        async (m) => {
          await m.query(`COMMENT ON DATABASE ${quoteIdent(staging)} IS '${mark.replace(/'/g, "''")}'`);
          return swapIn(m, staging, i.into);
        },
        maintenance,
      );
      done = true;
      beat({ phase: 'done', tables: actual.length }, true);
      return result({ changed: true, replaced, downloadMs, restoreMs, verifyMs });
    } finally {
      await rm(work, { recursive: true, force: true });
      // Failed or cancelled: no half-restored copy stays behind (the retry would drop it anyway).
      if (!done)
        await withDatabase(deps.connect, i.database, (m) => dropDb(m, staging), maintenance).catch(() => undefined);
    }
  };
}

/** Drops `into` if it exists, then renames the staging copy to it: `into` is absent only in between. */
async function swapIn(m: PgClient, staging: string, into: string): Promise<boolean> {
  const replaced = (await describeDb(m, into)).exists;
  if (replaced) await dropDb(m, into);
  await m.query(`ALTER DATABASE ${quoteIdent(staging)} RENAME TO ${quoteIdent(into)}`);
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
