/** Approval gates against a real server: who may decide, N of M, deadlines, escalation, bound inputs, emergencies. */
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { RUNBOOK_WORKFLOW } from '../../src/shared/constants';
import { decideApprovalUpdate, statusQuery } from '../../src/shared/messages';
import type { RunStatus } from '../../src/shared/status';
import type { RunbookWorkflowInput } from '../../src/shared/workflow-types';
import { startReceiver, type Receiver } from '../support/http-receiver';
import { createTestWorker, runbookFromYaml } from '../support/runbook-worker';
import { signed, signedDecision } from '../support/signing';
import { connectTestEnv, waitForStatus } from '../support/temporal';

let env: TestWorkflowEnvironment;
let target: Receiver;

beforeAll(async () => {
  env = await connectTestEnv();
  target = await startReceiver();
  target.on('/restart', () => ({ status: 200, body: { ok: true } }));
  target.on('/pods', (_r, n) => ({ status: 200, body: { name: `pod-${n}` } }));
  target.on('/notify', () => ({ status: 200, body: 'ok' }));
});
afterAll(async () => {
  await target?.close();
  await env?.teardown();
});

const groups = { sre: ['alice', 'bob'], leads: ['erin'] };

function vote(
  handle: WorkflowHandle,
  actor: string,
  decision: 'approve' | 'reject' = 'approve',
  stepId = 'gate',
): Promise<unknown> {
  return signedDecision(handle, { stepId, decision, actor })
    .then((d) => handle.executeUpdate(decideApprovalUpdate, { args: [d] }))
    .catch((e: { cause?: { message?: string } }) => ({ refused: e.cause?.message }));
}

async function run(
  yaml: string,
  o: Partial<RunbookWorkflowInput>,
  act: (h: WorkflowHandle) => Promise<void>,
): Promise<{ status: RunStatus; error?: unknown }> {
  const { worker, taskQueue } = await createTestWorker(env, {
    webhookTargets: { leads: { url: `${target.url}/notify` } },
  });
  return worker.runUntil(async () => {
    const input: RunbookWorkflowInput = {
      runbook: runbookFromYaml(yaml),
      approverGroups: groups,
      trigger: { source: 'api', requestedBy: 'alice' },
      ...o,
    };
    const handle = await env.client.workflow.start(RUNBOOK_WORKFLOW, {
      taskQueue,
      workflowId: `wf-${taskQueue}`,
      args: [signed(input, `wf-${taskQueue}`)],
      workflowExecutionTimeout: '2m',
    });
    await act(handle);
    const error = await handle.result().then(
      () => undefined,
      (e: unknown) => e,
    );
    return { status: await handle.query(statusQuery), error };
  });
}

const gated = (approval: string, timeout = '10m') => `
id: gated
title: Gated
steps:
  - id: gate
    approval: ${approval}
    timeout: ${timeout}
  - id: restart
    action: http:request:send
    with: { method: POST, url: "${target.url}/restart" }
`;

test('two of the sre group or carol; the requester, outsiders and second votes are refused', async () => {
  const { status } = await run(gated('{ message: go?, approvers: [group:sre, carol], required: 2 }'), {}, async (h) => {
    const s = await waitForStatus(h, (x) => x.phase === 'waiting_approval');
    expect(s.pendingApprovals[0]).toMatchObject({
      required: 2,
      allowed: ['alice', 'bob', 'carol'],
      guards: [
        { stepId: 'restart', action: 'http:request:send', inputs: { method: 'POST', url: `${target.url}/restart` } },
      ],
    });
    expect(await vote(h, 'alice')).toEqual({ refused: 'alice started this run and cannot approve it' });
    expect(await vote(h, 'dave')).toEqual({ refused: "dave may not decide on 'gate' (allowed: alice, bob, carol)" });
    expect(await vote(h, 'bob')).toEqual({ stepId: 'gate', accepted: true, outcome: 'pending' });
    expect(await vote(h, 'bob')).toEqual({ refused: "bob has already approved 'gate'" });
    expect(await vote(h, 'carol')).toEqual({ stepId: 'gate', accepted: true, outcome: 'approved' });
  });
  expect(status.phase).toBe('succeeded');
  expect(status.steps.find((s) => s.id === 'gate')?.note).toBe('approved by bob via api; carol via api');
  expect(status.gates).toEqual([{ stepId: 'gate', mode: 'normal' }]);
  // The wait is counted in workflow time (an incident adds up its runbooks' waits).
  const gate = status.steps.find((s) => s.id === 'gate');
  expect(status.approvalWaitMs).toBeGreaterThan(0);
  expect(status.approvalWaitMs).toBeLessThanOrEqual(Date.parse(gate!.finishedAt!) - Date.parse(gate!.startedAt!));
});

test('one rejection by an allowed approver ends the gate', async () => {
  const { status, error } = await run(gated('{ message: go?, required: 2 }'), {}, async (h) => {
    await waitForStatus(h, (x) => x.phase === 'waiting_approval');
    await vote(h, 'bob');
    await vote(h, 'carol', 'reject');
  });
  expect(status.phase).toBe('rejected');
  expect(error).toMatchObject({ cause: { type: 'ApprovalRejected' } });
});

