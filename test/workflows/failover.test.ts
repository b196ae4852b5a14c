/**
 * DR failover on real PostgreSQL: a primary and its asynchronous streaming standby, a writer
 * committing rows one at a time, the primary killed (-9) under that load. The failover workflow,
 * started as the API starts it, assesses (primary unreachable, the standby's replay delay),
 * waits for an approval (its requester cannot give it), moves traffic through a runbook (an HTTP
 * call to a loopback "DNS API"), promotes the standby, runs the application's smoke query on it
 * and reports the phases, the RTO and the RPO bound; the rows lost are measured here against the
 * writer's acknowledged commits.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Client as PgClient } from 'pg';
import { backupPlanConfig } from '../../src/config/backup-plans-schema';
import { failoverPlanConfig } from '../../src/config/failover-plans-schema';
import { workflowKind } from '../../src/runs/kinds';
import { signStart } from '../../src/runs/sign';
import { failoverReportQuery, type FailoverReport, type FailoverWorkflowInput } from '../../src/shared/failover';
import { failoverMarkdown } from '../../src/shared/failover-report';
import { decideApprovalUpdate, statusQuery } from '../../src/shared/messages';
import { createTestWorker, libraryOf, runbookFromYaml } from '../support/runbook-worker';
import { signedDecision, TEST_KEYS } from '../support/signing';
import { startReceiver, type Receiver } from '../support/http-receiver';
import { pgBin, startPostgres, type PgCluster } from '../support/postgres';
import { connectTestEnv } from '../support/temporal';
import { waitFor } from '../support/wait';

let env: TestWorkflowEnvironment;
let cluster: PgCluster;
let dns: Receiver;

const client = (port: number) => new PgClient({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
async function sql<T = Record<string, unknown>>(port: number, text: string): Promise<T[]> {
  const c = client(port);
  await c.connect();
  try {
    return (await c.query(text)).rows as T[];
  } finally {
    await c.end();
  }
}

const switchRunbook = (dnsUrl: string) =>
  runbookFromYaml(`
id: switch-traffic
title: Point the orders DNS name at a site
params:
  site: { type: string }
steps:
  - id: point
    action: http:request:send
    with: { method: POST, url: "${dnsUrl}/records/orders", body: { target: "\${{ params.site }}" } }
`);

beforeAll(async () => {
  env = await connectTestEnv();
  cluster = await startPostgres({ standby: true });
  dns = await startReceiver();
  dns.on('/records/orders', () => ({ status: 200, body: { ok: true } }));
  await sql(
    cluster.primary.port,
    'CREATE TABLE events (id bigint PRIMARY KEY, at timestamptz DEFAULT clock_timestamp())',
  );
}, 180_000);

afterAll(async () => {
  await dns?.close();
  await cluster?.stop();
});

test('the primary killed under writes: approved, traffic moved, standby promoted, smoke-tested and reported', async () => {
  const standby = cluster.standby!;
  const databases = {
    orders: {
      host: '127.0.0.1',
      port: cluster.primary.port,
      database: 'postgres',
      user: 'postgres',
      application_name: 'dr',
    },
    'orders-standby': {
      host: '127.0.0.1',
      port: standby.port,
      database: 'postgres',
      user: 'postgres',
      application_name: 'dr',
    },
  };
  const plan = failoverPlanConfig.parse({
    primary: 'orders',
    standby: 'orders-standby',
    tier: 'tier1',
    approvers: ['bob'],
    traffic: {
      runbook: 'switch-traffic',
      params: { site: 'standby' },
      undo: { runbook: 'switch-traffic', params: { site: 'primary' } },
    },
    smoke: [{ name: 'events', sql: 'SELECT id FROM events ORDER BY id DESC LIMIT 1', expectRows: { min: 1 } }],
    integrity: [{ name: 'events', sql: 'SELECT count(*) FROM events' }],
    notify: 'oncall',
  });
  const switchRb = switchRunbook(dns.url);
  dns.on('/oncall', () => ({ status: 200, body: { ok: true } }));
  const library = libraryOf(switchRb);
  const tw = await createTestWorker(env, {
    library,
    webhookTargets: { oncall: { url: `${dns.url}/oncall` } },
    postgres: { databases, stores: {}, binDir: pgBin() },
  });

  // The writer: one row per commit, each acknowledged id kept.
  const writer = client(cluster.primary.port);
  writer.on('error', () => undefined);
  await writer.connect();
  const acked: number[] = [];
  let stopWriting = false;
  const load = (async () => {
    for (let id = 1; !stopWriting; id++) {
      try {
        await writer.query('INSERT INTO events (id) VALUES ($1)', [id]);
        acked.push(id);
      } catch {
        return;
      }
    }
  })();
  await waitFor(
    'rows committed and streamed',
    async () =>
      acked.length > 500 &&
      Number((await sql<{ n: string }>(standby.port, 'SELECT count(*) AS n FROM events'))[0]?.n) > 0,
  );
  // kill -9 the postmaster, mid-write: no shutdown checkpoint, nothing more streamed.
  const pid = Number(readFileSync(join(cluster.primary.data, 'postmaster.pid'), 'utf8').split('\n')[0]);
  process.kill(pid, 'SIGKILL');
  await load;
  stopWriting = true;
  await writer.end().catch(() => undefined);

  await tw.worker.runUntil(async () => {
    const p = workflowKind('dr-failover').prepare(
      { library, config: { approverGroups: {}, failoverPlans: { orders: plan } } },
      { target: 'orders', params: {}, trigger: { source: 'api', requestedBy: 'alice' } },
    );
    const workflowId = `${p.workflowIdPrefix}-${Date.now()}`;
    const h = await env.client.workflow.start(p.workflowType, {
      taskQueue: tw.taskQueue,
      workflowId,
      args: [{ ...(p.input as FailoverWorkflowInput), signed: signStart(TEST_KEYS, p.intent, { workflowId }) }],
      typedSearchAttributes: p.typedSearchAttributes,
    });
    await waitFor('the approval gate', async () => (await h.query(statusQuery)).pendingApprovals.length > 0);
    const waiting = await h.query(failoverReportQuery);
    expect(waiting.assessment).toMatchObject({ primaryReachable: false, standbyInRecovery: true });
    expect(waiting.promoted).toBeUndefined();
    // The person who started it cannot approve it; the plan's approver can.
    await expect(
      h.executeUpdate(decideApprovalUpdate, {
        args: [await signedDecision(h, { stepId: 'failover', decision: 'approve', actor: 'alice' })],
      }),
    ).rejects.toMatchObject({ cause: { message: 'alice started this run and cannot approve it' } });
    await h.executeUpdate(decideApprovalUpdate, {
      args: [await signedDecision(h, { stepId: 'failover', decision: 'approve', actor: 'bob' })],
    });
    const r: FailoverReport = await h.result();

    expect(r.outcome).toBe('succeeded');
    expect(r.phases.map((x) => x.name)).toEqual(['assessment', 'approval', 'failover', 'validation', 'communication']);
    for (const x of r.phases) expect(x.durationMs).toBeGreaterThanOrEqual(0);
    expect(r.approval?.by).toEqual(['bob']);
    expect(r.promoted).toMatchObject({ changed: true, timeline: 2 });
    expect(r.smoke).toEqual([{ name: 'events', ok: true, rows: 1 }]);
    // The primary was gone: its count unknown, so the rows lost are measured below, and the
    // report bounds the loss by the standby's replay delay.
    expect(r.integrity[0]).toMatchObject({ name: 'events', before: null, lost: null });
    expect(r.rpo).toMatchObject({ rows: null, basis: 'replay-delay' });
    expect(r.rpo?.seconds).toBeGreaterThanOrEqual(0);
    expect(r.rto?.objectiveSeconds).toBe(3600);
    expect(r.rto?.met).toBe(true);
    // The RTO leaves the approval wait out.
    const total = (Date.parse(r.finishedAt!) - Date.parse(r.startedAt)) / 1000;
    expect(r.rto!.seconds).toBeLessThanOrEqual(total - r.approval!.waitMs / 1000 + 0.1);

    // The new primary takes writes; what it holds is a prefix of what the old one acknowledged.
    await sql(standby.port, 'INSERT INTO events (id) VALUES (1000000)');
    const present = (
      await sql<{ id: string }>(standby.port, 'SELECT id FROM events WHERE id < 1000000 ORDER BY id')
    ).map((x) => Number(x.id));
    expect(present).toEqual(acked.slice(0, present.length));
    const lost = acked.length - present.length;
    expect(lost).toBeGreaterThanOrEqual(0);
    expect(r.integrity[0]?.after).toBe(present.length);

    // Traffic moved once, to the standby; nobody moved it back.
    const moves = dns.received.filter((x) => x.path === '/records/orders').map((x) => JSON.parse(x.body));
    expect(moves).toEqual([{ target: 'standby' }]);
    const told = dns.received.filter((x) => x.path === '/oncall');
    expect(told.length).toBe(2);
    expect(told[1]?.body).toContain('succeeded');
    const md = failoverMarkdown(r);
    expect(md).toContain('| RTO |');
    expect(md).toContain('| failover |');
    expect((await h.describe()).searchAttributes.Phase).toEqual(['done']);
  });
}, 180_000);

test('a drill runs the same procedure on the standby environment, resets it, keeps its report and compares it', async () => {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const archive = mkdtempSync(join(tmpdir(), 'drills-'));
  const pairs = [await startPostgres({ standby: true }), await startPostgres({ standby: true })];
  const db = (port: number) => ({
    host: '127.0.0.1',
    port,
    database: 'postgres',
    user: 'postgres',
    application_name: 'dr',
  });
  // The worker reads these at each call: the reset points the drill's names at a fresh pair.
  const databases: Record<string, ReturnType<typeof db>> = {
    orders: db(cluster.primary.port),
    'orders-standby': db(cluster.standby!.port),
  };
  const point = (c: PgCluster): void => {
    databases.drill = db(c.primary.port);
    databases['drill-standby'] = db(c.standby!.port);
  };
  point(pairs[0]!);
  for (const c of pairs) {
    await sql(c.primary.port, 'CREATE TABLE events (id bigint PRIMARY KEY)');
    await sql(c.primary.port, 'INSERT INTO events SELECT g FROM generate_series(1, 1000) g');
  }
  const resets: unknown[] = [];
  dns.on('/environments/drill/reset', (req) => {
    resets.push(JSON.parse(req.body));
    point(pairs[1]!);
    return { status: 200, body: { ok: true } };
  });
  const reset = runbookFromYaml(`
id: reset-drill-env
title: Rebuild the drill environment
steps:
  - id: rebuild
    action: http:request:send
    with: { method: POST, url: "${dns.url}/environments/drill/reset", body: { from: "snapshot" } }
`);
  const library = libraryOf(switchRunbook(dns.url), reset);
  const plan = failoverPlanConfig.parse({
    primary: 'orders',
    standby: 'orders-standby',
    approvers: ['bob'],
    smoke: [{ name: 'events', sql: 'SELECT id FROM events LIMIT 1', expectRows: { min: 1 } }],
    integrity: [{ name: 'events', sql: 'SELECT count(*) FROM events' }],
    drill: {
      primary: 'drill',
      standby: 'drill-standby',
      traffic: { runbook: 'switch-traffic', params: { site: 'drill-b' } },
      reset: [{ runbook: 'reset-drill-env' }],
      archive: { store: 'drills' },
    },
  });
  const tw = await createTestWorker(env, {
    library,
    postgres: { databases, stores: { drills: archive }, binDir: pgBin() },
  });
  try {
    await tw.worker.runUntil(async () => {
      const drill = async (): Promise<FailoverReport> => {
        // The standby has caught up with every row: nothing may be lost.
        await waitFor(
          'the drill standby caught up',
          async () =>
            Number(
              (await sql<{ n: string }>(databases['drill-standby']!.port, 'SELECT count(*) AS n FROM events'))[0]?.n,
            ) === 1000,
        );
        const p = workflowKind('dr-failover').prepare(
          { library, config: { approverGroups: {}, failoverPlans: { orders: plan } } },
          { target: 'orders', params: { drill: true }, trigger: { source: 'api', requestedBy: 'alice' } },
        );
        expect(workflowKind('dr-failover').exactWorkflowId?.(p)).toBeUndefined();
        const workflowId = `${p.workflowIdPrefix}-${Date.now()}`;
        const h = await env.client.workflow.start(p.workflowType, {
          taskQueue: tw.taskQueue,
          workflowId,
          args: [{ ...(p.input as FailoverWorkflowInput), signed: signStart(TEST_KEYS, p.intent, { workflowId }) }],
        });
        await waitFor('the approval gate', async () => (await h.query(statusQuery)).pendingApprovals.length > 0);
        await h.executeUpdate(decideApprovalUpdate, {
          args: [await signedDecision(h, { stepId: 'failover', decision: 'approve', actor: 'bob' })],
        });
        return h.result();
      };
      const first = await drill();
      expect(first.outcome).toBe('succeeded');
      expect(first.phases.map((x) => x.name)).toEqual([
        'assessment',
        'approval',
        'failover',
        'validation',
        'communication',
        'reset',
      ]);
      // The drill environment, never production: its primary answered, a caught-up standby lost nothing.
      expect(first.assessment).toMatchObject({ primaryReachable: true, standbyInRecovery: true });
      expect(first.integrity).toEqual([{ name: 'events', before: 1000, after: 1000, lost: 0 }]);
      expect(first.rpo).toMatchObject({ rows: 0, met: true, basis: 'probes' });
      // The drill promoted the drill standby (the reset restores it).
      expect((await sql<{ r: boolean }>(pairs[0]!.standby!.port, 'SELECT pg_is_in_recovery() AS r'))[0]?.r).toBe(false);
      expect(first.drill).toMatchObject({ reset: [{ runbook: 'reset-drill-env', ok: true }], previous: [] });
      expect(resets).toEqual([{ from: 'snapshot' }]);
      const kept = join(archive, 'objects', first.drill!.archived!);
      expect(JSON.parse(readFileSync(join(kept, 'report.json'), 'utf8')).outcome).toBe('succeeded');
      expect(readFileSync(join(kept, 'report.md'), 'utf8')).toContain('| reset |');
      expect(readFileSync(join(kept, 'timeline.svg'), 'utf8')).toContain('<svg');

      // The next drill, on the environment the reset restored, is compared with the first.
      const second = await drill();
      expect(second.outcome).toBe('succeeded');
      expect(second.drill?.previous).toEqual([
        {
          startedAt: first.startedAt,
          outcome: 'succeeded',
          rtoSeconds: first.rto!.seconds,
          rpoSeconds: first.rpo!.seconds,
          rpoRows: 0,
        },
      ]);
      expect(resets).toHaveLength(2);
    });
  } finally {
    for (const c of pairs) await c.stop();
    rmSync(archive, { recursive: true, force: true });
  }
}, 240_000);

test('restore mode: with no streaming standby, the newest backup is restored onto the standby site and proved', async () => {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const store = mkdtempSync(join(tmpdir(), 'failover-restore-'));
  const primary = await startPostgres();
  const site = await startPostgres();
  const db = (port: number, database = 'postgres') => ({
    host: '127.0.0.1',
    port,
    database,
    user: 'postgres',
    application_name: 'dr',
  });
  const databases = { 'orders-primary': db(primary.primary.port), 'orders-site': db(site.primary.port, 'orders') };
  await sql(primary.primary.port, 'CREATE TABLE events (id bigint PRIMARY KEY)');
  await sql(primary.primary.port, 'INSERT INTO events SELECT g FROM generate_series(1, 5000) g');
  const backupPlans = { orders: backupPlanConfig.parse({ database: 'orders-primary', store: 'backups' }) };
  const plan = failoverPlanConfig.parse({
    primary: 'orders-primary',
    standby: 'orders-site',
    approvers: ['bob'],
    restore: { backupPlan: 'orders', jobs: 2 },
    smoke: [{ name: 'events', sql: 'SELECT id FROM events ORDER BY id DESC LIMIT 1', expectRows: { min: 1 } }],
    integrity: [{ name: 'events', sql: 'SELECT count(*) FROM events' }],
  });
  const tw = await createTestWorker(env, {
    library: libraryOf(),
    postgres: { databases, stores: { backups: store }, binDir: pgBin() },
  });
  try {
    await tw.worker.runUntil(async () => {
      const ctx = {
        library: libraryOf(),
        config: { approverGroups: {}, backupPlans, databases, failoverPlans: { orders: plan } },
      };
      const startKind = async (kind: 'backup' | 'dr-failover') => {
        const p = workflowKind(kind).prepare(ctx, {
          target: 'orders',
          params: {},
          trigger: { source: 'api', requestedBy: 'alice' },
        });
        const workflowId = `${p.workflowIdPrefix}-${Date.now()}`;
        return env.client.workflow.start(p.workflowType, {
          taskQueue: tw.taskQueue,
          workflowId,
          args: [{ ...(p.input as object), signed: signStart(TEST_KEYS, p.intent, { workflowId }) }],
        });
      };
      await (await startKind('backup')).result();
      // Rows written after the backup are what a restore loses.
      await sql(primary.primary.port, 'INSERT INTO events SELECT g FROM generate_series(5001, 5100) g');
      process.kill(
        Number(readFileSync(join(primary.primary.data, 'postmaster.pid'), 'utf8').split('\n')[0]),
        'SIGKILL',
      );

      const h = await startKind('dr-failover');
      await waitFor('the approval gate', async () => (await h.query(statusQuery)).pendingApprovals.length > 0);
      const gate = (await h.query(statusQuery)).pendingApprovals[0];
      expect(gate?.guards.map((g) => g.action)).toEqual(['pg:backup:restore']);
      await h.executeUpdate(decideApprovalUpdate, {
        args: [await signedDecision(h, { stepId: 'failover', decision: 'approve', actor: 'bob' })],
      });
      const r: FailoverReport = await h.result();
      expect(r.outcome).toBe('succeeded');
      expect(r.promoted).toBeUndefined();
      expect(r.restored).toMatchObject({ tables: 1, rows: 5000 });
      expect(r.smoke).toEqual([{ name: 'events', ok: true, rows: 1 }]);
      expect(r.integrity[0]).toMatchObject({ before: null, after: 5000, lost: null });
      // The RPO is the backup's age: everything after its snapshot (here the last 100 rows).
      expect(r.rpo).toMatchObject({ seconds: r.restored?.backupAgeSeconds, basis: 'backup-age' });
      expect(failoverMarkdown(r)).toContain('- restored: backup');
    });
  } finally {
    await primary.stop();
    await site.stop();
    rmSync(store, { recursive: true, force: true });
  }
}, 240_000);

test('a synchronous standby, the primary killed under writes: every acknowledged commit survives, and the report says so', async () => {
  const pair = await startPostgres({ standby: true, synchronous: true });
  const databases = {
    orders: {
      host: '127.0.0.1',
      port: pair.primary.port,
      database: 'postgres',
      user: 'postgres',
      application_name: 'dr',
    },
    'orders-standby': {
      host: '127.0.0.1',
      port: pair.standby!.port,
      database: 'postgres',
      user: 'postgres',
      application_name: 'dr',
    },
  };
  const plan = failoverPlanConfig.parse({
    primary: 'orders',
    standby: 'orders-standby',
    replication: 'sync',
    approvers: ['bob'],
    smoke: [{ name: 'events', sql: 'SELECT 1 FROM events LIMIT 1', expectRows: { min: 1 } }],
  });
  const tw = await createTestWorker(env, {
    library: libraryOf(),
    postgres: { databases, stores: {}, binDir: pgBin() },
  });
  try {
    await sql(pair.primary.port, 'CREATE TABLE events (id bigint PRIMARY KEY)');
    await waitFor(
      'the standby synchronous',
      async () =>
        (await sql<{ s: string }>(pair.primary.port, 'SELECT sync_state AS s FROM pg_stat_replication'))[0]?.s ===
        'sync',
    );
    const writer = client(pair.primary.port);
    writer.on('error', () => undefined);
    await writer.connect();
    const acked: number[] = [];
    const load = (async () => {
      for (let id = 1; ; id++) {
        try {
          await writer.query('INSERT INTO events (id) VALUES ($1)', [id]);
          acked.push(id);
        } catch {
          return;
        }
      }
    })();
    await waitFor('rows committed synchronously', () => acked.length > 300);
    process.kill(Number(readFileSync(join(pair.primary.data, 'postmaster.pid'), 'utf8').split('\n')[0]), 'SIGKILL');
    await load;
    await writer.end().catch(() => undefined);

    await tw.worker.runUntil(async () => {
      const p = workflowKind('dr-failover').prepare(
        { library: libraryOf(), config: { approverGroups: {}, failoverPlans: { orders: plan } } },
        { target: 'orders', params: {}, trigger: { source: 'api', requestedBy: 'alice' } },
      );
      const workflowId = `${p.workflowIdPrefix}-sync-${Date.now()}`;
      const h = await env.client.workflow.start(p.workflowType, {
        taskQueue: tw.taskQueue,
        workflowId,
        args: [{ ...(p.input as FailoverWorkflowInput), signed: signStart(TEST_KEYS, p.intent, { workflowId }) }],
      });
      await waitFor('the approval gate', async () => (await h.query(statusQuery)).pendingApprovals.length > 0);
      await h.executeUpdate(decideApprovalUpdate, {
        args: [await signedDecision(h, { stepId: 'failover', decision: 'approve', actor: 'bob' })],
      });
      const r: FailoverReport = await h.result();
      expect(r.outcome).toBe('succeeded');
      expect(r.rpo).toMatchObject({ rows: 0, seconds: 0, met: true, basis: 'synchronous-standby' });
      // Measured: every commit the old primary acknowledged is on the new one (an unacknowledged
      // last one may be there too).
      const present = new Set(
        (await sql<{ id: string }>(pair.standby!.port, 'SELECT id FROM events')).map((x) => Number(x.id)),
      );
      expect(acked.filter((id) => !present.has(id))).toEqual([]);
      expect(failoverMarkdown(r)).toContain('RPO from: a synchronous standby');
    });
  } finally {
    await pair.stop();
  }
}, 180_000);
