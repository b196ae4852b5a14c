/**
 * Backup plans in configuration: defaults and the seeds' objectives, cross-references checked
 * when the file loads, and each plan's schedules compiled into Temporal Schedules of the
 * `backup` and `restore-verification` kinds, the plan signed inline into their runs.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config/load';
import { planDefinition, recoveryObjectivesOf } from '../../src/config/backup-plans';
import { backupPlanConfig } from '../../src/config/backup-plans-schema';
import { workflowKind } from '../../src/runs/kinds';
import { desiredSchedule } from '../../src/schedules/desired';
import { planSchedules } from '../../src/schedules/plan-schedules';
import { BACKUP_WORKFLOW, RESTORE_VERIFICATION_WORKFLOW } from '../../src/shared/constants';
import { definitionDigest } from '../../src/shared/signed';
import type { BackupWorkflowInput } from '../../src/shared/backup';
import { TEST_KEYS } from '../support/signing';

const dir = mkdtempSync(join(tmpdir(), 'plans-'));
const file = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const BASE = `
databases:
  orders: { host: 127.0.0.1, database: orders, user: backup }
backupStores:
  local: { kind: local, path: ./backups }
`;

test('a plan gets the seeds’ retention and its tier’s RTO and RPO unless written', () => {
  const p = backupPlanConfig.parse({ database: 'orders', store: 'local' });
  const d = planDefinition('orders', p);
  expect(d).toMatchObject({
    tier: 'tier2',
    objectives: { rtoMs: 4 * 3_600_000, rpoMs: 15 * 60_000 },
    retention: { keepAllDays: 7, keepDailyDays: 30, keepLast: 1, incompleteAfterHours: 24 },
    checksums: true,
    timeoutMs: 2 * 3_600_000,
    rpoFrom: 'backups',
    verify: { on: 'orders', olderSample: 1, smoke: [], jobs: 2, scratchPrefix: 'verify' },
  });
  expect(recoveryObjectivesOf(undefined)).toEqual({
    tier1: { rtoMs: 3_600_000, rpoMs: 300_000 },
    tier2: { rtoMs: 14_400_000, rpoMs: 900_000 },
    tier3: { rtoMs: 86_400_000, rpoMs: 3_600_000 },
  });
  expect(recoveryObjectivesOf({ tier1: { rto: '30m', rpo: '1m' } }).tier1).toEqual({ rtoMs: 1_800_000, rpoMs: 60_000 });
});

test('a plan naming a database, store or notify target that is not configured is refused at load', () => {
  const path = file(
    'bad.yaml',
    `${BASE}backupPlans:\n  orders: { database: order, store: s3, notify: dba, verify: { on: nowhere } }\n`,
  );
  expect(() => loadConfig({ RUNBOOKS_CONFIG: path }, dir)).toThrow(ConfigError);
  try {
    loadConfig({ RUNBOOKS_CONFIG: path }, dir);
  } catch (err) {
    const m = (err as Error).message;
    expect(m).toContain(`${path}: backupPlans.orders.database: no database 'order' under databases: (known: orders)`);
    expect(m).toContain(`backupPlans.orders.verify.on: no database 'nowhere'`);
    expect(m).toContain(`backupPlans.orders.store: no store 's3' under backupStores: (known: local)`);
    expect(m).toContain(`backupPlans.orders.notify: no notify target 'dba'`);
  }
  const badZone = file(
    'zone.yaml',
    `${BASE}backupPlans:\n  orders:\n    database: orders\n    store: local\n    schedule: { cron: "0 2 * * *", timezone: Mars/Olympus }\n`,
  );
  expect(() => loadConfig({ RUNBOOKS_CONFIG: badZone }, dir)).toThrow(
    /zone.yaml:10:46: backupPlans.orders.schedule.timezone/,
  );
});

test('each plan schedule becomes a Temporal Schedule of its kind, with the plan signed inline', () => {
  const path = file(
    'ok.yaml',
    `${BASE}backupPlans:
  orders:
    database: orders
    store: local
    tier: tier1
    schedule: { every: 6h }
    verify: { schedule: { cron: "0 4 * * 0", timezone: Europe/Berlin }, olderSample: 2 }
  audit: { database: orders, store: local }
`,
  );
  const c = loadConfig({ RUNBOOKS_CONFIG: path }, dir);
  const defs = planSchedules(c);
  expect(defs.map((d) => [d.kind, d.runbookId, d.everyMs ?? d.cron])).toEqual([
    ['backup', 'orders', 6 * 3_600_000],
    ['restore-verification', 'orders', '0 4 * * 0'],
  ]);
  const [backup, verify] = defs.map((d) => desiredSchedule(d, { taskQueue: 'runbooks', keys: TEST_KEYS }));
  expect(backup?.id).toBe('backup-orders');
  expect(verify?.id).toBe('restore-verification-orders');
  expect(backup?.action.workflowType).toBe(BACKUP_WORKFLOW);
  expect(verify?.action.workflowType).toBe(RESTORE_VERIFICATION_WORKFLOW);
  const input = backup?.action.args?.[0] as { plan: { name: string }; signed: { payload: Record<string, unknown> } };
  expect(input.plan).toEqual(planDefinition('orders', c.backupPlans.orders as never, c.recoveryObjectives));
  expect(input.signed.payload).toMatchObject({
    workflowType: BACKUP_WORKFLOW,
    runbookId: 'orders',
    workflowIdPrefix: 'backup-orders',
    definitionDigest: definitionDigest(input.plan),
    trigger: { source: 'schedule', requestedBy: 'schedule:backup-orders' },
  });
  // Editing the plan changes the schedule's action (sync updates it).
  const edited = planSchedules({ ...c, backupPlans: { orders: { ...c.backupPlans.orders!, checksums: false } } });
  const again = desiredSchedule(edited[0]!, { taskQueue: 'runbooks', keys: TEST_KEYS });
  expect(again.memo.parts.action).not.toBe(backup?.memo.parts.action);
  expect(again.memo.parts.spec).toBe(backup?.memo.parts.spec);
});

test('a start names an existing plan and takes no params', () => {
  const ctx = {
    library: { dir: 'x', runbooks: new Map(), files: new Map(), schedules: [] },
    config: {
      approverGroups: {},
      backupPlans: { orders: backupPlanConfig.parse({ database: 'orders', store: 'local' }) },
    },
  };
  const trigger = { source: 'api' as const, requestedBy: 'alice' };
  const kind = workflowKind('backup');
  expect(kind.targetExists(ctx, 'orders')).toBe(true);
  expect(kind.targetExists(ctx, 'billing')).toBe(false);
  expect(() => kind.prepare(ctx, { target: 'billing', params: {}, trigger })).toThrow(
    "no backup plan 'billing' (backupPlans.<name>; known: orders)",
  );
  expect(() => kind.prepare(ctx, { target: 'orders', params: { db: 'x' }, trigger })).toThrow("unknown param 'db'");
  const p = workflowKind('restore-verification').prepare(ctx, { target: 'orders', params: {}, trigger });
  expect(p).toMatchObject({
    workflowType: RESTORE_VERIFICATION_WORKFLOW,
    workflowIdPrefix: 'restore-verification-orders',
    intent: { runbookId: 'orders', definition: (p.input as BackupWorkflowInput).plan },
  });
});
