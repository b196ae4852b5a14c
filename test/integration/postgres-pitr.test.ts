/**
 * Point-in-time recovery on real PostgreSQL: a primary whose archive_command is the product's
 * wal-archive.js into a local backup store, a base backup by pg:basebackup:create, rows written in
 * batches with the server's clock, and pg:pitr:restore to a time between two batches into a
 * scratch cluster: the rows before are there, the rows after are not. Also: `latest`, a retry
 * that finds its cluster, a half-made cluster from a dead attempt wiped and made again (never two
 * servers), a cancel that leaves nothing, a corrupted WAL segment and a corrupted base backup
 * refused as IntegrityFailed, targets out of reach refused, and removal of scratch clusters only.
 */
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ApplicationFailure } from '@temporalio/common';
import { Client } from 'pg';
import { pgBasebackupCreate, pgPitrRestore, pgScratchQuery, pgScratchRemove } from '../../src/catalog/postgres/pitr';
import { createPgConnect, createPgResolve } from '../../src/activities/postgres/client';
import { createScratchQueryAction, createScratchRemoveAction } from '../../src/activities/postgres/pitr-actions';
import { createBaseBackupAction, type PitrDeps } from '../../src/activities/postgres/pitr-basebackup';
import { createPitrRestoreAction } from '../../src/activities/postgres/pitr-restore';
import { scratchPaths } from '../../src/activities/postgres/pitr-scratch';
import { createSecretResolver } from '../../src/activities/secrets';
import { createLocalStore } from '../../src/activities/storage/local';
import type { ActivityProgress } from '../../src/activities/progress';
import { projectRoot } from '../../src/platform/project-root';
import { CATALOG } from '../../src/catalog';
import { FAILURE } from '../../src/shared/failures';
import { inertProgress, stepContext } from '../support/backup-deps';
import { buildOnce } from '../support/build';
import { startPostgres, type PgCluster } from '../support/postgres';
import { waitFor } from '../support/wait';

const run = promisify(execFile);
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const ARCHIVE_JS = join(projectRoot(), 'dist/src/worker/wal-archive.js');

let cluster: PgCluster;
let dir: string;
let storeDir: string;
let configFile: string;
let deps: PitrDeps;
const inert = inertProgress;
const ctx = stepContext('wf', 'pitr');

const basebackup = (input: Record<string, unknown>, key = 'base') =>
  createBaseBackupAction(deps)(
    pgBasebackupCreate.input.parse({ database: 'orders', store: 'wal', ...input }),
    ctx(key),
  );
const restore = (input: Record<string, unknown>, key: string, o: Partial<PitrDeps> = {}) =>
  createPitrRestoreAction({ ...deps, ...o })(
    pgPitrRestore.input.parse({ database: 'orders', store: 'wal', ...input }),
    ctx(key),
  );
const query = (scratch: string, sql: string) =>
  createScratchQueryAction(deps)(pgScratchQuery.input.parse({ scratch, sql }));
const remove = (name: string) => createScratchRemoveAction(deps)(pgScratchRemove.input.parse({ name }));

async function sql<T = Record<string, unknown>>(text: string): Promise<T[]> {
  const c = new Client({ host: '127.0.0.1', port: cluster.primary.port, user: 'postgres', database: 'postgres' });
  await c.connect();
  try {
    return (await c.query(text)).rows as T[];
  } finally {
    await c.end();
  }
}

async function failure(p: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ApplicationFailure) return err;
    throw err;
  }
  throw new Error('did not fail');
}

/** Closes the current segment and waits until wal-archive.js has put it into the store. */
async function switchAndArchive(): Promise<string> {
  const [r] = await sql<{ seg: string }>(`SELECT pg_walfile_name(pg_switch_wal()) AS seg`);
  const seg = r!.seg;
  await waitFor(
    `${seg} archived into the store`,
    () => existsSync(join(storeDir, '.meta/pitr/orders/wal', `${seg}.json`)),
    {
      timeoutMs: 30_000,
      detail: () => cluster.primary.log(),
    },
  );
  return seg;
}

