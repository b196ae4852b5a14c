/**
 * Emergency runs against a real server: what the run records when its retroactive review never
 * comes (cancelled while asked for, or before), what its result says, and the approvals a
 * schedule's run refuses from the person it acts for.
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { RUNBOOK_WORKFLOW } from '../../src/shared/constants';
import { decideApprovalUpdate, statusQuery } from '../../src/shared/messages';
import type { RunResult, RunStatus } from '../../src/shared/status';
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
  for (const path of ['/change', '/unchange', '/keep']) target.on(path, () => ({ status: 200, body: { ok: true } }));
});
afterAll(async () => {
  await target?.close();
  await env?.teardown();
});

function vote(handle: WorkflowHandle, actor: string): Promise<unknown> {
  return signedDecision(handle, { stepId: 'gate', decision: 'approve', actor })
    .then((d) => handle.executeUpdate(decideApprovalUpdate, { args: [d] }))
    .catch((e: { cause?: { message?: string } }) => ({ refused: e.cause?.message }));
}

async function run(
  yaml: string,
  o: Partial<RunbookWorkflowInput>,
  act: (h: WorkflowHandle) => Promise<void>,
): Promise<{ status: RunStatus; result?: RunResult; error?: unknown }> {
  const { worker, taskQueue } = await createTestWorker(env);
  return worker.runUntil(async () => {
    const input: RunbookWorkflowInput = {
      runbook: runbookFromYaml(yaml),
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
    const out = await handle.result().then(
      (result: RunResult) => ({ result }),
      (error: unknown) => ({ error }),
    );
    return { status: await handle.query(statusQuery), ...out };
  });
}

/** An emergency gate covering a change with an undo and one without, then `after` (more steps). */
const urgent = (after = ''): string => `
id: urgent
title: Urgent
steps:
  - id: gate
    approval: { message: go?, required: 2, emergency: { retroactiveWithin: 1h } }
    timeout: 10m
  - id: change
    action: http:request:send
    with: { method: POST, url: "${target.url}/change" }
    undo: { action: http:request:send, with: { method: POST, url: "${target.url}/unchange" } }
  - id: keep
    action: http:request:send
    with: { method: POST, url: "${target.url}/keep" }
${after}`;

const calls = (path: string): number => target.received.filter((r) => r.path === path).length;

test('cancelled while the retroactive approval is asked for: recorded as cancelled and unreviewed, nothing undone', async () => {
  const undone = calls('/unchange');
  const { status, error } = await run(urgent(), { emergency: true }, async (h) => {
    await waitForStatus(h, (x) => x.phase === 'waiting_approval');
    expect(await vote(h, 'bob')).toMatchObject({ outcome: 'approved' });
    const s = await waitForStatus(h, (x) => x.phase === 'awaiting_retroactive_approval');
    expect(s.gates).toEqual([{ stepId: 'gate', mode: 'emergency', retroactive: 'pending' }]);
    await h.cancel();
  });
  expect(error).toMatchObject({ cause: { name: 'CancelledFailure' } });
  expect(status.phase).toBe('cancelled');
  const [gate] = status.gates;
  expect(gate).toEqual({
    stepId: 'gate',
    mode: 'emergency',
    retroactive: 'cancelled',
    unreviewed: {
      endedBy: 'cancel',
      at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      standing: ['change', 'keep'],
      note: `not reviewed: the run was cancelled at ${gate?.unreviewed?.at} while it waited for 1 more approval(s); the change stands, unreviewed (change, keep)`,
    },
  });
  // The change was final once every step had run: the cancel undid nothing.
  expect(calls('/unchange')).toBe(undone);
  expect(status.steps.find((s) => s.id === 'change')?.undo).toBeUndefined();
  expect(status.pendingApprovals).toEqual([]);
});

test('cancelled before the retroactive approval: not asked, with what its rollback left standing', async () => {
  const { status } = await run(urgent('  - id: settle\n    wait: 1h\n'), { emergency: true }, async (h) => {
    await waitForStatus(h, (x) => x.phase === 'waiting_approval');
    await vote(h, 'bob');
    await waitForStatus(h, (x) => x.steps.some((st) => st.id === 'settle' && st.state === 'running'));
    await h.cancel();
  });
  expect(status.phase).toBe('cancelled');
  // `change` was undone; `keep` has no undo, so what it did is still in place and nobody reviewed it.
  expect(status.steps.find((s) => s.id === 'change')?.undo).toMatchObject({ state: 'succeeded' });
  const [gate] = status.gates;
  expect(gate).toMatchObject({
    retroactive: 'not-asked',
    unreviewed: {
      endedBy: 'cancel',
      standing: ['keep'],
      note: `not asked: the run was cancelled at ${gate?.unreviewed?.at}, before the retroactive approval; the change stands, unreviewed (keep)`,
    },
  });
});

test("an emergency run's result carries the retroactive outcome", async () => {
  const { result } = await run(urgent(), { emergency: true }, async (h) => {
    await waitForStatus(h, (x) => x.phase === 'waiting_approval');
    await vote(h, 'bob');
    await waitForStatus(h, (x) => x.phase === 'awaiting_retroactive_approval');
    expect(await vote(h, 'carol')).toMatchObject({ outcome: 'approved' });
  });
  expect(result).toMatchObject({
    phase: 'succeeded',
    gates: [{ stepId: 'gate', mode: 'emergency', retroactive: 'approved' }],
  });
  // A run that is not an emergency keeps its result as it was.
  const normal = await run(urgent(), {}, async (h) => {
    await waitForStatus(h, (x) => x.phase === 'waiting_approval');
    await vote(h, 'bob');
    await vote(h, 'carol');
  });
  expect(normal.result?.phase).toBe('succeeded');
  expect(normal.result).not.toHaveProperty('gates');
});

test("a schedule's run refuses the approval of the person it acts for, as it refuses its requester's", async () => {
  const yaml = `
id: routine
title: Routine
steps:
  - id: gate
    approval: { message: go? }
  - id: keep
    action: http:request:send
    with: { method: POST, url: "${target.url}/keep" }
`;
  const trigger = { source: 'schedule' as const, requestedBy: 'schedule:runbook-routine-daily', onBehalfOf: 'erin' };
  const { status } = await run(yaml, { trigger }, async (h) => {
    await waitForStatus(h, (x) => x.phase === 'waiting_approval');
    expect(await vote(h, 'erin')).toEqual({
      refused: 'erin cannot approve this run: schedule:runbook-routine-daily started it on their behalf',
    });
    expect(await vote(h, 'bob')).toMatchObject({ outcome: 'approved' });
  });
  expect(status).toMatchObject({ phase: 'succeeded', trigger });
  expect(status.decisions.map((d) => d.actor)).toEqual(['bob']);
});
