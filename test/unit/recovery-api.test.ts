/**
 * Backups, verifications and failovers through the API and the CLI, no server: the routes start
 * the plan's kind as the token says (403 without the operator role, 404 naming an unknown plan),
 * list the plans with their schedules, and answer a failover's report as JSON or Markdown; the
 * CLI sends those requests.
 */
import { Registry } from 'prom-client';
import { buildApp } from '../../src/api/app';
import { registerRecoveryCommands } from '../../src/cli/commands/recovery';
import { backupPlanConfig } from '../../src/config/backup-plans-schema';
import { failoverPlanConfig } from '../../src/config/failover-plans-schema';
import { loadConfig } from '../../src/config/load';
import { RunError } from '../../src/runs/errors';
import { createRecoveryService } from '../../src/runs/recovery';
import type { RunService, StartRunRequest } from '../../src/runs/service';
import { FAILOVER_WORKFLOW } from '../../src/shared/constants';
import type { FailoverReport } from '../../src/shared/failover';
import { runCli } from '../support/cli-run';
import { libraryOf } from '../support/runbook-worker';

const config = loadConfig({}, process.cwd());
const report: FailoverReport = {
  plan: 'orders',
  tier: 'tier1',
  outcome: 'succeeded',
  startedAt: '2026-12-02T00:00:00.000Z',
  finishedAt: '2026-12-02T00:05:00.000Z',
  phases: [
    {
      name: 'assessment',
      startedAt: '2026-12-02T00:00:00.000Z',
      endedAt: '2026-12-02T00:00:01.000Z',
      durationMs: 1000,
    },
  ],
  events: [{ at: '2026-12-02T00:00:01.000Z', phase: 'assessment', what: 'primary orders unreachable', ok: true }],
  smoke: [{ name: 'events', ok: true, rows: 1 }],
  integrity: [],
  compensations: [],
  rto: { seconds: 42, objectiveSeconds: 3600, met: true },
  rpo: { rows: null, seconds: 0.4, objectiveSeconds: 300, met: true, basis: 'replay-delay' },
};

function api() {
  const started: StartRunRequest[] = [];
  const runs = {
    ready: async () => true,
    call: <T>(fn: () => Promise<T>) => fn(),
    start: async (req: StartRunRequest) => {
      if ('target' in req && req.target === 'billing')
        throw new RunError('not_found', "no backup plan 'billing'", 'runbook');
      started.push(req);
      return { workflowId: `${req.kind}-orders-1`, runId: 'r', url: 'u', created: true };
    },
  } as unknown as RunService;
  const client = {
    workflow: {
      getHandle: () => ({
        describe: async () => ({ type: FAILOVER_WORKFLOW, status: { name: 'COMPLETED' } }),
        query: async () => report,
      }),
    },
    connection: { withDeadline: <T>(_d: number, fn: () => Promise<T>) => fn() },
  };
  const recovery = createRecoveryService({
    runs,
    client: client as never,
    config: {
      backupPlans: {
        orders: backupPlanConfig.parse({ database: 'orders', store: 'local', schedule: { every: '6h' } }),
      },
      failoverPlans: { orders: failoverPlanConfig.parse({ primary: 'orders', standby: 'orders-standby' }) },
      recoveryObjectives: config.recoveryObjectives,
    },
  });
  const app = buildApp({
    runs,
    library: () => libraryOf(),
    tokens: config.tokens,
    registry: new Registry(),
    recovery,
  });
  return { app, started };
}

const alice = { authorization: 'Bearer dev-alice-operator' };
const viewer = { authorization: 'Bearer dev-viewer-token' };

test('each route starts its plan’s kind as the token says, and refuses what it must', async () => {
  const { app, started } = api();
  for (const [url, kind] of [
    ['/v1/backups/orders/runs', 'backup'],
    ['/v1/backups/orders/verifications', 'restore-verification'],
    ['/v1/failovers/orders', 'dr-failover'],
  ] as const) {
    const r = await app.inject({ method: 'POST', url, headers: alice, payload: { reason: 'drill' } });
    expect(r.statusCode).toBe(201);
    expect(started.at(-1)).toEqual({
      kind,
      target: 'orders',
      params: {},
      reason: 'drill',
      trigger: { source: 'api', requestedBy: 'alice' },
    });
  }
  expect((await app.inject({ method: 'POST', url: '/v1/failovers/orders', headers: viewer })).statusCode).toBe(403);
  const unknown = await app.inject({ method: 'POST', url: '/v1/backups/billing/runs', headers: alice });
  expect(unknown.statusCode).toBe(404);
  expect(unknown.json().error).toContain("no backup plan 'billing'");
  const bad = await app.inject({
    method: 'POST',
    url: '/v1/backups/orders/runs',
    headers: alice,
    payload: { actor: 'eve' },
  });
  expect(bad.statusCode).toBe(400);
  // A failover's last safe point goes to the kind as a param (checked there against its plan); a backup takes none.
  const at = await app.inject({
    method: 'POST',
    url: '/v1/failovers/orders',
    headers: alice,
    payload: { pointInTime: '2026-12-01T06:29:00Z' },
  });
  expect(at.statusCode).toBe(201);
  expect(started.at(-1)?.params).toEqual({ pointInTime: '2026-12-01T06:29:00Z' });
  for (const url of ['/v1/backups/orders/runs', '/v1/failovers/orders/drills']) {
    const refused = await app.inject({ method: 'POST', url, headers: alice, payload: { pointInTime: 'x' } });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error).toContain('pointInTime');
  }
});

