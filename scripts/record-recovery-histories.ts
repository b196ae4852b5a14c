/**
 * The recovery scenarios of scripts/record-histories.ts, on throwaway PostgreSQL servers
 * (test/support/postgres.ts: trust authentication on loopback, so no password is anywhere near
 * a history), each started as the API starts it (the kind's entry prepares the start, signed
 * with the recording keys for its workflow id):
 *
 * - `backup-replay-v1`: a backup of a small table into a local store, with retention, after a
 *   first backup that is not recorded (so the verification below has an older one to sample).
 * - `restore-verification-replay-v1`: the newest and the older backup restored into scratch
 *   databases, smoke-tested and dropped.
 * - `failover-replay-v1`: a primary and its streaming standby, the primary killed (-9); the
 *   failover assesses, waits for a signed approval, moves traffic by a child runbook, promotes
 *   the standby (a local activity: the 'failover-local-promotion' patch), runs a smoke query and
 *   an integrity probe on it, tells the plan's target, and succeeds.
 *
 * Each history is named after its workflow id, which the replay test gives back. They need the
 * worker's PostgreSQL dependencies, so they run on a worker of their own.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import { Client as PgClient } from 'pg';
import { createActivities } from '../src/activities';
import { createRunPgTool } from '../src/activities/postgres/tools';
import { createSecretResolver } from '../src/activities/secrets';
import { createOpenStore } from '../src/activities/storage/open';
import { backupPlanConfig } from '../src/config/backup-plans-schema';
import type { DatabaseConfig } from '../src/config/databases-schema';
import { failoverPlanConfig } from '../src/config/failover-plans-schema';
import { projectRoot } from '../src/platform/project-root';
import type { RunbookLibrary } from '../src/runbooks/library';
import { loadRunbookText } from '../src/runbooks/load';
import { workflowKind, type KindContext } from '../src/runs/kinds';
import { signStart } from '../src/runs/sign';
import { decideApprovalUpdate, statusQuery } from '../src/shared/messages';
import type { SigningKeys } from '../src/shared/signed';
import type { WorkflowKind } from '../src/shared/workflow-kinds';
import { workflowBundleOptions } from '../src/worker/bundle-options';
import { workerSinks } from '../src/worker/events';
import { createWorkerMetrics } from '../src/worker/metrics';
import { withSigningKeys } from '../src/worker/signing-bundle';
import { pgBin, startPostgres, type PgCluster } from '../test/support/postgres';
import { signedDecision } from '../test/support/signing';

export interface RecoveryRecording {
  client: Client;
  /** The dev server's address, for this worker's own connection. */
  address: string;
  keys: SigningKeys;
  force: boolean;
}

const TASK_QUEUE = 'record-recovery-histories';
const BACKUP_ID = 'backup-replay-v1';
const VERIFY_ID = 'restore-verification-replay-v1';
const FAILOVER_ID = 'failover-replay-v1';
const TRIGGER = { source: 'api' as const, requestedBy: 'alice' };

const fileOf = (workflowId: string): string => join(projectRoot(), 'test/histories', `${workflowId}.json`);
const wanted = (r: RecoveryRecording, workflowId: string): boolean => r.force || !existsSync(fileOf(workflowId));

const BACKUP_PLANS = {
  orders: backupPlanConfig.parse({
    database: 'orders',
    store: 'backups',
    tier: 'tier1',
    verify: {
      olderSample: 1,
      smoke: [{ name: 'orders', sql: 'SELECT id FROM orders LIMIT 5', expectRows: { min: 5 } }],
    },
  }),
};

const FAILOVER_PLANS = {
  orders: failoverPlanConfig.parse({
    primary: 'primary',
    standby: 'standby',
    tier: 'tier1',
    approvers: ['bob'],
    traffic: { runbook: 'switch-traffic', params: { site: 'standby' } },
    smoke: [{ name: 'events', sql: 'SELECT id FROM events ORDER BY id DESC LIMIT 1', expectRows: { min: 1 } }],
    integrity: [{ name: 'events', sql: 'SELECT count(*) FROM events' }],
    notify: 'oncall',
  }),
};

