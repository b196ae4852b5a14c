/**
 * The chaos drill workflow on the real dev server, against a service on loopback whose
 * `/break` makes its health fail for a while (it heals by itself) and whose `/fix` heals it at
 * once. The drill reads the steady state, waits for an approval, injects (an `http:request:send`
 * step with its rollback), reads the probes while the fault is in, rolls back whatever happens
 * and verifies again: a drill that passes measures the service's own recovery; a cancel in the
 * middle still rolls back; a steady state that does not hold injects nothing; a probe named in
 * `abort.onDeviation` breaking aborts and rolls back.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { loadExperiment } from '../../src/experiments/load';
import { signStart } from '../../src/runs/sign';
import { CHAOS_DRILL_WORKFLOW } from '../../src/shared/constants';
import { drillReportQuery, type DrillReport, type DrillWorkflowInput } from '../../src/shared/drill';
import { decideApprovalUpdate, statusQuery } from '../../src/shared/messages';
import { createTestWorker, type TestWorker } from '../support/runbook-worker';
import { startReceiver, type Receiver } from '../support/http-receiver';
import { signedDecision, TEST_KEYS } from '../support/signing';
import { connectTestEnv } from '../support/temporal';
import { waitFor } from '../support/wait';

let env: TestWorkflowEnvironment;
let svc: Receiver;
let tw: TestWorker;
/** Until when /health fails (ms since epoch); 0: healthy. */
let brokenUntil = 0;
let apiBroken = false;

beforeAll(async () => {
  env = await connectTestEnv();
  svc = await startReceiver();
  svc.on('/health', () => ({ status: Date.now() < brokenUntil ? 503 : 200, body: { ok: true } }));
  svc.on('/api', () => ({ status: apiBroken ? 500 : 200, body: { ok: true } }));
}, 60_000);

afterAll(async () => {
  await svc?.close();
});

beforeEach(async () => {
  // A worker runs once (runUntil shuts it down): one per test.
  tw = await createTestWorker(env, {});
  brokenUntil = 0;
  apiBroken = false;
  svc.received.length = 0;
});

const experiment = (o: {
  heal: number;
  observe?: string;
  onDeviation?: string;
  approval?: boolean;
  recover?: string;
}) =>
  loadExperiment(
    `id: health-blip
title: The service heals after a blip
approval: { required: ${o.approval ?? false}, approvers: [bob] }
budget: { namespace: shop, maxPods: 1 }
steadyState:
  every: 300ms
  probes:
    - name: health
      http: { url: "${svc.url}/health", timeout: 2s }
    - name: api
      http: { url: "${svc.url}/api", timeout: 2s }
method:
  - name: blip
    action: http:request:send
    with: { method: POST, url: "${svc.url}/break", body: { healMs: ${o.heal} } }
    rollback:
      action: http:request:send
      with: { method: POST, url: "${svc.url}/fix" }
observe: ${o.observe ?? '3s'}
recover: { within: ${o.recover ?? '2s'} }
abort: { onDeviation: [${o.onDeviation ?? ''}] }
`,
    'health-blip.yaml',
  );

async function start(x: ReturnType<typeof experiment>) {
  const workflowId = `chaos-drill-${x.id}-${Date.now()}`;
  const intent = {
    workflowType: CHAOS_DRILL_WORKFLOW,
    runbookId: x.id,
    definition: x,
    params: {},
    trigger: { source: 'api' as const, requestedBy: 'alice' },
    approverGroups: {},
    emergency: false,
    dryRun: false,
  };
  const input: DrillWorkflowInput = {
    experiment: x,
    trigger: intent.trigger,
    approverGroups: {},
    signed: signStart(TEST_KEYS, intent, { workflowId }),
  };
  return env.client.workflow.start(CHAOS_DRILL_WORKFLOW, { taskQueue: tw.taskQueue, workflowId, args: [input] });
}

const calls = (path: string) => svc.received.filter((r) => r.path === path).length;

function breakOnPost(): void {
  svc.on('/break', (req) => {
    brokenUntil = Date.now() + Number(JSON.parse(req.body).healMs);
    return { status: 200, body: { ok: true } };
  });
  svc.on('/fix', () => {
    brokenUntil = 0;
    apiBroken = false;
    return { status: 200, body: { ok: true } };
  });
}