test('the plans, and a failover’s report as JSON and Markdown', async () => {
  const { app } = api();
  const plans = (await app.inject({ url: '/v1/recovery/plans', headers: viewer })).json();
  expect(plans.backups).toEqual([
    expect.objectContaining({ name: 'orders', tier: 'tier2', schedule: 'backup-orders', verifySchedule: null }),
  ]);
  expect(plans.failovers).toEqual([
    expect.objectContaining({
      name: 'orders',
      standby: 'orders-standby',
      objectives: { rtoMs: 3_600_000, rpoMs: 300_000 },
    }),
  ]);
  const json = (await app.inject({ url: '/v1/recovery/runs/dr-failover-orders', headers: viewer })).json();
  expect(json).toMatchObject({
    workflowType: FAILOVER_WORKFLOW,
    status: 'COMPLETED',
    report: { outcome: 'succeeded' },
  });
  const md = await app.inject({ url: '/v1/recovery/runs/dr-failover-orders?format=markdown', headers: viewer });
  expect(md.headers['content-type']).toContain('text/markdown');
  expect(md.body).toContain('# DR failover orders: succeeded');
  expect(md.body).toContain('| RTO | 42.0 s | 1.00 h | yes |');
  expect(md.body).toContain('| RPO | at most 0.4 s of writes | 5.0 min | yes |');
  const svg = await app.inject({ url: '/v1/recovery/runs/dr-failover-orders?format=svg', headers: viewer });
  expect(svg.headers['content-type']).toContain('image/svg+xml');
  expect(svg.body).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  expect(svg.body).toContain('>assessment</text>');
  expect(svg.body).toContain('RTO 42.0 s of 60.0 min');
  expect(svg.body).toContain('primary orders unreachable');
});

test('the CLI sends those requests', async () => {
  const sent: Array<{ method: string; path: string; body?: unknown }> = [];
  const fakeFetch = (async (url: string, init: RequestInit) => {
    sent.push({
      method: init.method ?? 'GET',
      path: new URL(url).pathname,
      ...(init.body ? { body: JSON.parse(String(init.body)) } : {}),
    });
    return new Response(JSON.stringify({ workflowId: 'dr-failover-orders', runId: 'r', url: 'u', created: true }), {
      status: 201,
      headers: { 'content-type': 'application/json' },
    });
  }) as unknown as typeof fetch;
  const r = await runCli(['failover', 'orders', '--reason', 'region down'], registerRecoveryCommands, fakeFetch);
  expect(r.code).toBe(0);
  expect(r.out).toContain('runbook approve dr-failover-orders failover');
  await runCli(['failover', 'orders', '--to', '2026-12-01T06:29:00Z'], registerRecoveryCommands, fakeFetch);
  const drillTo = await runCli(['failover', 'orders', '--drill', '--to', 'x'], registerRecoveryCommands, fakeFetch);
  expect(drillTo).toMatchObject({ code: 2 });
  expect(drillTo.err).toContain('--to is for a failover, not a drill');
  await runCli(['backup', 'orders'], registerRecoveryCommands, fakeFetch);
  await runCli(['verify-restore', 'orders'], registerRecoveryCommands, fakeFetch);
  expect(sent).toEqual([
    { method: 'POST', path: '/v1/failovers/orders', body: { via: 'cli', reason: 'region down' } },
    { method: 'POST', path: '/v1/failovers/orders', body: { via: 'cli', pointInTime: '2026-12-01T06:29:00Z' } },
    { method: 'POST', path: '/v1/backups/orders/runs', body: { via: 'cli' } },
    { method: 'POST', path: '/v1/backups/orders/verifications', body: { via: 'cli' } },
  ]);
});
