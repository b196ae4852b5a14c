/**
 * 10. DR failover.
 * The floor: with the primary killed (-9), `SELECT pg_promote(true, 60)` on the standby and the
 * smoke query on it, over one fresh connection each, from the first call to the smoke query's
 * answer. The product: failoverWorkflow on an identical pair, its RTO as it reports it (start to
 * a validated new primary: assessment of both servers, promotion through pg:server:promote,
 * the smoke query and an integrity probe), the approval wait excluded. Each rep gets a fresh
 * primary and streaming standby (test/support/postgres.ts). Target: at most 1.5x the floor.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Worker } from '@temporalio/worker';
import { Client } from 'pg';
import { createActivities } from '../../src/activities';
import type { DatabaseConfig } from '../../src/config/databases-schema';
import { createRunPgTool } from '../../src/activities/postgres/tools';
import { createSecretResolver } from '../../src/activities/secrets';
import { failoverPlanConfig } from '../../src/config/failover-plans-schema';
import { failoverKind } from '../../src/runs/failover-kind';
import { signDecision, signStart } from '../../src/runs/sign';
import type { FailoverReport, FailoverWorkflowInput } from '../../src/shared/failover';
import { decideApprovalUpdate, statusQuery } from '../../src/shared/messages';
import { createWorkerMetrics } from '../../src/worker/metrics';
import { withSigningKeys } from '../../src/worker/signing-bundle';
import { workerSinks } from '../../src/worker/events';
import { pgBin, startPostgres, type PgCluster } from '../../test/support/postgres';
import { BENCH_KEYS } from './definitions';
import type { BenchEnv } from './harness';
import { fmt, median, type Section } from './report';

const SMOKE = 'SELECT id FROM events ORDER BY id DESC LIMIT 1';

async function pair(): Promise<PgCluster> {
  const c = await startPostgres({ standby: true });
  const q = new Client({ host: '127.0.0.1', port: c.primary.port, user: 'postgres', database: 'postgres' });
  await q.connect();
  await q.query('CREATE TABLE events (id bigint PRIMARY KEY)');
  await q.query('INSERT INTO events SELECT g FROM generate_series(1, 10000) g');
  // Wait until the standby has it all, then kill the primary: the same start for both sides.
  const lsn = ((await q.query('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0] as { lsn: string }).lsn;
  await q.end();
  const s = new Client({ host: '127.0.0.1', port: c.standby!.port, user: 'postgres', database: 'postgres' });
  await s.connect();
  for (;;) {
    const r = await s.query(`SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS ok`, [lsn]);
    if ((r.rows[0] as { ok: boolean }).ok) break;
    await new Promise((res) => setTimeout(res, 20));
  }
  await s.end();
  process.kill(Number(readFileSync(join(c.primary.data, 'postmaster.pid'), 'utf8').split('\n')[0]), 'SIGKILL');
  return c;
}

async function floor(c: PgCluster): Promise<number> {
  const t0 = performance.now();
  const conn = () => new Client({ host: '127.0.0.1', port: c.standby!.port, user: 'postgres', database: 'postgres' });
  const a = conn();
  await a.connect();
  await a.query('SELECT pg_promote(true, 60)');
  await a.end();
  const b = conn();
  await b.connect();
  await b.query(SMOKE);
  await b.end();
  return performance.now() - t0;
}

export async function failover(env: BenchEnv, o: { reps: number }): Promise<Section> {
  const floors: number[] = [];
  const products: number[] = [];
  const w = await failoverWorker(env);
  const running = w.worker.run();
  try {
    // One warm-up failover first (the worker's first workflow task loads the bundle): not counted.
    for (let i = 0; i <= o.reps; i++) {
      const f = await pair();
      try {
        const ms = await floor(f);
        if (i > 0) floors.push(ms);
      } finally {
        await f.stop();
      }
      const c = await pair();
      try {
        const ms = await product(env, w, c);
        if (i > 0) products.push(ms);
      } finally {
        await c.stop();
      }
    }
  } finally {
    w.worker.shutdown();
    await running;
  }
  const b = median(floors);
  const p = median(products);
  return {
    title: '10. DR failover',
    about:
      'Time to a promoted, smoke-tested standby after the primary was killed (-9): the floor is `pg_promote(true, 60)` and the smoke query over fresh connections; the product is failoverWorkflow’s own RTO (assessment of both servers, promotion, the smoke query, an integrity probe), the approval wait excluded. ' +
      `A fresh primary and standby per rep (10,000 rows, standby caught up), ${o.reps} reps each after one warm-up, medians; one worker for every rep.`,
    rows: [{ metric: 'failover, median (ms)', baseline: fmt(b), product: fmt(p), ratio: p / b, target: 1.5 }],
    notes: [`floor ${floors.map((x) => fmt(x)).join(', ')} ms; product ${products.map((x) => fmt(x)).join(', ')} ms`],
  };
}

interface FailoverWorker {
  worker: Worker;
  taskQueue: string;
  /** The pair the next failover acts on: each rep points these names at its fresh servers. */
  databases: Record<string, DatabaseConfig>;
}

