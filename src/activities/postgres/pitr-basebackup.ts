/**
 * `pg:basebackup:create`: pg_basebackup in tar format into `pitr/<database>/base/<id>/`, then a
 * manifest written last. `-X none`: the WAL is archived continuously (wal-archive.ts), and with
 * `-X none` the server does not end the backup until the last segment it needs is archived, so
 * the archive is the one copy of the WAL; the action then checks every segment from the start to
 * the end LSN is in *this* store (an archive_command pointing elsewhere fails here, not on the
 * night of the restore).
 */
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PgBasebackupCreateInput, PgBasebackupCreateResult } from '../../catalog/postgres/pitr';
import type { StepContext } from '../../shared/activity-types';
import { FAILURE } from '../../shared/failures';
import { permanent } from '../errors';
import { throttled, type ActivityProgress } from '../progress';
import type { OpenStore } from '../storage/store';
import { backupIdOf } from './backup';
import { records, withDatabase, type PgConnect, type PgResolve } from './client';
import {
  basePrefixOf,
  parseBackupLabel,
  parseLsn,
  parseWalRange,
  pitrPrefixOf,
  segmentsBetween,
  walPrefixOf,
} from './pitr-layout';
import { BASE_MANIFEST_FILE, BASE_MANIFEST_FORMAT, readBaseManifest, type BaseManifest } from './pitr-manifest';
import { clientProgram, runCommand } from './pitr-spawn';

export interface PitrDeps {
  connect: PgConnect;
  resolve: PgResolve;
  openStore: OpenStore;
  progress: () => ActivityProgress;
  /** Where base backups are staged, and scratch clusters live (`<workDir>/pitr/<name>`). @default os.tmpdir() */
  workDir?: string;
  /** The PostgreSQL programs; by default the backup's major version's folder (pitr-spawn.ts). */
  binDir?: string;
  now?: () => Date;
}

const SERVER = `SELECT current_setting('server_version') AS version, current_setting('server_version_num')::int AS num,
  current_database() AS dbname, pg_is_in_recovery() AS standby, current_setting('archive_mode') AS archive_mode,
  current_setting('wal_segment_size') AS seg, (SELECT system_identifier::text FROM pg_control_system()) AS sysid,
  (SELECT rolname FROM pg_roles WHERE oid = 10) AS superuser`;

export function summaryOfBase(m: BaseManifest, manifestKey: string): Omit<PgBasebackupCreateResult, 'changed'> {
  return {
    id: m.id,
    database: m.database,
    manifestKey,
    serverVersion: m.serverVersion,
    timeline: m.timeline,
    startLsn: m.startLsn,
    endLsn: m.endLsn,
    startWal: m.startWal,
    consistentAt: m.consistentAt,
    size: m.base.size,
    sha256: m.base.sha256,
    durationMs: 0,
  };
}

/** wal_segment_size as the server shows it ('16MB') in bytes. */
const segBytes = (s: string): number => {
  const m = /^(\d+)\s*(kB|MB|GB)?$/.exec(s.trim());
  if (!m) throw new Error(`wal_segment_size '${s}'`);
  return Number(m[1]) * ({ kB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 }[m[2] ?? ''] ?? 1);
};