/** Writes a batch of rows in one transaction and answers the server's clock right after its commit. */
async function batch(n: number): Promise<string> {
  await sql(`INSERT INTO events (batch) SELECT ${n} FROM generate_series(1, 100)`);
  const [r] = await sql<{ t: Date }>(`SELECT clock_timestamp() AS t`);
  return r!.t.toISOString();
}

/** The running postgres processes whose data directory is this one. */
async function postmasters(data: string): Promise<number> {
  const { stdout } = await run('ps', ['-eo', 'args']);
  return stdout.split('\n').filter((l) => /postgres/.test(l) && l.includes(`-D ${data}`)).length;
}

/**
 * One pg:pitr:restore in a process of its own, from dist/ as the worker runs it, whose store
 * never answers for the second WAL segment: it says so on stdout, so the test can kill -9 it
 * while the scratch server is recovering.
 */
const CHILD = `
const dist = ${JSON.stringify(join(projectRoot(), 'dist/src'))};
const { createPitrRestoreAction } = require(dist + '/activities/postgres/pitr-restore');
const { createLocalStore } = require(dist + '/activities/storage/local');
const { pgPitrRestore } = require(dist + '/catalog/postgres/pitr');
const a = JSON.parse(process.argv[1]);
const real = createLocalStore('wal', a.storeDir);
let segments = 0;
const store = { ...real, getFile: (key, path, o) => {
  if (key.includes('/wal/') && ++segments === 2) { process.stdout.write('holding ' + key + '\\n'); return new Promise(() => {}); }
  return real.getFile(key, path, o);
} };
createPitrRestoreAction({ openStore: async () => store, progress: () => ({ heartbeat: () => {}, signal: undefined }), workDir: a.workDir })(
  pgPitrRestore.input.parse(a.input), a.ctx).then(() => process.stdout.write('done\\n'), (e) => process.stdout.write('failed ' + e.message + '\\n'));
`;

let base: Awaited<ReturnType<typeof basebackup>>;
let t1: string;
let t2: string;
let t3: string;

beforeAll(async () => {
  buildOnce();
  dir = mkdtempSync(join(tmpdir(), 'pitr-test-'));
  chmodSync(dir, 0o755);
  storeDir = join(dir, 'store');
  mkdirSync(storeDir);
  configFile = join(dir, 'runbooks.yaml');
  writeFileSync(configFile, `backupStores:\n  wal:\n    kind: local\n    path: store\n`);
  // The archive command runs as the server's OS user; the store is its to write.
  await run('chown', ['-R', 'postgres:postgres', storeDir]);
  cluster = await startPostgres({
    archiveCommand: `${process.execPath} ${ARCHIVE_JS} --config ${configFile} --store wal --database orders %p %f`,
  });
  const workDir = join(dir, 'work');
  mkdirSync(workDir);
  const resolve = createPgResolve({
    databases: {
      orders: {
        host: '127.0.0.1',
        port: cluster.primary.port,
        database: 'postgres',
        user: 'postgres',
        application_name: 'test',
      },
    },
    secrets: createSecretResolver({ env: {} }),
  });
  const store = createLocalStore('wal', storeDir);
  deps = {
    connect: createPgConnect({ resolve }),
    resolve,
    openStore: async () => store,
    progress: () => inert,
    workDir,
  };
  await sql(
    `CREATE TABLE events (id bigserial PRIMARY KEY, batch int NOT NULL, at timestamptz DEFAULT clock_timestamp())`,
  );
  await batch(0);
  // What the catalog's examples query in the copy they restore.
  await sql(`CREATE TABLE orders AS SELECT g AS id FROM generate_series(1, 3) g`);
  base = await basebackup({ id: 'base1' });
  // Two batches after the base backup, each in its own closed (archived) segment; the targets sit between.
  t1 = await batch(1);
  await switchAndArchive();
  t2 = await batch(2);
  await switchAndArchive();
  t3 = await batch(3);
  await switchAndArchive();
}, 180_000);

