/**
 * `pg:backup:create` and `pg:backup:list`. A backup is a folder `<prefix><id>/` holding
 * `dump.pgdump` and `manifest.json`; the manifest is written last, so a folder without one is a
 * backup that never finished and nothing restores from it.
 *
 * The manifest's table sums and pg_dump see one snapshot: our connection opens a REPEATABLE READ
 * transaction and exports its snapshot, pg_dump imports it (--snapshot) and the sums are read on
 * our connection while pg_dump runs, both as of the same instant. pg_dump writes its file where
 * the store keeps it (`stage`), committed, hashed, only once pg_dump exited 0 and the sums are read.
 */
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import type {
  PgBackupCreateInput,
  PgBackupCreateResult,
  PgBackupListInput,
  PgBackupListResult,
  PgBackupSummary,
} from '../../catalog/postgres/backup';
import type { StepContext } from '../../shared/activity-types';
import { FAILURE } from '../../shared/failures';
import { permanent } from '../errors';
import type { ActivityProgress } from '../progress';
import { throttled } from '../progress';
import { stageObject } from '../storage/stage';
import type { BackupStore, OpenStore, StoredObject } from '../storage/store';
import { records, withDatabase, type PgConnect, type PgResolve } from './client';
import {
  listTables,
  MANIFEST_FORMAT,
  parseManifest,
  relName,
  sumTables,
  type BackupManifest,
  type TableSum,
} from './manifest';
import type { RunPgTool } from './tools';

export interface BackupDeps {
  connect: PgConnect;
  resolve: PgResolve;
  openStore: OpenStore;
  runTool: RunPgTool;
  progress: () => ActivityProgress;
  /** Where dumps are fetched before restore (and staged for a store without `stage`). @default os.tmpdir() */
  workDir?: string;
  now?: () => Date;
}

export const DUMP_FILE = 'dump.pgdump';
export const MANIFEST_FILE = 'manifest.json';
const MANIFEST_MAX_BYTES = 16 * 1024 * 1024;

export const prefixOf = (database: string, prefix?: string): string => prefix ?? `postgres/${database}/`;

/** A retry's id is the first attempt's: derived from the run and step, not the clock. */
export function backupIdOf(ctx: StepContext, id?: string): string {
  return id ?? `b-${createHash('sha256').update(ctx.idempotencyKey).digest('hex').slice(0, 16)}`;
}

export function summaryOf(m: BackupManifest, manifestKey: string): PgBackupSummary {
  return {
    id: m.id,
    database: m.database,
    manifestKey,
    dumpKey: m.dump.key,
    size: m.dump.size,
    sha256: m.dump.sha256,
    serverVersion: m.serverVersion,
    snapshotAt: m.snapshotAt,
    walLsn: m.walLsn,
    tables: m.totals.tables,
    rows: m.totals.rows,
  };
}

export async function readManifest(store: BackupStore, key: string): Promise<BackupManifest> {
  const { body } = await store.getBytes(key, MANIFEST_MAX_BYTES);
  return parseManifest(body, key);
}

const SNAPSHOT = `SELECT pg_export_snapshot() AS snapshot, clock_timestamp() AS at,
  current_setting('server_version') AS version, current_setting('server_version_num')::int AS version_num,
  current_database() AS dbname,
  (SELECT pg_encoding_to_char(encoding) FROM pg_database WHERE datname = current_database()) AS encoding,
  CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_lsn()::text END AS lsn`;

