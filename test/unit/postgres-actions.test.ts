/**
 * The pg:* actions over a fake of the narrow client: what the server answers becomes the output
 * (numbers from text, lists bounded, values cut), the smoke query runs read-only and rolled back,
 * and failures are the vocabulary's (config, credentials, SQL, timeouts, connection).
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import { createPostgresActivities } from '../../src/activities/postgres';
import { createPgConnect, type PgClient, type PgConnect, type PgResult } from '../../src/activities/postgres/client';
import { pgFailure } from '../../src/activities/postgres/errors';
import { createSecretResolver } from '../../src/activities/secrets';
import { FAILURE } from '../../src/shared/failures';
import type { ActionInput, ActionResult } from '../../src/shared/activity-types';

type Answer = PgResult | Error;
interface Fake {
  connect: PgConnect;
  calls: Array<{ sql: string; params: readonly unknown[] }>;
  opened: string[];
  ended: number;
}

const result = (columns: string[], rows: unknown[][]): PgResult => ({ columns, rows });

/** Answers by the first pattern matching the SQL; a query no pattern knows fails the test. */
function fake(answers: Array<[RegExp, Answer]>): Fake {
  const f: Fake = { calls: [], opened: [], ended: 0, connect: async () => client };
  const client: PgClient = {
    async query(sql, params = []) {
      f.calls.push({ sql, params });
      const a = answers.find(([re]) => re.test(sql))?.[1];
      if (!a) throw new Error(`unexpected query: ${sql}`);
      if (a instanceof Error) throw a;
      return a;
    },
    async end() {
      f.ended++;
    },
  };
  f.connect = async (name, o) => {
    f.opened.push(o?.dbname ? `${name}/${o.dbname}` : name);
    return client;
  };
  return f;
}

const sqlError = (code: string, message: string): Error => Object.assign(new Error(message), { code });

async function run<T>(f: Fake, id: string, input: Record<string, unknown>): Promise<T> {
  const acts = createPostgresActivities({
    connect: f.connect,
    resolve: () => Promise.reject(new Error('not used here')),
    openStore: () => Promise.reject(new Error('not used here')),
    runTool: () => Promise.reject(new Error('not used here')),
    progress: () => ({ heartbeat: () => undefined, signal: undefined }),
    metrics: { observeStep: () => undefined },
  }) as unknown as Record<string, (i: ActionInput) => Promise<ActionResult>>;
  const fn = acts[id];
  if (!fn) throw new Error(`no activity ${id}`);
  const step = { workflowId: 'w', runId: 'r', stepId: 's', runbookId: 'x', idempotencyKey: 'w/s', dryRun: false };
  const r: ActionResult = await new MockActivityEnvironment().run(fn, { step, input: input as ActionInput['input'] });
  return r.output as T;
}

async function failure(
  p: Promise<unknown>,
): Promise<{ type: string | undefined | null; nonRetryable: boolean; message: string }> {
  try {
    await p;
  } catch (err) {
    if (!(err instanceof ApplicationFailure)) throw err;
    return { type: err.type, nonRetryable: err.nonRetryable === true, message: err.message };
  }
  throw new Error('did not fail');
}

const PRIMARY: Array<[RegExp, Answer]> = [
  [
    /server_version/,
    result(['version', 'in_recovery', 'max_connections'], [['15.18 (Debian 15.18-0+deb12u1)', false, 100]]),
  ],
  [
    /GROUP BY 1, 2/,
    result(
      ['state', 'app', 'n'],
      [
        ['active', 'checkout', 3],
        ['idle', 'checkout', 40],
        ['idle', '(none)', 2],
        ['idle in transaction', 'batch', 5],
      ],
    ),
  ],
  [
    /FROM pg_stat_replication/,
    result(
      ['application_name', 'client_addr', 'state', 'sync_state', 'lag_bytes', 'replay_lag'],
      [['standby1', '10.0.0.2', 'streaming', 'async', 16384, 0.123456]],
    ),
  ],
  [
    /xact_start IS NOT NULL/,
    result(
      ['pid', 'app', 'usename', 'state', 'seconds', 'query'],
      [[4242, 'batch', 'app', 'idle in transaction', 901.23456, 'UPDATE t']],
    ),
  ],
  [
    /pg_blocking_pids\(pid\) AS/,
    result(['pid', 'blocked_by', 'app', 'wait_seconds', 'query'], [[77, [4242], 'checkout', 12.5, 'SELECT 1']]),
  ],
];

