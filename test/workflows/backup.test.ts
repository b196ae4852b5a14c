/**
 * The backup and restore-verification workflows on the real dev server with a real worker, a
 * throwaway PostgreSQL (pgbench data) and a local backup store: started as the API starts them
 * (the kind's entry prepares the start, the test signs it as the API does), they back up with
 * retention and report the RPO; verify the newest and a random older backup in scratch databases
 * that are always dropped; catch a corrupted backup and tell the plan's notify target; and refuse
 * a start the API did not sign.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import { Client as PgClient } from 'pg';
import { backupPlanConfig } from '../../src/config/backup-plans-schema';
import { workflowKind } from '../../src/runs/kinds';
import { signStart } from '../../src/runs/sign';
import {
  backupStatusQuery,
  type BackupStatus,
  type BackupWorkflowInput,
  type VerificationStatus,
} from '../../src/shared/backup';
import { FAILURE } from '../../src/shared/failures';
import type { WorkflowKind } from '../../src/shared/workflow-kinds';
import { createTestWorker, type TestWorker } from '../support/runbook-worker';
import { OTHER_KEYS, TEST_KEYS } from '../support/signing';
import { startReceiver, type Receiver } from '../support/http-receiver';
import { pgBin, startPostgres, type PgCluster } from '../support/postgres';
import { connectTestEnv } from '../support/temporal';

const run = promisify(execFile);

let env: TestWorkflowEnvironment;
let cluster: PgCluster;
let storeDir: string;
let hooks: Receiver;
let tw: TestWorker;

async function sql<T = Record<string, unknown>>(text: string, dbname = 'postgres'): Promise<T[]> {
  const c = new PgClient({ host: '127.0.0.1', port: cluster.primary.port, user: 'postgres', database: dbname });
  await c.connect();
  try {
    return (await c.query(text)).rows as T[];
  } finally {
    await c.end();
  }
}
const scratchDatabases = async (): Promise<string[]> =>
  (await sql<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE 'verify%' ORDER BY 1`)).map(
    (r) => r.datname,
  );

const PLANS = {
  orders: backupPlanConfig.parse({
    database: 'orders',
    store: 'backups',
    tier: 'tier1',
    notify: 'dba',
    verify: {
      olderSample: 1,
      smoke: [
        { name: 'accounts', sql: 'SELECT aid FROM pgbench_accounts LIMIT 5', expectRows: { min: 5 } },
        { name: 'branches', sql: 'SELECT count(*) FROM pgbench_branches' },
      ],
    },
  }),
};
const config = { approverGroups: {}, backupPlans: PLANS };

/** A start as the API makes it: the kind's entry prepares it, the API's key signs it for the workflow id. */
function startOf(kind: WorkflowKind, plan: string, keys = TEST_KEYS) {
  const p = workflowKind(kind).prepare(
    { library: { dir: 'x', runbooks: new Map(), files: new Map(), schedules: [] }, config },
    { target: plan, params: {}, trigger: { source: 'api', requestedBy: 'alice' } },
  );
  const workflowId = `${p.workflowIdPrefix}-${Math.random().toString(36).slice(2, 10)}`;
  return {
    workflowId,
    input: { ...(p.input as BackupWorkflowInput), signed: signStart(keys, p.intent, { workflowId }) },
    typedSearchAttributes: p.typedSearchAttributes,
  };
}

async function start(kind: WorkflowKind, plan = 'orders', keys = TEST_KEYS) {
  const s = startOf(kind, plan, keys);
  return env.client.workflow.start(workflowKind(kind).workflowType, {
    taskQueue: tw.taskQueue,
    workflowId: s.workflowId,
    args: [s.input],
    typedSearchAttributes: s.typedSearchAttributes,
  });
}

async function failureOf(p: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await p;
  } catch (err) {
    if (err instanceof WorkflowFailedError && err.cause instanceof ApplicationFailure) return err.cause;
    throw err;
  }
  throw new Error('the run did not fail');
}

beforeAll(async () => {
  env = await connectTestEnv();
  cluster = await startPostgres();
  await run(join(pgBin(), 'pgbench'), [
    ...['-i', '-s', '2', '-q', '-h', '127.0.0.1', '-p', String(cluster.primary.port), '-U', 'postgres'],
    'postgres',
  ]);
  storeDir = mkdtempSync(join(tmpdir(), 'backup-wf-'));
  hooks = await startReceiver();
  hooks.on('/dba', () => ({ status: 200, body: { ok: true } }));
});

/** A worker of its own per test (a worker runs once), with the databases, store and notify target. */
async function withWorker(fn: () => Promise<void>): Promise<void> {
  tw = await createTestWorker(env, {
    webhookTargets: { dba: { url: `${hooks.url}/dba` } },
    postgres: {
      databases: {
        orders: {
          host: '127.0.0.1',
          port: cluster.primary.port,
          database: 'postgres',
          user: 'postgres',
          application_name: 'test',
        },
      },
      stores: { backups: storeDir },
      binDir: pgBin(),
    },
  });
  await tw.worker.runUntil(fn);
}

