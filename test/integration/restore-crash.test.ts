/**
 * A worker killed (-9) in the middle of a restore verification's restore: the product's
 * standalone worker process, a real PostgreSQL with pgbench data, a local backup store, all
 * configured as a deployment would be (backupPlans in the worker's configuration file). While
 * the worker is dead the scratch database does not exist under its name (only the staging copy
 * may); a new worker takes the run over once the restore's heartbeat times out, restores again
 * from the start, verifies every table and drops the copy: the run finishes, nothing is left.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Client as PgClient } from 'pg';
import { backupPlanConfig } from '../../src/config/backup-plans-schema';
import { workflowKind } from '../../src/runs/kinds';
import { signStart } from '../../src/runs/sign';
import type { BackupWorkflowInput, VerificationStatus } from '../../src/shared/backup';
import type { WorkflowKind } from '../../src/shared/workflow-kinds';
import { endStartedProcesses, makeWorkspace, startWorkerProcess, type Workspace } from '../support/crash-processes';
import { TEST_KEYS } from '../support/signing';
import { pgBin, startPostgres, type PgCluster } from '../support/postgres';
import { connectTestEnv, testAddress, uniqueQueue } from '../support/temporal';
import { waitFor } from '../support/wait';

const run = promisify(execFile);
let env: TestWorkflowEnvironment;
let cluster: PgCluster;
let ws: Workspace;
let storeDir: string;

async function databases(like: string): Promise<string[]> {
  const c = new PgClient({ host: '127.0.0.1', port: cluster.primary.port, user: 'postgres', database: 'postgres' });
  await c.connect();
  try {
    const r = await c.query('SELECT datname FROM pg_database WHERE datname LIKE $1 ORDER BY 1', [like]);
    return r.rows.map((x: { datname: string }) => x.datname);
  } finally {
    await c.end();
  }
}

const PLAN = { database: 'orders', store: 'backups', verify: { olderSample: 0, jobs: 1 } };

beforeAll(async () => {
  env = await connectTestEnv();
  cluster = await startPostgres();
  await run(join(pgBin(), 'pgbench'), [
    ...['-i', '-s', '10', '-q', '-h', '127.0.0.1', '-p', String(cluster.primary.port), '-U', 'postgres'],
    'postgres',
  ]);
  storeDir = mkdtempSync(join(tmpdir(), 'restore-crash-store-'));
  ws = makeWorkspace('restore-crash');
  writeFileSync(
    ws.configPath,
    [
      'databases:',
      `  orders: { host: 127.0.0.1, port: ${cluster.primary.port}, database: postgres, user: postgres }`,
      'backupStores:',
      `  backups: { kind: local, path: ${storeDir} }`,
      'postgres:',
      `  binDir: ${pgBin()}`,
      'backupPlans:',
      `  orders: ${JSON.stringify(PLAN)}`,
      '',
    ].join('\n'),
  );
}, 180_000);

afterAll(async () => {
  await endStartedProcesses();
  await cluster?.stop();
  ws?.remove();
  if (storeDir) rmSync(storeDir, { recursive: true, force: true });
});

async function start(kind: WorkflowKind, taskQueue: string) {
  const p = workflowKind(kind).prepare(
    {
      library: { dir: 'x', runbooks: new Map(), files: new Map(), schedules: [] },
      config: { approverGroups: {}, backupPlans: { orders: backupPlanConfig.parse(PLAN) } },
    },
    { target: 'orders', params: {}, trigger: { source: 'api', requestedBy: 'alice' } },
  );
  const workflowId = `${p.workflowIdPrefix}-${Date.now()}`;
  return env.client.workflow.start(p.workflowType, {
    taskQueue,
    workflowId,
    args: [{ ...(p.input as BackupWorkflowInput), signed: signStart(TEST_KEYS, p.intent, { workflowId }) }],
  });
}

test('kill -9 of the worker mid-restore: the run finishes, the copy is never half there', async () => {
  const taskQueue = uniqueQueue('restore-crash');
  const address = testAddress();
  let worker = await startWorkerProcess({ address, taskQueue, workspace: ws });
  await (await start('backup', taskQueue)).result();

  const h = await start('restore-verification', taskQueue);
  // pg_restore is writing the staging copy: the scratch name itself must not exist yet.
  const [staging] = await waitFor(
    'the restore to be writing its staging copy',
    async () => {
      const s = await databases('verify_orders_%__restoring');
      return s.length ? s : undefined;
    },
    { intervalMs: 50, timeoutMs: 60_000, detail: () => worker.output() },
  );
  const into = (staging as string).replace(/__restoring$/, '');
  await worker.kill9();
  expect(await databases(into)).toEqual([]);

  worker = await startWorkerProcess({ address, taskQueue, workspace: ws });
  const v: VerificationStatus = await h.result();
  expect(v).toMatchObject({ phase: 'done', ok: true });
  expect(v.samples).toEqual([
    expect.objectContaining({ role: 'newest', into, ok: true, dropped: true, tables: 4, rows: 1_000_000 + 10 + 100 }),
  ]);
  // The retry dropped the dead attempt's staging copy; the copy itself was dropped after its checks.
  expect(await databases('verify_%')).toEqual([]);
  // The restore ran twice: the history shows the first attempt's heartbeat timeout.
  const events = (await h.fetchHistory()).events ?? [];
  const failed = events.filter((e) => e.activityTaskTimedOutEventAttributes || e.activityTaskFailedEventAttributes);
  expect(events.some((e) => e.activityTaskStartedEventAttributes?.attempt === 2)).toBe(true);
  expect(failed).toHaveLength(0);
  await worker.stop();
}, 240_000);