test("a waiting run's stack trace names its wait, traced once, not once per level of the interpreter", async () => {
  await run(gated('{ message: go? }'), {}, async (h) => {
    await waitForStatus(h, (x) => x.phase === 'waiting_approval');
    // What the Web UI's Stack Trace tab shows. The SDK traces every pending promise; the kit
    // untracks the links of the interpreter's own chain, which would otherwise hold a trace each.
    const trace = await h.query<string>('__stack_trace');
    expect(trace).toMatch(/at condition \(.*@temporalio\/workflow/);
    expect(trace).toMatch(/kit\/escalation\.ts:\d+/);
    expect(trace).toMatch(/runbook\/gate-steps\.ts:\d+/);
    expect(trace).not.toMatch(/^\s+at (Executor\.runAll|Executor\.run|GateSteps\.pass) /m);
    await vote(h, 'bob');
  });
});

test('a deadline aborts by default, continues only when written, escalates with a notice', async () => {
  const aborted = await run(gated('{ message: go? }', '1s'), {}, async () => undefined);
  expect(aborted.status.phase).toBe('failed');
  expect(aborted.status.error).toMatchObject({
    stepId: 'gate',
    type: 'ApprovalTimeout',
    message: 'no decision within 1s',
  });

  const continued = await run(gated('{ message: go?, onTimeout: continue }', '1s'), {}, async () => undefined);
  expect(continued.status.phase).toBe('succeeded');
  expect(continued.status.gates).toEqual([{ stepId: 'gate', mode: 'continued-without-decision' }]);
  // Not approved: the step records that it was passed without a decision.
  expect(continued.status.steps.find((s) => s.id === 'gate')).toMatchObject({
    state: 'skipped',
    note: 'no decision within 1s: continued, as the runbook says',
  });

  const before = target.received.filter((r) => r.path === '/notify').length;
  const escalated = await run(
    gated(
      '{ message: go?, approvers: [bob], onTimeout: escalate, escalation: { approvers: [group:leads], timeout: 1m, notify: leads } }',
      '1s',
    ),
    {},
    async (h) => {
      const s = await waitForStatus(h, (x) => x.pendingApprovals[0]?.escalated === true);
      expect(s.pendingApprovals[0]?.allowed).toEqual(['bob', 'erin']);
      expect(await vote(h, 'erin')).toMatchObject({ outcome: 'approved' });
    },
  );
  expect(escalated.status.phase).toBe('succeeded');
  const notices = target.received.filter((r) => r.path === '/notify').slice(before);
  expect(notices).toHaveLength(1);
  expect(JSON.parse(notices[0]!.body)).toMatchObject({
    text: expect.stringContaining("Approval 'gate' of Gated had no decision in time; escalated to group:leads"),
    severity: 'warning',
  });
});

test('a decision is bound to the inputs it saw: changed inputs are approved again', async () => {
  const yaml = `
id: bound
title: Bound
steps:
  - id: gate
    approval: { message: "delete a pod?" }
  - id: pods
    action: http:request:send
    with: { url: "${target.url}/pods" }
  - id: delete
    action: http:request:send
    with: { method: DELETE, url: "${target.url}/restart", body: { pod: "\${{ steps.pods.output.body.name }}" } }
`;
  const { status } = await run(yaml, {}, async (h) => {
    const s = await waitForStatus(h, (x) => x.phase === 'waiting_approval');
    expect(s.pendingApprovals[0]?.guards).toEqual([
      {
        stepId: 'delete',
        action: 'http:request:send',
        inputs: { method: 'DELETE', url: `${target.url}/restart`, body: { pod: '<steps.pods.output.body.name>' } },
      },
    ]);
    await vote(h, 'bob');
    // The pod name only exists after the gate: the approval no longer holds, and bob is asked again.
    const again = await waitForStatus(
      h,
      (x) => x.phase === 'waiting_approval' && x.steps.some((st) => st.id === 'delete' && st.state === 'waiting'),
    );
    expect(again.pendingApprovals[0]).toMatchObject({
      stepId: 'gate',
      guards: [{ stepId: 'delete', inputs: { body: { pod: expect.stringMatching(/^pod-\d+$/) } } }],
    });
    await vote(h, 'bob');
  });
  expect(status.phase).toBe('succeeded');
  expect(status.steps.find((s) => s.id === 'delete')).toMatchObject({ state: 'succeeded', note: 're-approved by bob' });
});

test('an emergency change goes ahead on one approval and asks for the second afterwards', async () => {
  const before = target.received.filter((r) => r.path === '/restart').length;
  const { status } = await run(
    gated('{ message: go?, required: 2, emergency: { retroactiveWithin: 1m } }'),
    { emergency: true },
    async (h) => {
      await waitForStatus(h, (x) => x.phase === 'waiting_approval');
      expect(await vote(h, 'bob')).toMatchObject({ outcome: 'approved' });
      const s = await waitForStatus(h, (x) => x.phase === 'awaiting_retroactive_approval');
      expect(target.received.filter((r) => r.path === '/restart').length).toBe(before + 1);
      expect(s.pendingApprovals[0]).toMatchObject({ retroactive: true, required: 1 });
      expect(await vote(h, 'bob')).toEqual({ refused: "bob has already approved 'gate'" });
      expect(await vote(h, 'carol')).toMatchObject({ outcome: 'approved' });
    },
  );
  expect(status.phase).toBe('succeeded');
  expect(status.gates).toEqual([{ stepId: 'gate', mode: 'emergency', retroactive: 'approved' }]);
  expect(status.decisions.map((d) => [d.actor, d.retroactive ?? false])).toEqual([
    ['bob', false],
    ['carol', true],
  ]);
});