afterAll(async () => {
  await hooks?.close();
  await cluster?.stop();
  if (storeDir) rmSync(storeDir, { recursive: true, force: true });
});

test('a backup run backs up, applies retention and reports size, duration and the RPO available now', async () => {
  await withWorker(async () => {
    const h = await start('backup');
    const s: BackupStatus = await h.result();
    expect(s).toMatchObject({ plan: 'orders', database: 'orders', store: 'backups', phase: 'done' });
    expect(s.backup).toMatchObject({ created: true, tables: 4, rows: 200_000 + 2 + 20 });
    expect(s.backup?.sizeBytes).toBeGreaterThan(100_000);
    expect(s.backup?.durationMs).toBeGreaterThan(0);
    expect(s.backups).toEqual({ count: 1, incomplete: 0, unreadable: [] });
    expect(s.retention).toEqual({ kept: 1, deleted: [] });
    // Just taken: the RPO a restore gives now is seconds, within tier 1's 5 minutes.
    expect(s.rpo).toMatchObject({ from: 'backups', objectiveSeconds: 300, met: true });
    expect(s.rpo?.seconds).toBeLessThan(300);
    expect(await h.query(backupStatusQuery)).toEqual(s);
    const described = await h.describe();
    expect(described.searchAttributes.Phase).toEqual(['done']);
    expect(described.searchAttributes.RunbookId).toEqual(['orders']);
    // Nothing went wrong: nobody was told.
    expect(hooks.received.filter((r) => r.path === '/dba')).toHaveLength(0);
  });
});

test('verification restores the newest and a random older backup into scratch copies, checks them and drops them', async () => {
  await withWorker(async () => {
    // A second backup with more rows: the newest must hold them, the older one must not.
    await sql(`INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (1, 1, 1, 5, now())`);
    await (await start('backup')).result();
    const h = await start('restore-verification');
    const v: VerificationStatus = await h.result();
    expect(v).toMatchObject({ plan: 'orders', phase: 'done', ok: true, problems: [] });
    expect(v.samples.map((s) => s.role)).toEqual(['newest', 'older']);
    expect(v.samples.map((s) => s.rows)).toEqual([200_023, 200_022]);
    for (const s of v.samples) {
      expect(s).toMatchObject({ ok: true, dropped: true, tables: 4 });
      expect(s.smoke).toEqual([
        { name: 'accounts', ok: true, rows: 5 },
        { name: 'branches', ok: true, rows: 1 },
      ]);
      expect(s.into).toMatch(/^verify_orders_[0-9a-f]{8}_[01]$/);
    }
    expect(v.objectives).toMatchObject({ tier: 'tier1', rtoSeconds: 3600, rtoMet: true, rpo: { met: true } });
    expect(v.objectives?.restoreSeconds).toBeGreaterThan(0);
    expect(await scratchDatabases()).toEqual([]);
  });
});

test('a corrupted backup fails verification: never restored, the copy gone, the plan’s target told', async () => {
  await withWorker(async () => {
    const b: BackupStatus = await (await start('backup')).result();
    // Damage the newest dump in the store (its record still holds the true sha256).
    writeFileSync(join(storeDir, 'objects', 'postgres', 'orders', b.backup?.id ?? '', 'dump.pgdump'), 'not a dump');
    const before = hooks.received.length;
    const h = await start('restore-verification');
    const f = await failureOf(h.result());
    expect(f.type).toBe(FAILURE.IntegrityFailed);
    const v = (f.details?.[0] ?? {}) as VerificationStatus;
    expect(v.ok).toBe(false);
    expect(v.samples[0]).toMatchObject({
      role: 'newest',
      ok: false,
      dropped: true,
      error: { type: FAILURE.IntegrityFailed },
    });
    expect(v.samples[0]?.backupId).toBe(b.backup?.id);
    expect(v.problems[0]).toContain(`backup ${b.backup?.id} (newest)`);
    expect(await scratchDatabases()).toEqual([]);
    const told = hooks.received.slice(before).filter((r) => r.path === '/dba');
    expect(told).toHaveLength(1);
    expect(JSON.parse(told[0]?.body ?? '{}').text ?? told[0]?.body).toContain('Restore verification of plan orders');
    expect((await h.describe()).searchAttributes.Phase).toEqual(['failed']);
  });
});

test('a start the API did not sign does nothing', async () => {
  await withWorker(async () => {
    const f = await failureOf((await start('backup', 'orders', OTHER_KEYS)).result());
    expect(f.type).toBe(FAILURE.Unverified);
  });
});