async function failoverWorker(env: BenchEnv): Promise<FailoverWorker> {
  const taskQueue = `bench-failover-${randomUUID()}`;
  const metrics = createWorkerMetrics();
  const databases: Record<string, DatabaseConfig> = {};
  const worker = await Worker.create({
    connection: env.connection,
    taskQueue,
    workflowBundle: { code: withSigningKeys(readFileSync(env.bundles.product, 'utf8'), BENCH_KEYS) },
    activities: createActivities({
      fetch: globalThis.fetch,
      secrets: createSecretResolver({ env: {} }),
      webhookTargets: {},
      runUrl: (id) => id,
      library: () => ({ dir: 'bench', runbooks: new Map(), files: new Map(), schedules: [] }),
      metrics,
      databases,
      pgTool: createRunPgTool({ binDir: pgBin() }),
    }),
    sinks: workerSinks(metrics),
  });
  return { worker, taskQueue, databases };
}

async function product(env: BenchEnv, w: FailoverWorker, c: PgCluster): Promise<number> {
  const db = (port: number): DatabaseConfig => ({
    host: '127.0.0.1',
    port,
    database: 'postgres',
    user: 'postgres',
    application_name: 'bench',
  });
  w.databases.orders = db(c.primary.port);
  w.databases['orders-standby'] = db(c.standby!.port);
  const taskQueue = w.taskQueue;
  const plan = failoverPlanConfig.parse({
    primary: 'orders',
    standby: 'orders-standby',
    smoke: [{ name: 'events', sql: SMOKE, expectRows: { min: 1 } }],
    integrity: [{ name: 'events', sql: 'SELECT count(*) FROM events' }],
  });
  const run = async (): Promise<FailoverReport> => {
    const p = failoverKind.prepare(
      {
        library: { dir: 'bench', runbooks: new Map(), files: new Map(), schedules: [] },
        config: { approverGroups: {}, failoverPlans: { orders: plan } },
      },
      { target: 'orders', params: {}, trigger: { source: 'api', requestedBy: 'bench' } },
    );
    const workflowId = `${p.workflowIdPrefix}-${randomUUID()}`;
    const h = await env.client.workflow.start(p.workflowType, {
      taskQueue,
      workflowId,
      args: [{ ...(p.input as FailoverWorkflowInput), signed: signStart(BENCH_KEYS, p.intent, { workflowId }) }],
    });
    let opening: string | undefined;
    while (!(opening = (await h.query(statusQuery)).pendingApprovals[0]?.requestedAt))
      await new Promise((res) => setTimeout(res, 20));
    const decision = signDecision(BENCH_KEYS, {
      workflowId,
      stepId: 'failover',
      opening,
      actor: 'approver',
      decision: 'approve',
      channel: 'api',
    });
    await h.executeUpdate(decideApprovalUpdate, { args: [decision] });
    return h.result();
  };
  {
    const r = await run();
    if (r.outcome !== 'succeeded' || !r.rto)
      throw new Error(`the failover ended ${r.outcome}: ${r.error?.message ?? ''}`);
    console.log(JSON.stringify({ phases: r.phases, events: r.events, promoted: r.promoted }));
    return r.rto.seconds * 1000;
  }
}