test('approved, injected, recovered by itself within the objective, rolled back and verified: passed', async () => {
  breakOnPost();
  await tw.worker.runUntil(async () => {
    // The server fires timers about a second apart at the soonest: a blip of 2.5 s is seen.
    const h = await start(experiment({ heal: 2500, approval: true, observe: '6s', recover: '5s' }));
    await waitFor('the approval gate', async () => (await h.query(statusQuery)).pendingApprovals.length > 0);
    expect(calls('/break')).toBe(0);
    // Whoever started it cannot approve it.
    await expect(
      h.executeUpdate(decideApprovalUpdate, {
        args: [await signedDecision(h, { stepId: 'drill', decision: 'approve', actor: 'alice' })],
      }),
    ).rejects.toMatchObject({ cause: { message: 'alice started this run and cannot approve it' } });
    await h.executeUpdate(decideApprovalUpdate, {
      args: [await signedDecision(h, { stepId: 'drill', decision: 'approve', actor: 'bob' })],
    });
    const r: DrillReport = await h.result();
    expect(r.outcome).toBe('passed');
    expect(r.phases.map((p) => p.name)).toEqual([
      'steady-state',
      'approval',
      'inject',
      'observe',
      'rollback',
      'verify',
    ]);
    expect(r.hypothesis).toEqual({ before: true, during: false, after: true });
    expect(r.faults).toMatchObject([{ name: 'blip', action: 'http:request:send', ok: true }]);
    expect(r.rollbacks).toMatchObject([{ name: 'blip', action: 'http:request:send', ok: true }]);
    expect(calls('/break')).toBe(1);
    expect(calls('/fix')).toBe(1);
    // Healed after 2.5 s by itself; the drill saw it, to within a reading.
    expect(r.recovery.by).toBe('hypothesis');
    expect(r.recovery.ms).toBeGreaterThanOrEqual(2400);
    expect(r.recovery.ms).toBeLessThan(5000);
    expect(r.recovery.met).toBe(true);
    expect(r.readings.some((q) => q.probe === 'health' && !q.ok && q.value === 503)).toBe(true);
  });
}, 60_000);

test('a service that does not heal by itself: the rollback fixes it, the drill fails on recovery', async () => {
  breakOnPost();
  await tw.worker.runUntil(async () => {
    const r: DrillReport = await (await start(experiment({ heal: 60_000, observe: '1500ms' }))).result();
    expect(r.outcome).toBe('failed');
    expect(r.recovery).toMatchObject({ ms: null, met: false, by: null });
    // Back after the rollback all the same, and the report says so.
    expect(r.hypothesis.after).toBe(true);
    expect(calls('/fix')).toBe(1);
  });
}, 60_000);

test('cancelled while the fault is in: the rollback runs, the drill ends aborted', async () => {
  breakOnPost();
  await tw.worker.runUntil(async () => {
    const h = await start(experiment({ heal: 60_000, observe: '1m' }));
    await waitFor('the fault in', async () => (await h.query(drillReportQuery)).faults.length > 0);
    await h.cancel();
    const r: DrillReport = await h.result();
    expect(r.outcome).toBe('aborted');
    expect(r.abort?.reason).toBe('cancelled');
    expect(r.rollbacks).toMatchObject([{ name: 'blip', ok: true }]);
    expect(calls('/fix')).toBe(1);
    expect(r.hypothesis.after).toBe(true);
  });
}, 60_000);

test('a steady state that does not hold: refused, nothing injected, nothing to roll back', async () => {
  breakOnPost();
  apiBroken = true;
  await tw.worker.runUntil(async () => {
    const r: DrillReport = await (await start(experiment({ heal: 1000 }))).result();
    expect(r.outcome).toBe('refused');
    expect(r.error).toBe('the steady state did not hold before the fault: nothing was injected');
    expect(r.readings.find((q) => q.probe === 'api')).toMatchObject({ ok: false, value: 500 });
    expect(calls('/break')).toBe(0);
    expect(r.rollbacks).toEqual([]);
  });
}, 60_000);

test('a probe the experiment must keep (abort.onDeviation) breaks: aborted at once and rolled back', async () => {
  breakOnPost();
  // This fault also takes the API down: a real outage, not the one planned.
  svc.on('/break', () => {
    brokenUntil = Date.now() + 60_000;
    apiBroken = true;
    return { status: 200, body: { ok: true } };
  });
  await tw.worker.runUntil(async () => {
    const r: DrillReport = await (
      await start(experiment({ heal: 60_000, observe: '1m', onDeviation: 'api' }))
    ).result();
    expect(r.outcome).toBe('aborted');
    expect(r.abort).toMatchObject({ reason: 'deviation' });
    expect(r.abort?.detail).toMatch(/^api broke while the fault was in/);
    expect(calls('/fix')).toBe(1);
    expect(r.hypothesis.after).toBe(true);
    // Aborted within a few readings, not after the minute of observation.
    expect(Date.parse(r.finishedAt!) - Date.parse(r.injectedAt!)).toBeLessThan(10_000);
  });
}, 60_000);