export function createBaseBackupAction(deps: PitrDeps) {
  const now = deps.now ?? (() => new Date());
  return async (i: PgBasebackupCreateInput, ctx: StepContext): Promise<PgBasebackupCreateResult> => {
    const started = performance.now();
    const store = await deps.openStore(i.store);
    const id = backupIdOf(ctx, i.id);
    const root = pitrPrefixOf(i.database, i.prefix);
    const folder = `${basePrefixOf(root)}${id}/`;
    const manifestKey = `${folder}${BASE_MANIFEST_FILE}`;
    // Read first: a retry after the manifest landed has nothing left to do.
    if (await store.head(manifestKey))
      return { ...summaryOfBase(await readBaseManifest(store, manifestKey), manifestKey), changed: false };

    const p = deps.progress();
    const beat = throttled(p);
    const target = await deps.resolve(i.database);
    const srv = await withDatabase(deps.connect, i.database, async (c) => records(await c.query(SERVER))[0]);
    if (!srv) throw new Error('no server facts');
    const archiveMode = String(srv.archive_mode);
    if (archiveMode === 'off' || (srv.standby === true && archiveMode !== 'always'))
      throw permanent(
        `${i.database}: archive_mode is ${archiveMode}${srv.standby ? ' on a standby' : ''}: without its WAL archived ` +
          'a base backup cannot be recovered to a point in time (docs/pitr.md)',
        FAILURE.InvalidInput,
      );
    const major = Math.floor(Number(srv.num) / 10_000);
    const segSize = segBytes(String(srv.seg));
    const work = await mkdtemp(join(deps.workDir ?? tmpdir(), 'pg-basebackup-'));
    const out = join(work, 'out');
    const tarName = i.compress ? 'base.tar.gz' : 'base.tar';
    try {
      const startedAt = now().toISOString();
      const timer = setInterval(() => {
        void stat(join(out, tarName)).then(
          (st) => beat({ phase: 'basebackup', bytes: st.size }),
          () => beat({ phase: 'checkpoint' }),
        );
      }, 1_000);
      try {
        await runCommand({
          cmd: clientProgram('pg_basebackup', major, deps.binDir),
          args: [
            ...['-D', out, '-F', 'tar', '-X', 'none', '-l', id, '-w'],
            ...(i.fastCheckpoint ? ['-c', 'fast'] : ['-c', 'spread']),
            ...(i.compress ? ['-z'] : []),
          ],
          env: {
            PGHOST: target.host,
            PGPORT: String(target.port),
            PGUSER: target.user,
            PGAPPNAME: target.application_name,
            PGCONNECT_TIMEOUT: '10',
            ...(target.password !== undefined ? { PGPASSWORD: target.password } : {}),
          },
          ...(p.signal ? { signal: p.signal } : {}),
        });
      } finally {
        clearInterval(timer);
      }
      // Upper bound of the backup's end: a target at or after it is past the consistent point.
      const consistentAt = await withDatabase(deps.connect, i.database, async (c) =>
        new Date(records(await c.query('SELECT clock_timestamp() AS t'))[0]?.t as string).toISOString(),
      );
      const extra = (await readdir(out)).filter((f) => f !== tarName && f !== 'backup_manifest');
      // Tablespaces come as <oid>.tar beside base.tar, with links a scratch restore would have to remap.
      if (extra.length)
        throw permanent(
          `${i.database} has tablespaces (${extra.join(', ')}): not supported by pg:basebackup:create yet`,
          FAILURE.InvalidInput,
        );
      const labelText = await runCommand({
        cmd: 'tar',
        args: [i.compress ? '-xzOf' : '-xOf', join(out, tarName), 'backup_label'],
      });
      const label = parseBackupLabel(labelText);
      const manifestText = await readFile(join(out, 'backup_manifest'), 'utf8');
      const range = parseWalRange(manifestText);
      const walPrefix = walPrefixOf(root);
      const requiredWal = segmentsBetween(range.timeline, parseLsn(range.startLsn), parseLsn(range.endLsn), segSize);
      beat({ phase: 'check-archive', segments: requiredWal.length }, true);
      const missing: string[] = [];
      for (const seg of requiredWal) if (!(await store.head(`${walPrefix}${seg}`))) missing.push(seg);
      if (missing.length)
        throw permanent(
          `the WAL this base backup needs is not in store ${store.name} under ${walPrefix} (missing ${missing.join(', ')}): ` +
            `does ${i.database}'s archive_command archive there (wal-archive.js --store ${store.name} --database ${i.database})?`,
          FAILURE.NotFound,
        );
      const onProgress = (bytes: number): void => beat({ phase: 'upload', bytes });
      const signal = p.signal ? { signal: p.signal } : {};
      const base = await store.putFile(`${folder}${tarName}`, join(out, tarName), { onProgress, ...signal });
      const bm = await store.putFile(`${folder}backup_manifest`, join(out, 'backup_manifest'), signal);
      const manifest: BaseManifest = {
        format: BASE_MANIFEST_FORMAT,
        id,
        database: i.database,
        dbname: String(srv.dbname),
        systemIdentifier: String(srv.sysid),
        serverVersion: String(srv.version),
        serverVersionNum: Number(srv.num),
        superuser: String(srv.superuser),
        walSegmentSize: segSize,
        timeline: label.timeline,
        startLsn: label.startLsn,
        endLsn: range.endLsn,
        checkpointLsn: label.checkpointLsn,
        startWal: label.startWal,
        walPrefix,
        requiredWal,
        startedAt: label.startTime || startedAt,
        consistentAt,
        finishedAt: now().toISOString(),
        compressed: i.compress,
        base: { key: base.key, size: base.size, sha256: base.sha256 },
        backupManifest: { key: bm.key, size: bm.size, sha256: bm.sha256 },
      };
      await store.putBytes(manifestKey, Buffer.from(JSON.stringify(manifest, null, 2)));
      beat({ phase: 'done', bytes: base.size }, true);
      return {
        ...summaryOfBase(manifest, manifestKey),
        changed: true,
        durationMs: Math.round(performance.now() - started),
      };
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  };
}