afterAll(async () => {
  await cluster?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('wal-archive.js: the same bytes again is success, other bytes under the name fail and are never written', async () => {
  const [a] = await sql<{ n: string; failed: string }>(
    `SELECT archived_count AS n, failed_count AS failed FROM pg_stat_archiver`,
  );
  expect(Number(a?.n)).toBeGreaterThanOrEqual(3);
  expect(Number(a?.failed)).toBe(0);
  const seg = base.startWal;
  const key = join(storeDir, 'objects/pitr/orders/wal', seg);
  const copy = join(dir, seg);
  copyFileSync(key, copy);
  chmodSync(copy, 0o644);
  const archive = (file: string) =>
    run('runuser', [
      '-u',
      'postgres',
      '--',
      process.execPath,
      ARCHIVE_JS,
      '--config',
      configFile,
      '--store',
      'wal',
      '--database',
      'orders',
      file,
      seg,
    ]);
  await expect(archive(copy)).resolves.toBeDefined();
  writeFileSync(copy, Buffer.alloc(16, 1), { flag: 'r+' });
  const refused = await archive(copy).then(
    () => undefined,
    (err: { code?: number; stderr?: string }) => err,
  );
  expect(refused?.code).toBe(1);
  expect(refused?.stderr).toMatch(/holds other bytes.*not overwritten/);
  // Compared by digest: jest's deep equality walks a 16 MB buffer byte by byte.
  expect(sha256(readFileSync(key))).not.toBe(sha256(readFileSync(copy)));
}, 60_000);

test('a base backup records its WAL range and consistency, checks its WAL is archived, and a retry finds it', async () => {
  expect(base).toMatchObject({ id: 'base1', changed: true, timeline: 1 });
  expect(Date.parse(base.consistentAt)).toBeLessThan(Date.parse(t1));
  expect(await basebackup({ id: 'base1' })).toMatchObject({ id: 'base1', changed: false, sha256: base.sha256 });
});

test('restored to a time between two batches: rows before it are there, rows after it are not', async () => {
  const r = await restore({ targetTime: t1, name: 'pitr-t1' }, 'restore-t1');
  expect(r).toMatchObject({ name: 'pitr-t1', host: '127.0.0.1', backupId: 'base1', changed: true, timeline: 2 });
  expect(r.endedAtArchiveEnd).toBe(false);
  expect(Date.parse(r.reachedTime!)).toBeLessThanOrEqual(Date.parse(t1));
  const counts = await query('pitr-t1', 'SELECT batch, count(*) AS n FROM events GROUP BY batch ORDER BY batch');
  expect(counts.rows).toEqual([
    { batch: '0', n: '100' },
    { batch: '1', n: '100' },
  ]);
  // A retry of the step finds the cluster; another step may not take its name.
  const again = await restore({ targetTime: t1, name: 'pitr-t1' }, 'restore-t1');
  expect(again).toMatchObject({ changed: false, port: r.port, reachedLsn: r.reachedLsn });
  expect(await postmasters(r.dataDir)).toBe(1);
  expect(await failure(restore({ targetTime: t1, name: 'pitr-t1' }, 'another-step'))).toMatchObject({
    type: FAILURE.InvalidInput,
  });

  const r2 = await restore({ targetTime: t2 }, 'restore-t2');
  expect((await query(r2.name, 'SELECT DISTINCT batch FROM events ORDER BY 1')).rows).toEqual([
    { batch: '0' },
    { batch: '1' },
    { batch: '2' },
  ]);
  expect(await remove(r2.name)).toEqual({ name: r2.name, changed: true });
  expect(await remove(r2.name)).toEqual({ name: r2.name, changed: false });
  expect(existsSync(r2.dataDir)).toBe(false);
}, 180_000);

test('latest: everything archived; a half-made cluster from a dead attempt is wiped and made again, once', async () => {
  const r = await restore({ targetTime: 'latest', name: 'pitr-latest' }, 'restore-latest');
  expect(r.endedAtArchiveEnd).toBe(true);
  expect((await query('pitr-latest', 'SELECT count(*) AS n FROM events')).rows).toEqual([{ n: '400' }]);
  // As if the worker died after PostgreSQL promoted but before the state said ready.
  const p = scratchPaths(deps.workDir, 'pitr-latest');
  const state = JSON.parse(readFileSync(p.state, 'utf8')) as Record<string, unknown>;
  writeFileSync(p.state, JSON.stringify({ ...state, phase: 'recovering', result: undefined }));
  const redone = await restore({ targetTime: 'latest', name: 'pitr-latest' }, 'restore-latest');
  expect(redone.changed).toBe(true);
  expect(await postmasters(r.dataDir)).toBe(1);
  expect((await query('pitr-latest', 'SELECT count(*) AS n FROM events')).rows).toEqual([{ n: '400' }]);
  expect(await remove('pitr-latest')).toMatchObject({ changed: true });
  expect(await postmasters(r.dataDir)).toBe(0);
}, 180_000);

test("a target after the last archived commit: recovered to the archive's end, which is the state at the target", async () => {
  // PostgreSQL stops only at a commit after the target; with none archived it would refuse to
  // promote ("recovery ended before configured recovery target was reached").
  const r = await restore({ targetTime: new Date(Date.parse(t3) + 1).toISOString(), name: 'pitr-quiet' }, 'quiet');
  expect((await query('pitr-quiet', 'SELECT count(*) AS n FROM events')).rows).toEqual([{ n: '400' }]);
  expect(Date.parse(r.reachedTime!)).toBeLessThanOrEqual(Date.parse(t3) + 1);
  expect(await remove('pitr-quiet')).toMatchObject({ changed: true });
}, 120_000);

test('a worker killed (-9) during recovery: the server aborts recovery by itself, and the retry makes one cluster', async () => {
  const input = { database: 'orders', store: 'wal', targetTime: 'latest', name: 'pitr-crash' };
  const child = spawn(
    process.execPath,
    ['-e', CHILD, JSON.stringify({ storeDir, workDir: deps.workDir, input, ctx: ctx('crash') })],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  await waitFor('the child holding a WAL segment', () => out.includes('holding'), {
    timeoutMs: 60_000,
    detail: () => out,
  });
  const p = scratchPaths(deps.workDir, 'pitr-crash');
  expect(await postmasters(p.data)).toBe(1);
  child.kill('SIGKILL');
  await exited;
  // restore_command cannot reach the dead worker: it exits 201 and PostgreSQL aborts, never promotes.
  await waitFor('the orphaned scratch server to stop', async () => (await postmasters(p.data)) === 0, {
    timeoutMs: 60_000,
    detail: () => (existsSync(p.log) ? readFileSync(p.log, 'utf8').slice(-2000) : 'no log'),
  });
  expect(readFileSync(p.log, 'utf8')).not.toMatch(/selected new timeline ID/);
  expect(JSON.parse(readFileSync(p.state, 'utf8'))).toMatchObject({ phase: 'recovering', stepKey: 'wf/crash' });

  const r = await restore({ targetTime: 'latest', name: 'pitr-crash' }, 'crash');
  expect(r.changed).toBe(true);
  expect(await postmasters(p.data)).toBe(1);
  expect((await query('pitr-crash', 'SELECT count(*) AS n FROM events')).rows).toEqual([{ n: '400' }]);
  expect(await remove('pitr-crash')).toMatchObject({ changed: true });
}, 180_000);

test('a cancelled restore leaves no cluster and no folder', async () => {
  const stop = new AbortController();
  const progress = (): ActivityProgress => ({
    heartbeat: (d) => {
      if (d.phase === 'recovery' || d.phase === 'extract') stop.abort(new Error('cancelled by the test'));
    },
    signal: stop.signal,
  });
  await expect(restore({ targetTime: 'latest', name: 'pitr-cancel' }, 'restore-cancel', { progress })).rejects.toThrow(
    /cancelled by the test/,
  );
  const p = scratchPaths(deps.workDir, 'pitr-cancel');
  expect(existsSync(p.dir)).toBe(false);
  expect(await postmasters(p.data)).toBe(0);
}, 120_000);

test('a corrupted WAL segment or base backup is refused as IntegrityFailed, and nothing is left', async () => {
  const segment = join(storeDir, 'objects/pitr/orders/wal', base.startWal);
  const tar = join(storeDir, 'objects/pitr/orders/base/base1/base.tar.gz');
  for (const file of [segment, tar]) {
    const good = readFileSync(file);
    const bad = Buffer.from(good);
    const at = Math.floor(bad.length / 2);
    bad[at] = (bad[at] ?? 0) ^ 0xff;
    writeFileSync(file, bad);
    try {
      const f = await failure(restore({ targetTime: 'latest', name: 'pitr-bad' }, `restore-bad-${file.length}`));
      expect(f.type).toBe(FAILURE.IntegrityFailed);
      expect(f.nonRetryable).toBe(true);
      expect(existsSync(scratchPaths(deps.workDir, 'pitr-bad').dir)).toBe(false);
    } finally {
      writeFileSync(file, good);
    }
  }
}, 180_000);

test('targets out of reach are refused before anything is made', async () => {
  const before = new Date(Date.parse(base.consistentAt) - 60_000).toISOString();
  expect(await failure(restore({ targetTime: before }, 'too-old'))).toMatchObject({ type: FAILURE.InvalidInput });
  expect(await failure(restore({ targetTime: before, backup: 'base1' }, 'too-old-named'))).toMatchObject({
    type: FAILURE.InvalidInput,
  });
  const future = new Date(Date.now() + 3_600_000).toISOString();
  expect(await failure(restore({ targetTime: future }, 'future'))).toMatchObject({ type: FAILURE.InvalidInput });
  expect(await failure(restore({ targetTime: 'latest', backup: 'nope' }, 'no-such'))).toMatchObject({
    type: FAILURE.NotFound,
  });
  // Only scratch clusters are removed: a data directory we did not make is refused.
  const foreign = scratchPaths(deps.workDir, 'foreign');
  mkdirSync(join(foreign.data), { recursive: true });
  writeFileSync(join(foreign.data, 'PG_VERSION'), '15\n');
  expect(await failure(remove('foreign'))).toMatchObject({ type: FAILURE.InvalidInput });
  expect(existsSync(foreign.data)).toBe(true);
});

test('the documented examples run, in order (the restore to a time this archive holds)', async () => {
  const example = (id: string) => {
    const e = CATALOG.get(id);
    if (!e) throw new Error(`no catalog entry ${id}`);
    return e.example.with;
  };
  const b = await createBaseBackupAction(deps)(
    pgBasebackupCreate.input.parse(example('pg:basebackup:create')),
    ctx('example-base'),
  );
  expect(pgBasebackupCreate.output.safeParse(b).success).toBe(true);
  const r = await createPitrRestoreAction(deps)(
    pgPitrRestore.input.parse({ ...example('pg:pitr:restore'), targetTime: 'latest' }),
    ctx('example-restore'),
  );
  expect(pgPitrRestore.output.safeParse(r).success).toBe(true);
  const q = await createScratchQueryAction(deps)(pgScratchQuery.input.parse(example('pg:scratch:query')));
  expect(q.rows).toEqual([{ n: '3' }]);
  const gone = await createScratchRemoveAction(deps)(pgScratchRemove.input.parse(example('pg:scratch:remove')));
  expect(pgScratchRemove.output.safeParse(gone).success).toBe(true);
}, 120_000);