test('health on a primary: connections by state and application, standbys, long transactions, blocked queries', async () => {
  const f = fake(PRIMARY);
  const h = await run(f, 'pg:health:read', { database: 'orders' });
  expect(h).toEqual({
    serverVersion: '15.18 (Debian 15.18-0+deb12u1)',
    inRecovery: false,
    connections: {
      used: 50,
      max: 100,
      ratio: 0.5,
      byState: [
        { name: 'idle', count: 42 },
        { name: 'idle in transaction', count: 5 },
        { name: 'active', count: 3 },
      ],
      byApplication: [
        { name: 'checkout', count: 43 },
        { name: 'batch', count: 5 },
        { name: '(none)', count: 2 },
      ],
    },
    replication: {
      standbys: [
        {
          applicationName: 'standby1',
          clientAddr: '10.0.0.2',
          state: 'streaming',
          syncState: 'async',
          lagBytes: 16384,
          replayLagSeconds: 0.123,
        },
      ],
      standby: null,
    },
    longTransactions: [
      {
        pid: 4242,
        application: 'batch',
        user: 'app',
        state: 'idle in transaction',
        seconds: 901.235,
        query: 'UPDATE t',
      },
    ],
    blockedQueries: [{ pid: 77, blockedBy: [4242], application: 'checkout', waitSeconds: 12.5, query: 'SELECT 1' }],
  });
  expect(f.opened).toEqual(['orders']);
  expect(f.ended).toBe(1);
  // The threshold (default 5 minutes) and the bound reach the queries as parameters.
  expect(f.calls.find((c) => /xact_start IS NOT NULL/.test(c.sql))?.params).toEqual([300, 20]);
  expect(f.calls.find((c) => /pg_stat_replication/.test(c.sql))?.params).toEqual([20]);
});

test('health on a standby reads its replay state, not pg_stat_replication', async () => {
  const f = fake([
    [/server_version/, result(['version', 'in_recovery', 'max_connections'], [['15.18', true, '100']])],
    [/GROUP BY 1, 2/, result(['state', 'app', 'n'], [])],
    [
      /pg_last_wal_receive_lsn/,
      result(['receive_lsn', 'replay_lsn', 'replay_delay'], [['0/3000148', '0/3000148', 4.56789]]),
    ],
    [/xact_start IS NOT NULL/, result([], [])],
    [/pg_blocking_pids\(pid\) AS/, result([], [])],
  ]);
  const h = await run<{ inRecovery: boolean; replication: unknown; connections: unknown }>(f, 'pg:health:read', {
    database: 'orders',
    longTransactionSeconds: 60,
    limit: 5,
  });
  expect(h.inRecovery).toBe(true);
  expect(h.replication).toEqual({
    standbys: [],
    standby: { receiveLsn: '0/3000148', replayLsn: '0/3000148', replayDelaySeconds: 4.568 },
  });
  expect(h.connections).toEqual({ used: 0, max: 100, ratio: 0, byState: [], byApplication: [] });
  expect(f.calls.some((c) => /pg_stat_replication/.test(c.sql))).toBe(false);
  expect(f.calls.find((c) => /xact_start IS NOT NULL/.test(c.sql))?.params).toEqual([60, 5]);
});

test('health lists are bounded by limit', async () => {
  const apps = Array.from({ length: 30 }, (_, n) => ['idle', `app-${String(n).padStart(2, '0')}`, 1]);
  const f = fake([[/GROUP BY 1, 2/, result(['state', 'app', 'n'], apps)], ...PRIMARY]);
  const h = await run<{ connections: { byApplication: unknown[]; used: number } }>(f, 'pg:health:read', {
    database: 'orders',
    limit: 3,
  });
  expect(h.connections.used).toBe(30);
  expect(h.connections.byApplication).toEqual([
    { name: 'app-00', count: 1 },
    { name: 'app-01', count: 1 },
    { name: 'app-02', count: 1 },
  ]);
  await expect(failure(run(f, 'pg:health:read', { database: 'orders', limit: 101 }))).resolves.toMatchObject({
    type: FAILURE.InvalidInput,
    nonRetryable: true,
  });
});