export function createBackupAction(deps: BackupDeps) {
  const now = deps.now ?? (() => new Date());
  return async (i: PgBackupCreateInput, ctx: StepContext): Promise<PgBackupCreateResult> => {
    const started = performance.now();
    const store = await deps.openStore(i.store);
    const id = backupIdOf(ctx, i.id);
    const folder = `${prefixOf(i.database, i.prefix)}${id}/`;
    const manifestKey = `${folder}${MANIFEST_FILE}`;
    // Read first: a retry after the manifest landed has nothing left to do.
    if (await store.head(manifestKey)) {
      const m = await readManifest(store, manifestKey);
      return { ...summaryOf(m, manifestKey), changed: false, durationMs: 0, dumpMs: 0, uploadMs: 0 };
    }
    const p = deps.progress();
    const beat = throttled(p);
    const target = await deps.resolve(i.database);
    const dumpKey = `${folder}${DUMP_FILE}`;
    // pg_dump writes where the store will keep it: for a local store beside the object, so the
    // upload is one read to hash it and a rename (no copy); for S3 a temporary file.
    const staged = await stageObject(store, dumpKey, deps.workDir);
    let put: StoredObject;
    let snap: Record<string, unknown>;
    let tables: TableSum[];
    const startedAt = now().toISOString();
    const dumpStarted = performance.now();
    let uploadStarted = dumpStarted;
    try {
      ({ snap, tables } = await withDatabase(deps.connect, i.database, async (c) => {
        // Cancelled: closing the connection fails the sum under way now rather than after it.
        p.signal?.addEventListener('abort', () => void c.end().catch(() => undefined), { once: true });
        await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
        const [s] = records(await c.query(SNAPSHOT));
        if (!s) throw new Error('no snapshot');
        // Held to the end: pg_dump's own locks go when it exits, and a TRUNCATE or rewrite after that
        // would empty the tables for our repeatable-read sums (which still read them).
        const list = await listTables(c);
        for (let n = 0; n < list.length; n += 100)
          await c.query(
            `LOCK TABLE ${list
              .slice(n, n + 100)
              .map(relName)
              .join(', ')} IN ACCESS SHARE MODE`,
          );
        let dumped = 0;
        let summed = 0;
        const timer = setInterval(() => {
          void stat(staged.path).then(
            (st) => {
              dumped = st.size;
              beat({ phase: 'dump', bytes: dumped, tablesSummed: summed });
            },
            () => undefined,
          );
        }, 1_000);
        try {
          // One failing stops the other: no pg_dump left holding its snapshot, no sums read for nothing.
          const stop = new AbortController();
          p.signal?.addEventListener('abort', () => stop.abort(p.signal?.reason), { once: true });
          const [, sums] = await Promise.all([
            deps
              .runTool({
                tool: 'pg_dump',
                target,
                args: [
                  '--format=custom',
                  `--snapshot=${String(s.snapshot)}`,
                  `--file=${staged.path}`,
                  '--no-password',
                  ...(i.compress !== undefined ? [`--compress=${i.compress}`] : []),
                ],
                signal: stop.signal,
              })
              .catch((err: unknown) => {
                void c.end().catch(() => undefined);
                throw err;
              }),
            sumTables(
              c,
              (done) => {
                summed = done;
              },
              list,
              { checksums: i.checksums },
            ).catch((err: unknown) => {
              stop.abort(err);
              throw err;
            }),
          ]);
          return { snap: s, tables: sums };
        } finally {
          clearInterval(timer);
          await c.query('ROLLBACK').catch(() => undefined);
        }
      }));
      uploadStarted = performance.now();
      put = await staged.commit({
        onProgress: (bytes) => beat({ phase: 'upload', bytes }),
        ...(p.signal ? { signal: p.signal } : {}),
      });
    } finally {
      // Failed or cancelled: nothing of the dump stays (after a commit there is nothing to remove).
      await staged.discard();
    }
    const dumpMs = Math.round(uploadStarted - dumpStarted);
    const manifest: BackupManifest = {
      format: MANIFEST_FORMAT,
      id,
      database: i.database,
      dbname: String(snap.dbname),
      serverVersion: String(snap.version),
      serverVersionNum: Number(snap.version_num),
      ...(snap.encoding ? { encoding: String(snap.encoding) } : {}),
      snapshotAt: new Date(snap.at as string | Date).toISOString(),
      walLsn: snap.lsn === null || snap.lsn === undefined ? null : String(snap.lsn),
      startedAt,
      finishedAt: now().toISOString(),
      dump: { key: dumpKey, size: put.size, sha256: put.sha256, format: 'custom' },
      tables,
      totals: { tables: tables.length, rows: tables.reduce((n, t) => n + t.rows, 0) },
    };
    await store.putBytes(manifestKey, Buffer.from(JSON.stringify(manifest, null, 2)));
    const uploadMs = Math.round(performance.now() - uploadStarted);
    beat({ phase: 'done', bytes: put.size }, true);
    return {
      ...summaryOf(manifest, manifestKey),
      changed: true,
      durationMs: Math.round(performance.now() - started),
      dumpMs,
      uploadMs,
    };
  };
}