/** The failover's traffic runbook: one call to the loopback stand-in for a DNS API. */
const switchTraffic = (url: string) =>
  loadRunbookText(
    `
id: switch-traffic
title: Point the orders DNS name at a site
params:
  site: { type: string }
steps:
  - id: point
    action: http:request:send
    with: { method: POST, url: "${url}/records/orders", body: { target: "\${{ params.site }}" } }
`,
    'switch-traffic.yaml',
  );

async function sql<T = Record<string, unknown>>(port: number, text: string): Promise<T[]> {
  const c = new PgClient({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
  await c.connect();
  try {
    return (await c.query(text)).rows as T[];
  } finally {
    await c.end();
  }
}

async function until(what: string, probe: () => Promise<boolean>, withinMs = 60_000): Promise<void> {
  const end = Date.now() + withinMs;
  while (!(await probe().catch(() => false))) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const local = (port: number): DatabaseConfig => ({
  host: '127.0.0.1',
  port,
  database: 'postgres',
  user: 'postgres',
  application_name: 'record-histories',
});

/** The DNS API and the notify webhook the failover calls: each answers ok. */
async function startHooks(): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function recoveryWorker(
  r: RecoveryRecording,
  o: { databases: Record<string, DatabaseConfig>; store: string; library: RunbookLibrary; hooks: string },
): Promise<{ worker: Worker; connection: NativeConnection }> {
  const connection = await NativeConnection.connect({ address: r.address });
  const metrics = createWorkerMetrics();
  const secrets = createSecretResolver({ env: {} });
  const worker = await Worker.create({
    connection,
    taskQueue: TASK_QUEUE,
    // Signed with the recording keys: the replay test verifies these starts with the same.
    workflowBundle: { code: withSigningKeys((await bundleWorkflowCode(workflowBundleOptions())).code, r.keys) },
    activities: createActivities({
      fetch,
      secrets,
      webhookTargets: { oncall: { url: `${o.hooks}/oncall` } },
      runUrl: (id) => `http://localhost:8233/namespaces/default/workflows/${id}`,
      library: () => o.library,
      metrics,
      databases: o.databases,
      pgTool: createRunPgTool({ binDir: pgBin() }),
      pgBinDir: pgBin(),
      openStore: createOpenStore({ stores: { backups: { kind: 'local', path: o.store } }, secrets }),
    }),
    sinks: workerSinks(metrics),
  });
  return { worker, connection };
}

/** As the API starts a run of `kind`: prepared by the kind's entry, signed for this workflow id. */
async function startAsApi(
  r: RecoveryRecording,
  kind: WorkflowKind,
  ctx: KindContext,
  workflowId: string,
): Promise<WorkflowHandle> {
  const p = workflowKind(kind).prepare(ctx, { target: 'orders', params: {}, trigger: TRIGGER });
  return r.client.workflow.start(p.workflowType, {
    taskQueue: TASK_QUEUE,
    workflowId,
    args: [{ ...p.input, signed: signStart(r.keys, p.intent, { workflowId }) }],
    typedSearchAttributes: p.typedSearchAttributes,
  });
}

/**
 * Runs a run to its end (one that fails stops the recording: these scenarios succeed) and keeps
 * its history unless its file is there already or the run only sets the scene.
 */
async function finish(r: RecoveryRecording, h: WorkflowHandle, keep = true): Promise<void> {
  await h.result();
  if (!keep || !wanted(r, h.workflowId)) return;
  const history = await h.fetchHistory();
  // The same JSON form as `temporal workflow show --output json`, as the other scenarios.
  writeFileSync(fileOf(h.workflowId), `${JSON.stringify(JSON.parse(historyToJSON(history)), null, 1)}\n`);
  console.log(`recorded ${fileOf(h.workflowId)} (${history.events?.length ?? 0} events)`);
}

async function recordBackups(r: RecoveryRecording, ctx: KindContext, port: number): Promise<void> {
  await sql(port, 'CREATE TABLE orders (id bigint PRIMARY KEY, total numeric NOT NULL)');
  await sql(port, 'INSERT INTO orders SELECT g, g * 1.5 FROM generate_series(1, 100) g');
  await finish(r, await startAsApi(r, 'backup', ctx, 'backup-replay-seed'), false);
  // A row more, so the recorded backup differs from the older one the verification samples.
  await sql(port, 'INSERT INTO orders VALUES (101, 151.5)');
  await finish(r, await startAsApi(r, 'backup', ctx, BACKUP_ID));
  await finish(r, await startAsApi(r, 'restore-verification', ctx, VERIFY_ID));
}

/** Rows on the primary, streamed to the standby, then the primary's postmaster killed (-9). */
async function losePrimary(pair: PgCluster): Promise<void> {
  await sql(pair.primary.port, 'CREATE TABLE events (id bigint PRIMARY KEY)');
  await sql(pair.primary.port, 'INSERT INTO events SELECT g FROM generate_series(1, 100) g');
  const standby = pair.standby!.port;
  await until(
    'the standby to replay the rows',
    async () => Number((await sql<{ n: string }>(standby, 'SELECT count(*) AS n FROM events'))[0]?.n) === 100,
  );
  const pid = Number(readFileSync(join(pair.primary.data, 'postmaster.pid'), 'utf8').split('\n')[0]);
  process.kill(pid, 'SIGKILL');
  await until('the primary to go', () =>
    sql(pair.primary.port, 'SELECT 1').then(
      () => false,
      () => true,
    ),
  );
}

async function recordFailover(r: RecoveryRecording, ctx: KindContext, pair: PgCluster): Promise<void> {
  await losePrimary(pair);
  const h = await startAsApi(r, 'dr-failover', ctx, FAILOVER_ID);
  await until('the approval gate', async () => (await h.query(statusQuery)).pendingApprovals.length > 0);
  await h.executeUpdate(decideApprovalUpdate, {
    args: [await signedDecision(h, { stepId: 'failover', decision: 'approve', actor: 'bob' }, r.keys)],
  });
  await finish(r, h);
}

export async function recordRecoveryHistories(r: RecoveryRecording): Promise<void> {
  const backups = wanted(r, BACKUP_ID) || wanted(r, VERIFY_ID);
  const failover = wanted(r, FAILOVER_ID);
  if (!backups && !failover) return;
  const hooks = await startHooks();
  const store = mkdtempSync(join(tmpdir(), 'recovery-histories-'));
  const clusters: PgCluster[] = [];
  try {
    const single = backups ? await startPostgres() : undefined;
    if (single) clusters.push(single);
    const pair = failover ? await startPostgres({ standby: true }) : undefined;
    if (pair) clusters.push(pair);
    const databases: Record<string, DatabaseConfig> = {
      ...(single ? { orders: local(single.primary.port) } : {}),
      ...(pair ? { primary: local(pair.primary.port), standby: local(pair.standby!.port) } : {}),
    };
    const library: RunbookLibrary = {
      dir: '',
      runbooks: new Map([['switch-traffic', switchTraffic(hooks.url)]]),
      files: new Map(),
      schedules: [],
    };
    const ctx: KindContext = {
      library,
      config: { approverGroups: {}, backupPlans: BACKUP_PLANS, failoverPlans: FAILOVER_PLANS },
    };
    const { worker, connection } = await recoveryWorker(r, { databases, store, library, hooks: hooks.url });
    await worker.runUntil(async () => {
      if (single) await recordBackups(r, ctx, single.primary.port);
      if (pair) await recordFailover(r, ctx, pair);
    });
    await connection.close();
  } finally {
    for (const c of clusters) await c.stop();
    rmSync(store, { recursive: true, force: true });
    hooks.server.close();
  }
}
