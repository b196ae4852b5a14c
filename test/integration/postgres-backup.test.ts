/**
 * Backups and restores on a real throwaway PostgreSQL (test/support/postgres.ts) into a local
 * backup store, with data from `pgbench -i` and a writer inserting while the backup runs: the
 * manifest's sums are of the dumped snapshot (a restore matches them exactly), a retry finds its
 * backup, a corrupted or truncated dump and a manifest that disagrees are caught before anything
 * is restored under the name asked for, a cancelled restore leaves nothing behind, an existing
 * database is replaced only when asked, only scratch copies drop without being told, and the
 * retention policy keeps the newest backup and reports what it deleted.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ApplicationFailure } from '@temporalio/common';
import { Client } from 'pg';
import { pgBackupCreate, pgBackupList, pgBackupPrune, pgBackupRestore } from '../../src/catalog/postgres/backup';
import { pgDatabaseDrop } from '../../src/catalog/postgres/database';
import { createBackupAction, createListAction, type BackupDeps } from '../../src/activities/postgres/backup';
import { createDropAction, createRestoreAction } from '../../src/activities/postgres/restore';
import { createPruneAction } from '../../src/activities/postgres/retention';
import { applyChecksumSettings, parseManifest, sumTable } from '../../src/activities/postgres/manifest';
import { createLocalStore } from '../../src/activities/storage/local';
import type { ActivityProgress } from '../../src/activities/progress';
import { FAILURE } from '../../src/shared/failures';
import { buildOnce } from '../support/build';
import { backupDeps, stepContext } from '../support/backup-deps';
import { pgBin, startPostgres, type PgCluster } from '../support/postgres';
import { waitFor } from '../support/wait';

const run = promisify(execFile);
const SCALE = 6;

let cluster: PgCluster;
let storeDir: string;
let deps: BackupDeps;
const ctx = stepContext('wf', 'pg');

const backup = (input: Record<string, unknown>, key = 'backup') =>
  createBackupAction(deps)(pgBackupCreate.input.parse({ database: 'orders', store: 'backups', ...input }), ctx(key));
// One step per target unless told: its retries are the same step (the same idempotency key).
const restore = (input: Record<string, unknown>, o: Partial<BackupDeps> = {}, step = `restore-${String(input.into)}`) =>
  createRestoreAction({ ...deps, ...o })(
    pgBackupRestore.input.parse({ database: 'orders', store: 'backups', ...input }),
    ctx(step),
  );
const list = () => createListAction(deps)(pgBackupList.input.parse({ database: 'orders', store: 'backups' }));
const drop = (input: Record<string, unknown>) =>
  createDropAction(deps)(pgDatabaseDrop.input.parse({ database: 'orders', ...input }));

async function sql<T = Record<string, unknown>>(text: string, dbname = 'postgres'): Promise<T[]> {
  const c = new Client({ host: '127.0.0.1', port: cluster.primary.port, user: 'postgres', database: dbname });
  await c.connect();
  try {
    return (await c.query(text)).rows as T[];
  } finally {
    await c.end();
  }
}
const databases = async (): Promise<string[]> =>
  (await sql<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE 'copy%' ORDER BY 1`)).map(
    (r) => r.datname,
  );

async function failure(p: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ApplicationFailure) return err;
    throw err;
  }
  throw new Error('did not fail');
}

beforeAll(async () => {
  cluster = await startPostgres();
  await run(join(pgBin(), 'pgbench'), [
    ...['-i', '-s', String(SCALE), '-q', '-h', '127.0.0.1', '-p', String(cluster.primary.port), '-U', 'postgres'],
    'postgres',
  ]);
  await sql('CREATE TABLE events (id bigserial PRIMARY KEY, at timestamptz DEFAULT now(), note text)');
  storeDir = mkdtempSync(join(tmpdir(), 'pg-backups-'));
  deps = backupDeps({ port: cluster.primary.port, store: createLocalStore('backups', storeDir) });
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
  if (storeDir) rmSync(storeDir, { recursive: true, force: true });
});

test('a backup taken under writes restores exactly to its manifest, and a retry finds it', async () => {
  // A writer commits rows all through the backup: the sums must be of the dumped snapshot.
  const writer = new Client({ host: '127.0.0.1', port: cluster.primary.port, user: 'postgres', database: 'postgres' });
  await writer.connect();
  let writing = true;
  let written = 0;
  const load = (async () => {
    while (writing) {
      await writer.query(`INSERT INTO events (note) SELECT 'row ' || g FROM generate_series(1, 50) g`);
      written += 50;
    }
  })();
  let b: Awaited<ReturnType<typeof backup>>;
  try {
    while (written < 200) await new Promise<void>((r) => setImmediate(r));
    b = await backup({ id: 'b1' });
  } finally {
    writing = false;
    await load;
    await writer.end();
  }
  expect(b).toMatchObject({ id: 'b1', database: 'orders', changed: true, dumpKey: 'postgres/orders/b1/dump.pgdump' });
  expect(b.size).toBeGreaterThan(100_000);
  const manifest = parseManifest(readFileSync(join(storeDir, 'objects', b.manifestKey)), b.manifestKey);
  const rows = Object.fromEntries(manifest.tables.map((t) => [t.name, t.rows]));
  expect(rows).toMatchObject({
    pgbench_accounts: 100_000 * SCALE,
    pgbench_branches: SCALE,
    pgbench_tellers: 10 * SCALE,
  });
  expect(rows.events).toBeGreaterThanOrEqual(200);
  expect(manifest.walLsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
  expect(manifest.dump.sha256).toBe(b.sha256);

  const r = await restore({ backup: 'b1', into: 'copy_one', scratch: true });
  expect(r).toMatchObject({ into: 'copy_one', changed: true, replaced: false, verified: true, rows: b.rows });
  const [copied] = await sql<{ n: string }>('SELECT count(*) AS n FROM events', 'copy_one');
  expect(Number(copied?.n)).toBe(rows.events);
  expect(await databases()).toEqual(['copy_one']);

  expect(await backup({ id: 'b1' })).toMatchObject({ id: 'b1', changed: false, sha256: b.sha256 });
  expect(await restore({ backup: 'b1', into: 'copy_one', scratch: true })).toMatchObject({ changed: false });
  // Another step finds a database that has lived on since: it is not taken as restored.
  expect(await failure(restore({ backup: 'b1', into: 'copy_one', scratch: true }, {}, 'later'))).toMatchObject({
    type: FAILURE.InvalidInput,
  });
}, 120_000);

test('list: complete backups newest first, a dump without its manifest as incomplete', async () => {
  const second = await backup({}, 'second');
  expect(second.id).toMatch(/^b-[0-9a-f]{16}$/);
  writeFileSync(join(storeDir, 'half.pgdump'), 'partial');
  const store = await deps.openStore('backups');
  await store.putFile('postgres/orders/never-finished/dump.pgdump', join(storeDir, 'half.pgdump'));
  const l = await list();
  expect(l.backups.map((b) => b.id)).toEqual([second.id, 'b1']);
  expect(l.incomplete.map((i) => i.key)).toEqual(['postgres/orders/never-finished/dump.pgdump']);
  expect(l.newestAgeSeconds).toBeGreaterThanOrEqual(0);
  expect(l.newestAgeSeconds).toBeLessThan(600);
  // 'newest' is the second backup.
  expect((await restore({ into: 'copy_newest', scratch: true })).backup.id).toBe(second.id);
  await drop({ name: 'copy_newest' });
}, 120_000);

test('an existing database is refused without replace, replaced with it', async () => {
  await sql('CREATE DATABASE copy_taken');
  const refused = await failure(restore({ backup: 'b1', into: 'copy_taken' }));
  expect(refused).toMatchObject({ type: FAILURE.InvalidInput, nonRetryable: true });
  expect(refused.message).toMatch(/copy_taken already exists.*replace: true/);
  const r = await restore({ backup: 'b1', into: 'copy_taken', replace: true });
  expect(r).toMatchObject({ changed: true, replaced: true, verified: true });
  const [n] = await sql<{ n: string }>('SELECT count(*) AS n FROM pgbench_accounts', 'copy_taken');
  expect(Number(n?.n)).toBe(100_000 * SCALE);
}, 120_000);

describe('a bad backup is never restored', () => {
  const objectFile = (key: string): string => join(storeDir, 'objects', key);

  test.each([
    [
      'corrupted',
      (f: string) => {
        const bytes = readFileSync(f);
        const at = Math.floor(bytes.length / 2);
        bytes[at] = (bytes[at] ?? 0) ^ 0xff;
        writeFileSync(f, bytes);
      },
    ],
    ['truncated', (f: string) => truncateSync(f, Math.floor(readFileSync(f).length / 3))],
  ])(
    'a %s dump fails IntegrityFailed before any database is made',
    async (_what, damage) => {
      const b = await backup({ id: `bad-${_what}` });
      damage(objectFile(b.dumpKey));
      const before = await databases();
      const f = await failure(restore({ backup: b.id, into: 'copy_bad' }));
      expect(f).toMatchObject({ type: FAILURE.IntegrityFailed, nonRetryable: true });
      expect(f.message).toContain(b.dumpKey);
      expect(await databases()).toEqual(before);
    },
    120_000,
  );

  test('a manifest naming a dump outside its folder fails IntegrityFailed; one that does not parse is reported, not restored', async () => {
    const b = await backup({ id: 'elsewhere' });
    const store = await deps.openStore('backups');
    const m = JSON.parse((await store.getBytes(b.manifestKey, 1 << 24)).body.toString()) as { dump: { key: string } };
    m.dump.key = 'postgres/orders/b1/dump.pgdump';
    await store.putBytes(b.manifestKey, Buffer.from(JSON.stringify(m)));
    const f = await failure(restore({ backup: 'elsewhere', into: 'copy_elsewhere' }));
    expect(f).toMatchObject({ type: FAILURE.IntegrityFailed });
    expect(f.message).toMatch(/names a dump outside its folder/);
    await store.putBytes(b.manifestKey, Buffer.from('{"not": "a manifest"}'));
    const l = await list();
    expect(l.unreadable).toEqual([b.manifestKey]);
    expect(l.backups.map((x) => x.id)).not.toContain('elsewhere');
    expect(l.incomplete.map((x) => x.key)).not.toContain(b.dumpKey);
    await store.delete(b.manifestKey);
    await store.delete(b.dumpKey);
  }, 120_000);

  test('a restore that differs from its manifest fails IntegrityFailed and leaves neither copy', async () => {
    const b = await backup({ id: 'lying' });
    const store = await deps.openStore('backups');
    const m = JSON.parse((await store.getBytes(b.manifestKey, 1 << 24)).body.toString()) as {
      tables: Array<{ name: string; rows: number }>;
    };
    for (const t of m.tables) if (t.name === 'pgbench_branches') t.rows += 1;
    await store.putBytes(b.manifestKey, Buffer.from(JSON.stringify(m)));
    const before = await databases();
    const f = await failure(restore({ backup: 'lying', into: 'copy_lying' }));
    expect(f).toMatchObject({ type: FAILURE.IntegrityFailed });
    expect(f.message).toMatch(/public\.pgbench_branches \(expected \d+ rows, got \d+ rows\)/);
    expect(await databases()).toEqual(before);
  }, 120_000);
});

test('awkward tables restore equal: an inheritance child whose columns moved, money, floats, json, arrays, bytea; temp and unlogged tables left out', async () => {
  await sql(`CREATE TABLE parent (id int, a text)`);
  await sql(`CREATE TABLE child (b text) INHERITS (parent)`);
  // Added to the parent after the child exists: the child's column order differs after a restore.
  await sql(`ALTER TABLE parent ADD COLUMN c int`);
  await sql(`INSERT INTO child (id, a, b, c) VALUES (1, 'a', 'b', 3), (2, NULL, 'bb', NULL)`);
  await sql(`CREATE TABLE odd (m money, f float8, r real, j jsonb, arr int[], raw bytea, t timestamptz, n numeric)`);
  await sql(
    `INSERT INTO odd VALUES ('12.34', 0.1 + 0.2, 1.1, '{"b": 1, "a": [1, 2]}', '{1,2,3}', '\\xdeadbeef', now(), 1.50)`,
  );
  await sql(`CREATE UNLOGGED TABLE scratchpad (x int)`);
  await sql(`INSERT INTO scratchpad VALUES (1)`);
  // Another session's temporary table, open through the backup.
  const other = new Client({ host: '127.0.0.1', port: cluster.primary.port, user: 'postgres', database: 'postgres' });
  await other.connect();
  try {
    await other.query('CREATE TEMP TABLE mine (x int)');
    await other.query('INSERT INTO mine VALUES (1)');
    const b = await backup({ id: 'awkward' });
    const m = parseManifest(readFileSync(join(storeDir, 'objects', b.manifestKey)), b.manifestKey);
    const names = m.tables.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['parent', 'child', 'odd']));
    expect(names).not.toContain('scratchpad');
    expect(names).not.toContain('mine');
    expect(m.encoding).toBe('UTF8');
    // Rows hashed by their types' hash functions where every column has one; money has none: its row text.
    const hashOf = (name: string) => m.tables.find((t) => t.name === name)?.hash;
    expect([hashOf('parent'), hashOf('child'), hashOf('odd')]).toEqual(['record', 'record', 'text']);
    expect(m.format).toBe('durable-runbooks/pg-backup@2');
    expect(await restore({ backup: 'awkward', into: 'copy_awkward', scratch: true })).toMatchObject({
      verified: true,
    });
    await drop({ name: 'copy_awkward' });

    // A manifest written before `hash` (format @1: every row as text) still proves its restore.
    const c = await deps.connect('orders');
    const v1 = { ...m, format: 'durable-runbooks/pg-backup@1', tables: [] as unknown[] };
    try {
      await applyChecksumSettings(c);
      for (const t of m.tables) {
        const { hash: _hash, ...text } = await sumTable(c, t, true, 'text');
        v1.tables.push(text);
      }
    } finally {
      await c.end();
    }
    expect(v1.tables).not.toEqual(m.tables.map(({ hash: _h, ...t }) => t));
    const store = await deps.openStore('backups');
    await store.putBytes(b.manifestKey, Buffer.from(JSON.stringify(v1)));
    expect(await restore({ backup: 'awkward', into: 'copy_awkward_v1', scratch: true })).toMatchObject({
      verified: true,
    });
    await drop({ name: 'copy_awkward_v1' });
  } finally {
    await other.end();
    await sql('DROP TABLE child, parent, odd, scratchpad');
  }
}, 120_000);

test('a rows-only backup (checksums: false) records counts, and its restore is checked on them', async () => {
  const b = await backup({ id: 'counts-only', checksums: false });
  const m = parseManifest(readFileSync(join(storeDir, 'objects', b.manifestKey)), b.manifestKey);
  expect(m.tables.every((t) => t.checksum === null && t.rows >= 0)).toBe(true);
  expect(m.tables.find((t) => t.name === 'pgbench_accounts')?.rows).toBe(100_000 * SCALE);
  expect(await restore({ backup: 'counts-only', into: 'copy_counts', scratch: true })).toMatchObject({
    verified: true,
  });
  await drop({ name: 'copy_counts' });
}, 120_000);

test('a pg_dump that fails after writing its whole output leaves no dump in the store', async () => {
  const real = deps.runTool;
  const failing: BackupDeps['runTool'] = async (r) => {
    await real(r);
    if (r.tool === 'pg_dump') throw new Error('pg_dump exited with status 1: simulated after its output');
  };
  const run = createBackupAction({ ...deps, runTool: failing });
  await expect(
    run(pgBackupCreate.input.parse({ database: 'orders', store: 'backups', id: 'dump-failed' }), ctx('dump-failed')),
  ).rejects.toThrow('simulated after its output');
  const store = await deps.openStore('backups');
  expect(await store.list('postgres/orders/dump-failed/')).toEqual([]);
}, 120_000);

test('tables are checked as pg_restore commits them, a name in two schemas after it exits; a difference in either is caught', async () => {
  await sql(`CREATE SCHEMA other`);
  await sql(`CREATE TABLE other.pgbench_tellers (tid int PRIMARY KEY, note text)`);
  await sql(`INSERT INTO other.pgbench_tellers SELECT g, 'teller ' || g FROM generate_series(1, 500) g`);
  try {
    const b = await backup({ id: 'two-schemas' });
    const checkedAtVerify: number[] = [];
    const watching: ActivityProgress = {
      heartbeat: (d) => {
        if (d.phase === 'verify') checkedAtVerify.push(Number(d.tablesChecked));
      },
      signal: undefined,
    };
    const r = await restore(
      { backup: b.id, into: 'copy_schemas', scratch: true, jobs: 2 },
      { progress: () => watching },
    );
    expect(r).toMatchObject({ verified: true, tables: b.tables });
    // Summed while pg_restore went on: the small tables were done before it exited.
    expect(checkedAtVerify[0]).toBeGreaterThan(0);
    expect(checkedAtVerify[0]).toBeLessThan(b.tables);
    await drop({ name: 'copy_schemas' });

    const store = await deps.openStore('backups');
    const m = JSON.parse((await store.getBytes(b.manifestKey, 1 << 24)).body.toString()) as {
      tables: Array<{ schema: string; name: string; checksum: string | null }>;
    };
    for (const t of m.tables) if (t.schema === 'other') t.checksum = '12345';
    await store.putBytes(b.manifestKey, Buffer.from(JSON.stringify(m)));
    const before = await databases();
    const f = await failure(restore({ backup: b.id, into: 'copy_schemas_lying', jobs: 2 }));
    expect(f).toMatchObject({ type: FAILURE.IntegrityFailed });
    expect(f.message).toMatch(
      /in 1 table\(s\): other\.pgbench_tellers \(expected 500 rows, got 500 rows, checksum differs\)/,
    );
    expect(await databases()).toEqual(before);
  } finally {
    await sql(`DROP SCHEMA other CASCADE`);
  }
}, 120_000);

test('a restore cancelled in the middle leaves neither the database nor its staging copy', async () => {
  const abort = new AbortController();
  const phases: string[] = [];
  const progress: ActivityProgress = {
    heartbeat: (d) => {
      phases.push(String(d.phase));
      if (d.phase === 'restore') abort.abort(new Error('cancelled by the test'));
    },
    signal: abort.signal,
  };
  const before = await databases();
  await expect(restore({ backup: 'b1', into: 'copy_cancelled' }, { progress: () => progress })).rejects.toThrow(
    'cancelled by the test',
  );
  expect(phases).toContain('restore');
  expect(await databases()).toEqual(before);
}, 120_000);

test('drop: scratch copies without being told, anything else only with onlyScratch: false', async () => {
  await restore({ backup: 'b1', into: 'copy_scratch', scratch: true });
  expect(await drop({ name: 'copy_scratch' })).toEqual({ name: 'copy_scratch', changed: true, terminated: 0 });
  expect(await drop({ name: 'copy_scratch' })).toEqual({ name: 'copy_scratch', changed: false, terminated: 0 });
  const refused = await failure(drop({ name: 'copy_taken' }));
  expect(refused).toMatchObject({ type: FAILURE.InvalidInput });
  expect(refused.message).toMatch(/not a scratch restore/);
  expect(await drop({ name: 'copy_taken', onlyScratch: false })).toMatchObject({ changed: true });
  expect(await failure(drop({ name: 'postgres', onlyScratch: false }))).toMatchObject({ type: FAILURE.InvalidInput });
}, 120_000);

test('a process killed (-9) in the middle of a restore: the database is absent, and the retry makes it whole', async () => {
  buildOnce();
  const child = spawn(
    process.execPath,
    [
      join(__dirname, '../support/restore-child.js'),
      JSON.stringify({
        port: cluster.primary.port,
        storeDir,
        binDir: pgBin(),
        input: { database: 'orders', store: 'backups', backup: 'b1', into: 'copy_crashed', jobs: 1 },
      }),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  await waitFor('the child restoring table data', () => out.includes('"phase":"restore"'), {
    timeoutMs: 60_000,
    intervalMs: 5,
    detail: () => out,
  });
  child.kill('SIGKILL');
  await exited;
  expect(out).not.toContain('done');
  expect(await databases()).not.toContain('copy_crashed');

  const r = await restore({ backup: 'b1', into: 'copy_crashed' });
  expect(r).toMatchObject({ changed: true, verified: true });
  expect(await databases()).toContain('copy_crashed');
  expect(await databases()).not.toContain('copy_crashed__restoring');
  // The orphaned pg_restore's sessions were ended with the staging copy.
  await waitFor('no session left on the staging copy', async () => {
    const [n] = await sql<{ n: string }>(
      `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = 'copy_crashed__restoring'`,
    );
    return Number(n?.n) === 0;
  });
}, 180_000);

test('prune (last: it removes the others): sixty days on only the newest stays, and what went is reported', async () => {
  const before = await list();
  const later = new Date(Date.now() + 60 * 86_400_000);
  const prune = createPruneAction({ ...deps, now: () => later });
  const r = await prune(pgBackupPrune.input.parse({ database: 'orders', store: 'backups' }));
  const newest = before.backups[0];
  expect(r.kept).toEqual([{ id: newest?.id, snapshotAt: newest?.snapshotAt, why: 'the newest backup' }]);
  expect(r.deleted.map((d) => d.id).sort()).toEqual(
    before.backups
      .slice(1)
      .map((b) => b.id)
      .sort(),
  );
  expect(r.deleted.every((d) => d.reason === 'older than 30 days')).toBe(true);
  expect(r.incompleteDeleted.map((o) => o.key)).toEqual(['postgres/orders/never-finished/dump.pgdump']);
  expect(r.bytesFreed).toBe(
    before.backups.slice(1).reduce((n, b) => n + b.size, 0) + (before.incomplete[0]?.size ?? 0),
  );
  const after = await list();
  expect(after.backups.map((b) => b.id)).toEqual([newest?.id]);
  expect(after.incomplete).toEqual([]);
  expect((await prune(pgBackupPrune.input.parse({ database: 'orders', store: 'backups' }))).changed).toBe(false);
}, 120_000);
