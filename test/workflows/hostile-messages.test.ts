/**
 * No input wedges a run: every message a run, a lock or the kill switch takes is sent `{}`,
 * `null`, wrong types and huge strings, straight through a Temporal client. Updates refuse them
 * with a reason; signals are noted or ignored; the run goes on and finishes. A copy of a signed
 * alert notice the run took, an old one, or an expired one, resent by a raw client, changes
 * nothing either.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import {
  acquireLockSignal,
  CONTROL_WORKFLOW,
  controlWorkflowId,
  freezeUpdate,
  lockAnswerSignal,
  LOCK_WORKFLOW,
  lockStateQuery,
  lockWorkflowId,
  releaseLockSignal,
  unfreezeUpdate,
} from '../../src/shared/coordination';
import { RUNBOOK_WORKFLOW } from '../../src/shared/constants';
import {
  alertSignal,
  approvalDecisionSignal,
  decideApprovalUpdate,
  decideStepUpdate,
  statusQuery,
  stepDecisionSignal,
} from '../../src/shared/messages';
import { createAlertIngest } from '../../src/alerts/ingest';
import { createRouter } from '../../src/alerts/router';
import { sign } from '../../src/platform/signing';
import type { AlertInstance, AlertNotice, AlertNoticeClaims } from '../../src/shared/alert';
import type { SignedAlert } from '../../src/shared/signed';
import { startReceiver, type Receiver } from '../support/http-receiver';
import { createTestWorker, libraryOf, runbookFromYaml, type TestWorker } from '../support/runbook-worker';
import { signed, signedDecision, TEST_KEYS } from '../support/signing';
import { Worker } from '@temporalio/worker';
import { createWorkerMetrics } from '../../src/worker/metrics';
import { workerSinks } from '../../src/worker/events';
import { withSigningKeys } from '../../src/worker/signing-bundle';
import { connectTestEnv, waitForStatus, workflowBundle } from '../support/temporal';
import { waitFor } from '../support/wait';

let env: TestWorkflowEnvironment;
let target: Receiver;
let w: TestWorker;

beforeAll(async () => {
  env = await connectTestEnv();
  target = await startReceiver();
  target.on('/change', () => ({ status: 200, body: { ok: true } }));
});
// A worker runs once: each test has its own.
beforeEach(async () => {
  w = await createTestWorker(env);
});
afterAll(async () => {
  await target?.close();
  await env?.teardown();
});

const HUGE = 'x'.repeat(200_000);
const JUNK: unknown[] = [{}, null, 42, 'text', [], { stepId: 7, decision: {}, actor: [] }, { payload: HUGE }, HUGE];

const resolvedNotice = {
  route: 'service-down',
  receivedAt: '2026-12-01T10:00:00.000Z',
  alert: {
    source: 'alertmanager',
    status: 'resolved',
    fingerprint: 'f00',
    startsAt: '2026-12-01T09:00:00.000Z',
    labels: {},
    annotations: {},
    links: [],
  },
};

const refusal = (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => 'accepted',
    (e: { cause?: { message?: string } }) => e.cause?.message ?? String(e),
  );

test('a run waiting for approval shrugs off junk on every message, then finishes when properly approved', async () => {
  const rb = runbookFromYaml(`
id: hostile
title: Hostile
target: service:hostile
steps:
  - id: gate
    approval: { message: go? }
  - id: change
    action: http:request:send
    with: { method: POST, url: "${target.url}/change" }
`);
  await w.worker.runUntil(async () => {
    const workflowId = `hostile-${w.taskQueue}`;
    const h: WorkflowHandle = await env.client.workflow.start(RUNBOOK_WORKFLOW, {
      taskQueue: w.taskQueue,
      workflowId,
      args: [signed({ runbook: rb, trigger: { source: 'api', requestedBy: 'alice' } }, workflowId)],
      workflowExecutionTimeout: '1m',
    });
    await waitForStatus(h, (s) => s.phase === 'waiting_approval');
    for (const junk of JUNK) {
      await h.signal(alertSignal, junk as never);
      await h.signal(approvalDecisionSignal, junk);
      await h.signal(stepDecisionSignal, junk);
      await h.signal(lockAnswerSignal, junk as never);
      expect(await refusal(h.executeUpdate(decideApprovalUpdate, { args: [junk as never] }))).toMatch(
        /^decisions come signed through the API/,
      );
      expect(await refusal(h.executeUpdate(decideStepUpdate, { args: [junk as never] }))).toMatch(
        /^decisions come signed through the API/,
      );
    }
    // A well-formed but unsigned "resolved" notice from a raw client does not stop the run either.
    await h.signal(alertSignal, resolvedNotice as never);
    // Nor does a lock "granted" that no lock sent (the run holds no lock yet: it asks at its change).
    await h.signal(lockAnswerSignal, { target: 'service:hostile', outcome: 'granted', heldBy: [] });
    const s = await h.query(statusQuery);
    expect(s.phase).toBe('waiting_approval');
    expect(s.decisions).toEqual([]);
    // Bounded: the latest 20 notes, each cut short.
    expect(s.unverified).toHaveLength(20);
    expect(Math.max(...(s.unverified ?? []).map((n) => n.claimed.length))).toBeLessThanOrEqual(121);

    await h.executeUpdate(decideApprovalUpdate, {
      args: [await signedDecision(h, { stepId: 'gate', decision: 'approve', actor: 'bob' })],
    });
    expect((await h.result()).phase).toBe('succeeded');
  });
});

test('a lock ignores junk requests and releases (it ends, never stuck), and still grants a real one', async () => {
  const lockTarget = `service:junk-${w.taskQueue}`;
  await w.worker.runUntil(async () => {
    // As runs reach a lock: signal-with-start. With only junk, nobody holds or waits: it ends.
    const send = (signal: typeof acquireLockSignal | typeof releaseLockSignal, arg: unknown) =>
      env.client.workflow.signalWithStart(LOCK_WORKFLOW, {
        taskQueue: w.taskQueue,
        workflowId: lockWorkflowId(lockTarget),
        args: [{ target: lockTarget }],
        signal: signal as typeof acquireLockSignal,
        signalArgs: [arg as never],
      });
    for (const junk of [...JUNK, { holder: 'h', onBusy: 'wait', capacity: Number.NaN }]) {
      await expect((await send(acquireLockSignal, junk)).result()).resolves.toBeUndefined();
      await expect((await send(releaseLockSignal, junk)).result()).resolves.toBeUndefined();
    }
    const lock = await send(acquireLockSignal, { holder: 'real-holder', onBusy: 'wait', capacity: 1 });
    await waitFor('the real request to be granted', async () =>
      (await lock.query(lockStateQuery)).holders.includes('real-holder'),
    );
    await lock.signal(releaseLockSignal, { holder: 'real-holder' });
    await expect(lock.result()).resolves.toBeUndefined();
  });
});

test('the kill switch refuses malformed freezes with a reason and keeps working', async () => {
  await w.worker.runUntil(async () => {
    const control = await env.client.workflow.start(CONTROL_WORKFLOW, {
      taskQueue: w.taskQueue,
      workflowId: controlWorkflowId(w.taskQueue),
      args: [{}],
    });
    for (const junk of JUNK) {
      expect(await refusal(control.executeUpdate(freezeUpdate, { args: [junk as never] }))).not.toBe('accepted');
      expect(await refusal(control.executeUpdate(unfreezeUpdate, { args: [junk as never] }))).not.toBe('accepted');
    }
    expect(
      await refusal(
        control.executeUpdate(freezeUpdate, { args: [{ scope: { kind: 'all' }, by: 'admin', reason: HUGE }] }),
      ),
    ).toMatch(/reason is text of at most 2000/);
    const f = await control.executeUpdate(freezeUpdate, {
      args: [{ scope: { kind: 'all' }, by: 'admin', reason: 'drill' }],
    });
    await control.executeUpdate(unfreezeUpdate, { args: [{ freezeId: f.id, by: 'admin', reason: 'over' }] });
  });
});

test('a signed alert notice resent by a raw client (a copy, an old one, an expired one) changes nothing', async () => {
  const rb = runbookFromYaml(`
id: alerted
title: Alerted
params:
  service: { type: string }
steps:
  - id: gate
    approval: { message: "restart \${{ alert.labels.service }}? \${{ alert.annotations.summary }}" }
`);
  // The API pins the definition in the run's input: the test's worker needs no library.
  const routes = [
    { id: 'down', match: {}, runbook: 'alerted', params: { service: '${{ alert.labels.service }}' }, owner: 'bot' },
  ];
  // The API's own ingest, over a client that keeps a copy of each signal it sends.
  const envelopes: SignedAlert[] = [];
  const recording = {
    workflow: {
      signalWithStart: (type: string, o: { signalArgs: [SignedAlert] }) => {
        envelopes.push(o.signalArgs[0]);
        return env.client.workflow.signalWithStart(type, o as never);
      },
    },
  } as unknown as Client;
  const ingest = createAlertIngest({
    client: recording,
    config: {
      taskQueue: w.taskQueue,
      approverGroups: {},
      alerts: { routes, maxInFlight: 4, coalesceMs: 0, journalDir: '' },
      signingKeys: () => TEST_KEYS,
    },
    library: () => libraryOf(rb),
    router: createRouter(routes, () => true),
    journal: { record: async () => undefined, list: async () => [] },
    call: (fn) => fn(),
  });
  const alert = (summary: string, status: AlertInstance['status'] = 'firing'): AlertInstance => ({
    source: 'alertmanager',
    status,
    fingerprint: `replay-${w.taskQueue}`,
    startsAt: '2026-12-01T09:00:00.000Z',
    labels: { alertname: 'Down', service: 'checkout' },
    annotations: { summary },
    links: [],
  });
  await w.worker.runUntil(async () => {
    const [first] = await ingest.ingest('alertmanager', [alert('v1')]);
    const h = env.client.workflow.getHandle(first?.workflowId as string);
    await waitForStatus(h, (s) => s.phase === 'waiting_approval');
    await ingest.ingest('alertmanager', [alert('v2')]);
    await waitForStatus(h, (s) => s.alert?.annotations.summary === 'v2' && s.alert.notifications === 2);

    // A copy of each notice the run took, straight through a Temporal client.
    for (const e of envelopes) await h.signal(alertSignal, e);
    // Correctly signed for this run, but issued half an hour before the newest it took...
    const now = Date.now();
    const resign = (notice: AlertNotice, issuedMs: number, ttlMs: number) =>
      sign<AlertNoticeClaims>(TEST_KEYS, {
        purpose: 'alert',
        workflowId: h.workflowId,
        notice,
        issuedAt: new Date(issuedMs).toISOString(),
        expiresAt: new Date(issuedMs + ttlMs).toISOString(),
      });
    const v1 = (envelopes[0] as SignedAlert).payload.notice;
    await h.signal(alertSignal, resign(v1, now - 30 * 60_000, 60 * 60_000));
    // ...and one that has expired.
    await h.signal(alertSignal, resign({ ...v1, alert: alert('v3', 'resolved') }, now - 2 * 60_000, 60_000));

    const s = await waitForStatus(h, (x) => (x.unverified ?? []).length === 4);
    expect(s.phase).toBe('waiting_approval');
    expect(s.alert).toMatchObject({ status: 'firing', notifications: 2, annotations: { summary: 'v2' } });
    expect(s.alert?.resolvedAt).toBeUndefined();
    expect((s.unverified ?? []).map((n) => [n.message, n.reason])).toEqual([
      ['alert', expect.stringMatching(/^a copy of an alert notice this run took \(issued /)],
      ['alert', expect.stringMatching(/^a copy of an alert notice this run took \(issued /)],
      ['alert', expect.stringMatching(/^an alert notice issued .*, before newer ones this run took .*: a replay$/)],
      ['alert', expect.stringMatching(/^the alert is not the API's: expired at /)],
    ]);

    // A new notice from the API still counts: the resolution stops the run before its gate.
    await ingest.ingest('alertmanager', [alert('v2', 'resolved')]);
    expect(await h.result()).toMatchObject({ phase: 'auto_resolved' });
    expect((await h.query(statusQuery)).alert).toMatchObject({ status: 'resolved', notifications: 3 });
    // What the run refused, and when it was expired, replays the same from its history.
    await Worker.runReplayHistory(
      {
        workflowBundle: { code: withSigningKeys((await workflowBundle()).code, TEST_KEYS) },
        sinks: workerSinks(createWorkerMetrics()),
      },
      await h.fetchHistory(),
      h.workflowId,
    );
  });
});