const SMOKE_TX: Array<[RegExp, Answer]> = [
  [/^BEGIN TRANSACTION READ ONLY$/, result([], [])],
  [/set_config\('statement_timeout'/, result(['set_config'], [['10000']])],
  [/^ROLLBACK$/, result([], [])],
];

test('smoke query: read-only transaction with its timeout, rolled back; rows bounded and values cut', async () => {
  const long = 'x'.repeat(500);
  const rows = Array.from({ length: 30 }, (_, n) => [
    n,
    n === 0 ? long : null,
    new Date(Date.UTC(2026, 0, 1)),
    { a: n },
  ]);
  const f = fake([...SMOKE_TX, [/FROM orders/, result(['id', 'note', 'at', 'doc'], rows)]]);
  const out = await run<{ rowCount: number; columns: string[]; rows: Array<Record<string, string | null>> }>(
    f,
    'pg:query:smoke',
    {
      database: 'orders',
      sql: 'SELECT * FROM orders WHERE id > $1',
      params: [0],
      maxRows: 2,
      statementTimeoutMs: 2500,
    },
  );
  expect(out.rowCount).toBe(30);
  expect(out.columns).toEqual(['id', 'note', 'at', 'doc']);
  expect(out.rows).toEqual([
    { id: '0', note: `${'x'.repeat(199)}…`, at: '2026-01-01T00:00:00.000Z', doc: '{"a":0}' },
    { id: '1', note: null, at: '2026-01-01T00:00:00.000Z', doc: '{"a":1}' },
  ]);
  expect(f.calls.map((c) => [c.sql, c.params])).toEqual([
    ['BEGIN TRANSACTION READ ONLY', []],
    [`SELECT set_config('statement_timeout', $1, true)`, ['2500']],
    ['SELECT * FROM orders WHERE id > $1', [0]],
    ['ROLLBACK', []],
  ]);
  expect(f.ended).toBe(1);
  await expect(
    failure(run(f, 'pg:query:smoke', { database: 'orders', sql: 'SELECT 1 FROM orders', maxRows: 21 })),
  ).resolves.toMatchObject({ type: FAILURE.InvalidInput, nonRetryable: true });
});

test('smoke query on another database of the server (a restored copy): connects to it by name', async () => {
  const f = fake([...SMOKE_TX, [/SELECT 1/, result(['ok'], [[1]])]]);
  await run(f, 'pg:query:smoke', { database: 'orders', dbname: 'orders_verify', sql: 'SELECT 1 AS ok' });
  expect(f.opened).toEqual(['orders/orders_verify']);
  await expect(
    run(f, 'pg:query:smoke', { database: 'orders', dbname: 'host=evil', sql: 'SELECT 1' }),
  ).rejects.toMatchObject({ type: FAILURE.InvalidInput });
});

test('smoke query: expectRows outside min..max is CheckFailed (retried); inside passes', async () => {
  const f = fake([...SMOKE_TX, [/FROM orders/, result(['id'], [[1], [2]])]]);
  const q = { database: 'orders', sql: 'SELECT id FROM orders' };
  await expect(run(f, 'pg:query:smoke', { ...q, expectRows: { min: 2, max: 2 } })).resolves.toMatchObject({
    rowCount: 2,
  });
  await expect(failure(run(f, 'pg:query:smoke', { ...q, expectRows: { min: 3 } }))).resolves.toEqual({
    type: FAILURE.CheckFailed,
    nonRetryable: false,
    message: 'smoke query on orders returned 2 rows, expected at least 3',
  });
  await expect(failure(run(f, 'pg:query:smoke', { ...q, expectRows: { min: 0, max: 1 } }))).resolves.toMatchObject({
    type: FAILURE.CheckFailed,
    message: 'smoke query on orders returned 2 rows, expected 0..1',
  });
  await expect(failure(run(f, 'pg:query:smoke', { ...q, expectRows: { min: 3, max: 1 } }))).resolves.toMatchObject({
    type: FAILURE.InvalidInput,
  });
});

test('smoke query: a failing query is rolled back and mapped; the connection is closed', async () => {
  const f = fake([...SMOKE_TX, [/DELETE/, sqlError('25006', 'cannot execute DELETE in a read-only transaction')]]);
  await expect(failure(run(f, 'pg:query:smoke', { database: 'orders', sql: 'DELETE FROM orders' }))).resolves.toEqual({
    type: FAILURE.InvalidInput,
    nonRetryable: true,
    message: 'database orders: cannot execute DELETE in a read-only transaction (SQLSTATE 25006)',
  });
  expect(f.calls.at(-1)?.sql).toBe('ROLLBACK');
  expect(f.ended).toBe(1);
});

test('errors map to the vocabulary by SQLSTATE; network errors keep their code and are retried', () => {
  const cases: Array<[unknown, string, boolean]> = [
    [sqlError('28P01', 'password authentication failed'), FAILURE.Forbidden, true],
    [sqlError('42501', 'permission denied for table t'), FAILURE.Forbidden, true],
    [sqlError('3D000', 'database "x" does not exist'), FAILURE.NotFound, true],
    [sqlError('42P01', 'relation "t" does not exist'), FAILURE.InvalidInput, true],
    [sqlError('42601', 'syntax error'), FAILURE.InvalidInput, true],
    [sqlError('57014', 'canceling statement due to statement timeout'), FAILURE.Timeout, false],
    [sqlError('53300', 'sorry, too many clients already'), 'Error', false],
    [sqlError('57P03', 'the database system is starting up'), 'Error', false],
    [sqlError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432'), 'ECONNREFUSED', false],
    [new Error('timeout expired'), FAILURE.Timeout, false],
    [sqlError('EPIPE', 'write EPIPE'), 'EPIPE', false],
    [sqlError('XX000', 'internal error'), 'Error', false],
  ];
  for (const [err, type, nonRetryable] of cases) {
    let f: ApplicationFailure | undefined;
    try {
      pgFailure(err, 'database orders');
    } catch (e) {
      f = e as ApplicationFailure;
    }
    expect({ message: (err as Error).message, type: f?.type, nonRetryable: f?.nonRetryable }).toEqual({
      message: (err as Error).message,
      type,
      nonRetryable,
    });
  }
});

test('the connector: an unknown name is a permanent config failure; the password goes only where its secret is bound', async () => {
  const databases = {
    orders: {
      host: '127.0.0.1',
      port: 1,
      database: 'orders',
      user: 'app',
      passwordSecret: 'orders-db',
      application_name: 'x',
    },
  };
  const connector = (bindings?: Record<string, string[]>, env: Record<string, string> = {}) =>
    createPgConnect({ databases, secrets: createSecretResolver({ env, ...(bindings ? { bindings } : {}) }) });
  const connect = connector();
  await expect(failure(connect('billing'))).resolves.toEqual({
    type: FAILURE.UnknownTarget,
    nonRetryable: true,
    message: "no database 'billing' in configuration (databases.<name>; known: orders)",
  });
  await expect(failure(connect('toString'))).resolves.toMatchObject({ type: FAILURE.UnknownTarget });
  // Bound nowhere, or to another server: refused before any connection is tried.
  const env = { RUNBOOK_SECRET_ORDERS_DB: 'hunter2-orders' };
  await expect(failure(connector(undefined, env)('orders'))).resolves.toMatchObject({
    type: FAILURE.SecretNotAllowed,
    nonRetryable: true,
  });
  await expect(
    failure(connector({ 'orders-db': ['postgres://db.example.com:5432'] }, env)('orders')),
  ).resolves.toMatchObject({
    type: FAILURE.SecretNotAllowed,
    message: expect.stringContaining('may not be sent to postgres://127.0.0.1:1'),
  });
  // Bound to this server but not set: missing.
  await expect(failure(connector({ 'orders-db': ['postgres://127.0.0.1:1'] })('orders'))).resolves.toMatchObject({
    type: FAILURE.MissingSecret,
    nonRetryable: true,
  });
  // Bound and set: it goes on to connect (nothing listens on port 1: refused, retried).
  await expect(failure(connector({ 'orders-db': ['postgres://127.0.0.1:1'] }, env)('orders'))).resolves.toMatchObject({
    nonRetryable: false,
  });
});

test('a step cannot name a connection string', async () => {
  const f = fake(PRIMARY);
  await expect(
    failure(run(f, 'pg:health:read', { database: 'postgres://app:secret@db.example/orders' })),
  ).resolves.toMatchObject({ type: FAILURE.InvalidInput, nonRetryable: true });
  await expect(failure(run(f, 'pg:health:read', { database: 'orders', host: 'db.example' }))).resolves.toMatchObject({
    type: FAILURE.InvalidInput,
  });
  expect(f.opened).toEqual([]);
});
