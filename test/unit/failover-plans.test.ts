/** Failover plans: compiled with the tier's objectives, checked at load, and a start that names runbooks the library has. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { failoverDefinition } from '../../src/config/failover-plans';
import { backupPlanConfig } from '../../src/config/backup-plans-schema';
import { databaseConfig } from '../../src/config/databases-schema';
import { failoverPlanConfig } from '../../src/config/failover-plans-schema';
import { loadConfig } from '../../src/config/load';
import { failoverKind } from '../../src/runs/failover-kind';
import { libraryOf, runbookFromYaml } from '../support/runbook-worker';

const plan = failoverPlanConfig.parse({
  primary: 'orders',
  standby: 'orders-standby',
  approvers: ['group:dba'],
  traffic: { runbook: 'switch-traffic', params: { site: 'b' } },
});

test('a plan gets its tier’s objectives and the defaults', () => {
  expect(failoverDefinition('orders', plan)).toMatchObject({
    tier: 'tier1',
    objectives: { rtoMs: 3_600_000, rpoMs: 300_000 },
    approvalTimeoutMs: 1_800_000,
    promoteWaitSeconds: 60,
    deploy: [],
    traffic: { runbook: 'switch-traffic', params: { site: 'b' } },
  });
});

test('a start needs the plan’s runbooks in the library, takes no params, and signs the approver groups', () => {
  const trigger = { source: 'api' as const, requestedBy: 'alice' };
  const config = { approverGroups: { dba: ['bob'] }, failoverPlans: { orders: plan } };
  expect(() =>
    failoverKind.prepare({ library: libraryOf(), config }, { target: 'orders', params: {}, trigger }),
  ).toThrow("failover plan 'orders' names runbook 'switch-traffic', which is not in the library");
  const library = libraryOf(runbookFromYaml('id: switch-traffic\ntitle: t\nsteps:\n  - id: w\n    wait: 1s\n'));
  expect(() => failoverKind.prepare({ library, config }, { target: 'orders', params: { x: 1 }, trigger })).toThrow(
    "unknown param 'x'",
  );
  // A point in time is for a plan that recovers from a WAL archive only.
  expect(() =>
    failoverKind.prepare(
      { library, config },
      { target: 'orders', params: { pointInTime: '2026-01-01T00:00:00Z' }, trigger },
    ),
  ).toThrow("failover plan 'orders' does not recover from a WAL archive (restore.pitr): it has no point in time");
  const pitrConfig = {
    approverGroups: {},
    databases: { site: databaseConfig.parse({ host: '127.0.0.1', port: 6543, database: 'orders', user: 'u' }) },
    failoverPlans: {
      orders: failoverPlanConfig.parse({ primary: 'orders', standby: 'site', restore: { pitr: { store: 'wal' } } }),
    },
  };
  const at = (pointInTime: string) =>
    failoverKind.prepare({ library, config: pitrConfig }, { target: 'orders', params: { pointInTime }, trigger });
  expect(() => at('yesterday')).toThrow('pointInTime must be an ISO 8601 time with its offset');
  expect(() => at('2999-01-01T00:00:00Z')).toThrow('pointInTime 2999-01-01T00:00:00Z is in the future');
  const pitr = at('2026-01-01T00:00:00+01:00');
  expect(pitr.input.plan.restore).toMatchObject({ mode: 'pitr', targetTime: '2026-01-01T00:00:00+01:00', port: 6543 });
  // Signed with the start: the workflow recovers to the time the API was asked for, nothing else.
  expect(pitr.intent).toMatchObject({
    params: { pointInTime: '2026-01-01T00:00:00+01:00' },
    definition: pitr.input.plan,
  });
  const p = failoverKind.prepare({ library, config }, { target: 'orders', params: {}, trigger });
  expect(failoverKind.exactWorkflowId?.(p)).toBe('dr-failover-orders');
  expect(p.intent).toMatchObject({ runbookId: 'orders', approverGroups: { dba: ['bob'] }, definition: p.input.plan });
});

test('a plan naming databases or a target that are not configured is refused at load', () => {
  const dir = mkdtempSync(join(tmpdir(), 'failover-'));
  const path = join(dir, 'c.yaml');
  writeFileSync(
    path,
    'databases:\n  orders: { host: 127.0.0.1, database: orders, user: u }\nfailoverPlans:\n  orders: { primary: orders, standby: orders, notify: ops }\n  other: { primary: orders, standby: replica }\n',
  );
  expect(() => loadConfig({ RUNBOOKS_CONFIG: path }, dir)).toThrow(
    /failoverPlans\.orders\.standby: the standby must be another database than the primary[\s\S]*failoverPlans\.orders\.notify: no notify target 'ops'[\s\S]*failoverPlans\.other\.standby: no database 'replica'/,
  );
});

test('a drill runs against its own environment, never the plan’s production databases', () => {
  const dir = mkdtempSync(join(tmpdir(), 'failover-drill-'));
  const path = join(dir, 'c.yaml');
  writeFileSync(
    path,
    [
      'databases:',
      '  orders: { host: a, database: orders, user: u }',
      '  orders-standby: { host: b, database: orders, user: u }',
      'failoverPlans:',
      '  orders:',
      '    primary: orders',
      '    standby: orders-standby',
      '    drill: { primary: orders, standby: drill-b, reset: [{ runbook: rebuild }], archive: { store: reports } }',
      '',
    ].join('\n'),
  );
  expect(() => loadConfig({ RUNBOOKS_CONFIG: path }, dir)).toThrow(
    /drill\.primary: a drill runs against a standby environment, not 'orders'[\s\S]*drill\.standby: no database 'drill-b'[\s\S]*drill\.archive\.store: no store 'reports'/,
  );
  const p = failoverPlanConfig.parse({
    primary: 'orders',
    standby: 'orders-standby',
    traffic: { runbook: 'switch-traffic' },
    drill: { primary: 'drill', standby: 'drill-b', reset: [{ runbook: 'rebuild' }] },
  });
  const d = failoverDefinition('orders', p, undefined, true);
  expect(d).toMatchObject({
    primary: 'drill',
    standby: 'drill-b',
    deploy: [],
    drill: { reset: [{ runbook: 'rebuild', params: {} }] },
  });
  expect(d.traffic).toBeUndefined();
  expect(() =>
    failoverKind.prepare(
      { library: libraryOf(), config: { approverGroups: {}, failoverPlans: { orders: plan } } },
      { target: 'orders', params: { drill: true }, trigger: { source: 'api', requestedBy: 'alice' } },
    ),
  ).toThrow("failover plan 'orders' has no drill: section");
});

test('restore mode reads its backup plan and the standby’s database name, checked at load', () => {
  const p = failoverPlanConfig.parse({ primary: 'orders', standby: 'site', restore: { backupPlan: 'nightly' } });
  const d = failoverDefinition('orders', p, undefined, false, {
    backupPlans: { nightly: backupPlanConfig.parse({ database: 'orders', store: 'offsite', prefix: 'prod/' }) },
    databases: { site: { database: 'orders_restored', port: 5432 } },
  });
  expect(d.restore).toEqual({
    mode: 'logical',
    from: 'orders',
    store: 'offsite',
    prefix: 'prod/',
    into: 'orders_restored',
    jobs: 4,
    timeoutMs: 14_400_000,
  });
  const dir = mkdtempSync(join(tmpdir(), 'failover-restore-'));
  const path = join(dir, 'c.yaml');
  writeFileSync(
    path,
    [
      'databases:',
      '  orders: { host: a, database: orders, user: u }',
      '  site: { host: b, database: Orders-Copy, user: u }',
      'failoverPlans:',
      '  orders: { primary: orders, standby: site, restore: { backupPlan: nightly } }',
      '',
    ].join('\n'),
  );
  expect(() => loadConfig({ RUNBOOKS_CONFIG: path }, dir)).toThrow(
    /restore\.backupPlan: no backup plan 'nightly'[\s\S]*databases\.site\.database 'Orders-Copy' cannot be restored into/,
  );
});

test('PITR restore mode: the primary’s archive recovered to the end, or to the point in time a failover starts with, onto the standby’s port', () => {
  const p = failoverPlanConfig.parse({
    primary: 'orders',
    standby: 'site',
    restore: { pitr: { store: 'wal', listen: '10.0.0.7' }, timeout: '2h' },
  });
  const databases = { site: { database: 'orders', port: 6543 } };
  expect(failoverDefinition('orders-dr', p, undefined, false, { databases }).restore).toEqual({
    mode: 'pitr',
    database: 'orders',
    store: 'wal',
    cluster: 'dr-orders-dr',
    port: 6543,
    listen: '10.0.0.7',
    targetTime: 'latest',
    timeoutMs: 7_200_000,
  });
  const at = failoverDefinition('orders-dr', p, undefined, false, {
    databases,
    pointInTime: '2026-12-01T06:30:00Z',
  });
  expect(at.restore).toMatchObject({ mode: 'pitr', targetTime: '2026-12-01T06:30:00Z' });
  // One of the two ways, never both or neither.
  for (const restore of [{}, { backupPlan: 'nightly', pitr: { store: 'wal' } }])
    expect(
      failoverPlanConfig.safeParse({ primary: 'orders', standby: 'site', restore }).error?.issues[0]?.message,
    ).toBe('exactly one of backupPlan (a logical backup) or pitr (base backup and WAL archive)');
  expect(
    failoverPlanConfig.safeParse({
      primary: 'a',
      standby: 'b',
      restore: { pitr: { store: 'wal', listen: 'db.example' } },
    }).error?.issues[0]?.path,
  ).toEqual(['restore', 'pitr', 'listen']);

  const dir = mkdtempSync(join(tmpdir(), 'failover-pitr-'));
  const path = join(dir, 'c.yaml');
  writeFileSync(
    path,
    [
      'databases:',
      '  orders: { host: a, database: orders, user: u }',
      '  site: { host: b, port: 543, database: orders, user: u }',
      'failoverPlans:',
      '  orders: { primary: orders, standby: site, restore: { pitr: { store: nowhere } } }',
      '',
    ].join('\n'),
  );
  expect(() => loadConfig({ RUNBOOKS_CONFIG: path }, dir)).toThrow(
    /restore\.pitr\.store: no store 'nowhere'[\s\S]*databases\.site\.port 543 is privileged/,
  );
});