/** Complete backups newest first, from their manifests, and the dumps that never got one. */
export async function listBackups(
  store: BackupStore,
  database: string,
  prefix: string | undefined,
): Promise<{ backups: PgBackupSummary[]; incomplete: PgBackupListResult['incomplete']; unreadable: string[] }> {
  const root = prefixOf(database, prefix);
  const objects = await store.list(root);
  const folders = new Map<string, { dump?: (typeof objects)[number]; manifest?: string }>();
  for (const o of objects) {
    const rest = o.key.slice(root.length);
    const [folder, file, ...more] = rest.split('/');
    if (!folder || more.length) continue;
    const f = folders.get(folder) ?? {};
    if (file === DUMP_FILE) f.dump = o;
    if (file === MANIFEST_FILE) f.manifest = o.key;
    folders.set(folder, f);
  }
  const backups: PgBackupSummary[] = [];
  const incomplete: PgBackupListResult['incomplete'] = [];
  const unreadable: string[] = [];
  for (const f of folders.values()) {
    if (!f.manifest) {
      if (f.dump) incomplete.push({ key: f.dump.key, size: f.dump.size, modified: f.dump.modified });
      continue;
    }
    // A manifest that does not check (damaged or tampered with) is reported, never restored and
    // never deleted by retention: one bad file does not hide the rest, nor is the evidence removed.
    // Anything else (the store unreachable) fails the listing, so a blip never reads as "none".
    const m = await readManifest(store, f.manifest).catch((err: unknown) => {
      if ((err as { type?: unknown }).type === FAILURE.IntegrityFailed) return undefined;
      throw err;
    });
    if (!m) unreadable.push(f.manifest);
    // Another database's under a shared prefix: not ours to list or prune.
    else if (m.database === database) backups.push(summaryOf(m, f.manifest));
  }
  backups.sort((a, b) => b.snapshotAt.localeCompare(a.snapshotAt) || b.id.localeCompare(a.id));
  return { backups, incomplete, unreadable };
}

export function createListAction(deps: Pick<BackupDeps, 'openStore' | 'now'>) {
  const now = deps.now ?? (() => new Date());
  return async (i: PgBackupListInput): Promise<PgBackupListResult> => {
    const store = await deps.openStore(i.store);
    const { backups, incomplete, unreadable } = await listBackups(store, i.database, i.prefix);
    const newest = backups[0];
    return {
      backups: backups.slice(0, i.limit),
      incomplete: incomplete.slice(0, i.limit),
      unreadable: unreadable.slice(0, i.limit),
      newestAgeSeconds: newest ? Math.round((now().getTime() - Date.parse(newest.snapshotAt)) / 1000) : null,
    };
  };
}

/** A backup by id, or the newest complete one; NotFound when there is none. */
export async function findBackup(
  store: BackupStore,
  database: string,
  prefix: string | undefined,
  which: string,
): Promise<{ manifest: BackupManifest; key: string }> {
  if (which !== 'newest') {
    const key = `${prefixOf(database, prefix)}${which}/${MANIFEST_FILE}`;
    if (!(await store.head(key)))
      throw permanent(`no complete backup '${which}' of ${database} in store ${store.name} (${key})`, FAILURE.NotFound);
    return { manifest: await readManifest(store, key), key };
  }
  const { backups } = await listBackups(store, database, prefix);
  const newest = backups[0];
  if (!newest)
    throw permanent(
      `no complete backup of ${database} in store ${store.name} under ${prefixOf(database, prefix)}`,
      FAILURE.NotFound,
    );
  return { manifest: await readManifest(store, newest.manifestKey), key: newest.manifestKey };
}
