/**
 * The pg:* actions against a real throwaway primary and streaming standby (test/support/postgres.ts),
 * through the activity envelope: each documented example runs; health on the primary shows the
 * standby and its lag, on the standby its recovery; a transaction held open and a query waiting on
 * its lock are reported with their pids; the smoke query passes, fails on expectRows and refuses
 * writes. The backup examples run in catalog order (create, list, restore a scratch copy, drop it)
 * against a local store; vacuum, reindex and terminate act on the primary, and at the end the
 * primary is crashed and the standby promoted, taking writes. Needs only PostgreSQL (the suite's Temporal server is not used).
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import { Client } from 'pg';
import { CATALOG } from '../../src/catalog';
import type { PgHealthResult } from '../../src/catalog/postgres/health';
import type { PgSmokeResult } from '../../src/catalog/postgres/query';
import type { PgArchiveResult } from '../../src/catalog/postgres/maintenance';
import { createPostgresActivities } from '../../src/activities/postgres';
import { createPgConnect, createPgResolve } from '../../src/activities/postgres/client';
import { createRunPgTool } from '../../src/activities/postgres/tools';
import { createLocalStore } from '../../src/activities/storage/local';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSecretResolver } from '../../src/activities/secrets';
import type { DatabaseConfig } from '../../src/config/databases-schema';
import { freePort } from '../../src/platform/ports';
import { FAILURE } from '../../src/shared/failures';
import type { ActionInput, ActionResult } from '../../src/shared/activity-types';
import { pgBin, startPostgres, type PgCluster } from '../support/postgres';
import { waitFor } from '../support/wait';

let cluster: PgCluster;
let storeDir: string | undefined;
let activities: Record<string, (i: ActionInput) => Promise<ActionResult>>;
const clients: Client[] = [];

const db = (port: number): DatabaseConfig => ({
  host: '127.0.0.1',
  port,
  database: 'postgres',
  user: 'postgres',
  application_name: 'durable-runbooks',
});

beforeAll(async () => {
  cluster = await startPostgres({ standby: true });
  const standby = cluster.standby;
  if (!standby) throw new Error('no standby');
  const resolve = createPgResolve({
    databases: { orders: db(cluster.primary.port), 'orders-standby': db(standby.port), nobody: db(await freePort()) },
    secrets: createSecretResolver({ env: {} }),
  });
  storeDir = mkdtempSync(join(tmpdir(), 'pg-store-'));
  const store = createLocalStore('backups', storeDir);
  activities = createPostgresActivities({
    connect: createPgConnect({ resolve }),
    resolve,
    runTool: createRunPgTool({ binDir: pgBin() }),
    openStore: async () => store,
    progress: () => ({ heartbeat: () => undefined, signal: undefined }),
    metrics: { observeStep: () => undefined },
  }) as unknown as Record<string, (i: ActionInput) => Promise<ActionResult>>;
  const c = await client('setup');
  await c.query('CREATE TABLE orders (id int PRIMARY KEY, item text)');
  await c.query(`INSERT INTO orders SELECT g, 'item ' || g FROM generate_series(1, 3) g`);
}, 120_000);

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.end().catch(() => undefined)));
});
afterAll(async () => {
  await cluster?.stop();
  if (storeDir) rmSync(storeDir, { recursive: true, force: true });
});

async function client(applicationName: string): Promise<Client> {
  const c = new Client({ ...db(cluster.primary.port), application_name: applicationName });
  c.on('error', () => undefined);
  await c.connect();
  clients.push(c);
  return c;
}

async function call<T>(id: string, input: Record<string, unknown>): Promise<T> {
  const fn = activities[id];
  if (!fn) throw new Error(`no activity ${id}`);
  const step = {
    workflowId: 'wf-pg',
    runId: 'r',
    stepId: 's',
    runbookId: 'pg',
    idempotencyKey: 'wf-pg/s',
    dryRun: false,
  };
  const r: ActionResult = await new MockActivityEnvironment().run(fn, { step, input: input as ActionInput['input'] });
  return r.output as T;
}

async function failureOf(id: string, input: Record<string, unknown>): Promise<ApplicationFailure> {
  try {
    await call(id, input);
  } catch (err) {
    if (err instanceof ApplicationFailure) return err;
    throw err;
  }
  throw new Error(`${id} did not fail`);
}

const health = (input: Record<string, unknown>) => call<PgHealthResult>('pg:health:read', input);
const smoke = (input: Record<string, unknown>) => call<PgSmokeResult>('pg:query:smoke', input);

// Every example but the promotion, which the failover test at the end makes for real.
test.each(
  [...CATALOG.values()]
    .filter((e) => e.example.needs === 'postgres' && e.id !== 'pg:server:promote')
    .map((e) => [e.id]),
)('the documented example of %s runs', async (id) => {
  const entry = CATALOG.get(id);
  if (!entry) throw new Error(`no catalog entry ${id}`);
  const output = await call(id, entry.example.with);
  expect(entry.output.safeParse(output).success).toBe(true);
});

test('the postgres examples are the pg system', () => {
  expect(
    [...CATALOG.values()]
      .filter((e) => e.example.needs === 'postgres')
      .map((e) => e.id)
      .sort(),
  ).toEqual([
    'pg:archive:read',
    'pg:backup:create',
    'pg:backup:list',
    'pg:backup:prune',
    'pg:backup:restore',
    'pg:connection:terminate',
    'pg:database:drop',
    'pg:health:read',
    'pg:index:reindex',
    'pg:query:smoke',
    'pg:server:promote',
    'pg:table:vacuum',
  ]);
  // Point-in-time recovery's need a primary archiving into a store: postgres-pitr.test.ts runs them.
  expect(
    [...CATALOG.values()]
      .filter((e) => e.example.needs === 'pitr')
      .map((e) => e.id)
      .sort(),
  ).toEqual(['pg:basebackup:create', 'pg:pitr:restore', 'pg:scratch:query', 'pg:scratch:remove']);
});

test('health on the primary: version, connections and the streaming standby with its lag', async () => {
  const standby = cluster.standby;
  const h = await waitFor('the standby streaming in pg_stat_replication', async () => {
    const r = await health({ database: 'orders' });
    return r.replication.standbys.some((s) => s.state === 'streaming' && s.lagBytes !== null) ? r : undefined;
  });
  expect(h.inRecovery).toBe(false);
  expect(h.serverVersion).toMatch(/^\d+\.\d+/);
  expect(h.connections.max).toBeGreaterThan(0);
  expect(h.connections.ratio).toBeCloseTo(h.connections.used / h.connections.max, 3);
  expect(h.replication.standby).toBeNull();
  const [s, ...others] = h.replication.standbys;
  expect(others).toEqual([]);
  expect({ ...s, lagBytes: undefined, replayLagSeconds: undefined }).toEqual({
    applicationName: standby?.applicationName,
    clientAddr: '127.0.0.1',
    state: 'streaming',
    syncState: 'async',
    lagBytes: undefined,
    replayLagSeconds: undefined,
  });
  expect(s?.lagBytes).toBeGreaterThanOrEqual(0);
  // pg_stat_replication's replay_lag is null once the standby has caught up and the primary is idle.
  expect(s?.replayLagSeconds === null || (s?.replayLagSeconds ?? -1) >= 0).toBe(true);
});

test('health on the standby: in recovery, what it received and replayed', async () => {
  const h = await health({ database: 'orders-standby' });
  expect(h.inRecovery).toBe(true);
  expect(h.replication.standbys).toEqual([]);
  expect(h.replication.standby).toEqual({
    receiveLsn: expect.stringMatching(/^[0-9A-F]+\/[0-9A-F]+$/),
    replayLsn: expect.stringMatching(/^[0-9A-F]+\/[0-9A-F]+$/),
    replayDelaySeconds: expect.any(Number),
  });
});

test('a transaction held open by another connection is reported, and the connection counted', async () => {
  const holder = await client('long-holder');
  const pid = (await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid;
  await holder.query('BEGIN');
  await holder.query('SELECT count(*) FROM orders');
  const h = await waitFor('the open transaction over 1 s', async () => {
    const r = await health({ database: 'orders', longTransactionSeconds: 1 });
    return r.longTransactions.some((t) => t.pid === pid) ? r : undefined;
  });
  expect(h.longTransactions.find((t) => t.pid === pid)).toEqual({
    pid,
    application: 'long-holder',
    user: 'postgres',
    state: 'idle in transaction',
    seconds: expect.any(Number),
    query: 'SELECT count(*) FROM orders',
  });
  expect(h.connections.byApplication).toContainEqual({ name: 'long-holder', count: 1 });
  expect(h.connections.byState).toContainEqual({ name: 'idle in transaction', count: 1 });
  // Under the default threshold (5 minutes) it is not reported.
  expect((await health({ database: 'orders' })).longTransactions).toEqual([]);
});

test('a query waiting on a lock is reported with the pid blocking it', async () => {
  const holder = await client('lock-holder');
  const waiter = await client('lock-waiter');
  const holderPid = (await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid;
  const waiterPid = (await waiter.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid;
  await holder.query('BEGIN');
  await holder.query('LOCK TABLE orders IN ACCESS EXCLUSIVE MODE');
  const waiting = waiter.query('SELECT count(*) FROM orders');
  const h = await waitFor('the blocked query', async () => {
    const r = await health({ database: 'orders' });
    return r.blockedQueries.some((b) => b.pid === waiterPid) ? r : undefined;
  });
  expect(h.blockedQueries).toEqual([
    {
      pid: waiterPid,
      blockedBy: [holderPid],
      application: 'lock-waiter',
      waitSeconds: expect.any(Number),
      query: 'SELECT count(*) FROM orders',
    },
  ]);
  await holder.query('ROLLBACK');
  expect((await waiting).rows).toEqual([{ count: '3' }]);
});

test('smoke query: rows counted and bounded, expectRows checked', async () => {
  const ok = await smoke({
    database: 'orders',
    sql: 'SELECT id, item FROM orders ORDER BY id',
    expectRows: { min: 3 },
    maxRows: 2,
  });
  expect(ok).toEqual({
    rowCount: 3,
    columns: ['id', 'item'],
    rows: [
      { id: '1', item: 'item 1' },
      { id: '2', item: 'item 2' },
    ],
    durationMs: expect.any(Number),
  });
  const params = await smoke({ database: 'orders-standby', sql: 'SELECT item FROM orders WHERE id = $1', params: [2] });
  expect(params.rows).toEqual([{ item: 'item 2' }]);

  const tooMany = await failureOf('pg:query:smoke', {
    database: 'orders',
    sql: 'SELECT id FROM orders',
    expectRows: { max: 1 },
  });
  expect({ type: tooMany.type, nonRetryable: tooMany.nonRetryable, message: tooMany.message }).toEqual({
    type: FAILURE.CheckFailed,
    nonRetryable: false,
    message: 'smoke query on orders returned 3 rows, expected at most 1',
  });
});

test('smoke query: a write, a second statement and a slow query are refused; nothing changed', async () => {
  const write = await failureOf('pg:query:smoke', { database: 'orders', sql: 'DELETE FROM orders' });
  expect({ type: write.type, nonRetryable: write.nonRetryable }).toEqual({
    type: FAILURE.InvalidInput,
    nonRetryable: true,
  });
  expect(write.message).toContain('read-only transaction');
  const escape = await failureOf('pg:query:smoke', { database: 'orders', sql: 'COMMIT; DELETE FROM orders' });
  expect({ type: escape.type, nonRetryable: escape.nonRetryable }).toEqual({
    type: FAILURE.InvalidInput,
    nonRetryable: true,
  });
  const slow = await failureOf('pg:query:smoke', {
    database: 'orders',
    sql: 'SELECT pg_sleep(5)',
    statementTimeoutMs: 50,
  });
  expect({ type: slow.type, nonRetryable: slow.nonRetryable }).toEqual({ type: FAILURE.Timeout, nonRetryable: false });
  expect((await smoke({ database: 'orders', sql: 'SELECT count(*) AS n FROM orders' })).rows).toEqual([{ n: '3' }]);
});

test('an unknown database is permanent; a refused connection is retried', async () => {
  const unknown = await failureOf('pg:health:read', { database: 'billing' });
  expect({ type: unknown.type, nonRetryable: unknown.nonRetryable }).toEqual({
    type: FAILURE.UnknownTarget,
    nonRetryable: true,
  });
  const refused = await failureOf('pg:health:read', { database: 'nobody' });
  expect({ type: refused.type, nonRetryable: refused.nonRetryable }).toEqual({
    type: 'ECONNREFUSED',
    nonRetryable: false,
  });
});

test('vacuum: dead tuples reclaimed and counted; an unknown table is NotFound', async () => {
  const c = await client('vacuum-setup');
  await c.query('CREATE TABLE churn (id int PRIMARY KEY, v text)');
  await c.query(`INSERT INTO churn SELECT g, 'v' FROM generate_series(1, 2000) g`);
  await c.query('DELETE FROM churn WHERE id % 2 = 0');
  await waitFor('the statistics to count the dead tuples', async () => {
    const [r] = (await c.query(`SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = 'churn'`)).rows;
    return Number(r?.n_dead_tup) >= 1000;
  });
  const v = await call<{ changed: boolean; tables: Array<{ table: string; deadTuplesBefore: number | null }> }>(
    'pg:table:vacuum',
    { database: 'orders', tables: ['churn'] },
  );
  expect(v.changed).toBe(true);
  expect(v.tables).toEqual([expect.objectContaining({ table: 'public.churn', deadTuplesBefore: 1000 })]);
  await waitFor('the dead tuples gone from the statistics', async () => {
    const [r] = (await c.query(`SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = 'churn'`)).rows;
    return Number(r?.n_dead_tup) === 0;
  });
  expect(await failureOf('pg:table:vacuum', { database: 'orders', tables: ['nope'] })).toMatchObject({
    type: FAILURE.NotFound,
  });
});

test('reindex: a table concurrently, the whole database; an unknown table is NotFound', async () => {
  expect(await call('pg:index:reindex', { database: 'orders', table: 'orders' })).toMatchObject({
    changed: true,
    target: 'public.orders',
    concurrently: true,
    indexes: 1,
  });
  expect(await call('pg:index:reindex', { database: 'orders', concurrently: false })).toMatchObject({
    target: 'database postgres',
    concurrently: false,
  });
  expect(await failureOf('pg:index:reindex', { database: 'orders', table: 'nope' })).toMatchObject({
    type: FAILURE.NotFound,
  });
});

test('terminate: the sessions of an application idle in a transaction end; the next run finds none', async () => {
  const stuck = await client('stuck-app');
  const other = await client('other-app');
  await stuck.query('BEGIN');
  await stuck.query('SELECT 1');
  await other.query('BEGIN');
  await other.query('SELECT 1');
  const pid = (await stuck.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid;
  const input = { database: 'orders', application: 'stuck-app', state: 'idle in transaction' };
  const r = await call<{ changed: boolean; terminated: Array<{ pid: number }>; matched: number }>(
    'pg:connection:terminate',
    input,
  );
  expect(r).toMatchObject({
    changed: true,
    matched: 1,
    terminated: [expect.objectContaining({ pid, application: 'stuck-app' })],
  });
  await expect(stuck.query('SELECT 1')).rejects.toThrow();
  expect((await other.query<{ one: number }>('SELECT 1 AS one')).rows[0]?.one).toBe(1);
  expect(await call('pg:connection:terminate', input)).toEqual({ changed: false, terminated: [], matched: 0 });
  // Ending every session is not a step.
  expect(await failureOf('pg:connection:terminate', { database: 'orders' })).toMatchObject({
    type: FAILURE.InvalidInput,
  });
});

test('the WAL archive: segments archived by the test cluster, none failing; a switch archives one more', async () => {
  const before = await call<PgArchiveResult>('pg:archive:read', { database: 'orders' });
  expect(before).toMatchObject({ archiving: true, archiveMode: 'on', failedCount: 0, failing: false });
  const c = await client('archive-switch');
  await c.query(`INSERT INTO orders VALUES (100, 'wal') ON CONFLICT DO NOTHING`);
  await c.query('SELECT pg_switch_wal()');
  const after = await waitFor('one more segment archived', async () => {
    const r = await call<PgArchiveResult>('pg:archive:read', { database: 'orders' });
    return r.archivedCount > before.archivedCount ? r : undefined;
  });
  expect(after.lastArchivedWal).toMatch(/^[0-9A-F]{24}$/);
  expect(after.secondsSinceLastArchived).toBeLessThan(60);
  expect(readdirSync(cluster.archiveDir)).toContain(after.lastArchivedWal);
  await c.query('DELETE FROM orders WHERE id = 100');
  const standby = await call<PgArchiveResult>('pg:archive:read', { database: 'orders-standby' });
  expect(standby).toMatchObject({ archiving: false, currentWal: null });
});

// Last: it crashes the primary, then fails over to the standby.
test('after kill() of the primary its connections are refused (retried); the standby still answers', async () => {
  await cluster.kill();
  const refused = await failureOf('pg:health:read', { database: 'orders' });
  expect({ type: refused.type, nonRetryable: refused.nonRetryable }).toEqual({
    type: 'ECONNREFUSED',
    nonRetryable: false,
  });
  const h = await health({ database: 'orders-standby' });
  expect(h.inRecovery).toBe(true);
  expect(
    (await smoke({ database: 'orders-standby', sql: 'SELECT id FROM orders', expectRows: { min: 3, max: 3 } }))
      .rowCount,
  ).toBe(3);
});

test('failover: the standby promoted accepts writes on a new timeline; promoting again changes nothing', async () => {
  const p = await call<{ changed: boolean; timeline: number; lsn: string }>('pg:server:promote', {
    database: 'orders-standby',
  });
  expect(p.changed).toBe(true);
  expect(p.timeline).toBeGreaterThan(1);
  expect(p.lsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
  expect((await health({ database: 'orders-standby' })).inRecovery).toBe(false);
  const standby = cluster.standby;
  if (!standby) throw new Error('no standby');
  const c = new Client({ ...db(standby.port), application_name: 'after-failover' });
  await c.connect();
  clients.push(c);
  await c.query(`INSERT INTO orders VALUES (4, 'after failover')`);
  expect(
    (await smoke({ database: 'orders-standby', sql: 'SELECT id FROM orders', expectRows: { min: 4, max: 4 } }))
      .rowCount,
  ).toBe(4);
  expect(await call('pg:server:promote', { database: 'orders-standby' })).toMatchObject({
    changed: false,
    timeline: p.timeline,
  });
});
