/** Paused steps (retry, skip, abort) and rollback of completed mutations, against a real server. */
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { RUNBOOK_WORKFLOW, SA } from '../../src/shared/constants';
import { decideApprovalUpdate, decideStepUpdate, statusQuery, stepDecisionSignal } from '../../src/shared/messages';
import type { RunStatus, StepDecision } from '../../src/shared/status';
import { startReceiver, type Receiver } from '../support/http-receiver';
import { signed, signedDecision, signedStepDecision } from '../support/signing';
import { createTestWorker, runbookFromYaml } from '../support/runbook-worker';
import { connectTestEnv, waitForStatus } from '../support/temporal';

let env: TestWorkflowEnvironment;
let target: Receiver;
let healthy = false;

beforeAll(async () => {
  env = await connectTestEnv();
  target = await startReceiver();
  for (const p of ['/scale', '/unscale', '/drain', '/undrain', '/notify'])
    target.on(p, () => ({ status: 200, body: { ok: true } }));
  target.on('/deploy', () => (healthy ? { status: 200, body: { ok: true } } : { status: 503, body: 'down' }));
});
afterAll(async () => {
  await target?.close();
  await env?.teardown();
});

const yaml = (onFailure: string) => `
id: change
title: Change
steps:
  - id: scale
    action: http:request:send
    with: { method: POST, url: "${target.url}/scale", body: { replicas: 5 } }
    undo:
      action: http:request:send
      with: { method: POST, url: "${target.url}/unscale", body: { was: "\${{ steps.scale.output.status }}" } }
  - id: drain
    action: http:request:send
    with: { method: POST, url: "${target.url}/drain" }
    undo: { action: http:request:send, with: { method: POST, url: "${target.url}/undrain" } }
  - id: deploy
    action: http:request:send
    with: { method: POST, url: "${target.url}/deploy" }
    retry: { maxAttempts: 2, initialInterval: 100ms }
    ${onFailure}
`;

function decide(h: WorkflowHandle, d: Omit<StepDecision, 'actor'> & { actor?: string }): Promise<unknown> {
  return h
    .executeUpdate(decideStepUpdate, { args: [signedStepDecision(h.workflowId, { actor: 'oncall', ...d })] })
    .catch((e: { cause?: { message?: string } }) => ({ refused: e.cause?.message }));
}

async function run(
  text: string,
  act: (h: WorkflowHandle) => Promise<void>,
): Promise<{ status: RunStatus; error?: unknown; paths: string[] }> {
  const from = target.received.length;
  const { worker, taskQueue } = await createTestWorker(env, {
    webhookTargets: { oncall: { url: `${target.url}/notify` } },
  });
  return worker.runUntil(async () => {
    const handle = await env.client.workflow.start(RUNBOOK_WORKFLOW, {
      taskQueue,
      workflowId: `wf-${taskQueue}`,
      args: [
        signed({ runbook: runbookFromYaml(text), trigger: { source: 'api', requestedBy: 'alice' } }, `wf-${taskQueue}`),
      ],
      workflowExecutionTimeout: '2m',
    });
    await act(handle);
    const error = await handle.result().then(
      () => undefined,
      (e: unknown) => e,
    );
    return { status: await handle.query(statusQuery), error, paths: target.received.slice(from).map((r) => r.path) };
  });
}

test('a paused step waits for a decision, and retry runs it again', async () => {
  healthy = false;
  const { status, paths } = await run(yaml('onFailure: pause'), async (h) => {
    const s = await waitForStatus(h, (x) => x.phase === 'paused');
    expect(s.pendingStepDecisions).toEqual([
      expect.objectContaining({ stepId: 'deploy', error: expect.objectContaining({ type: 'HttpServerError' }) }),
    ]);
    expect(s.steps.find((x) => x.id === 'deploy')).toMatchObject({ state: 'waiting', attempts: 2 });
    expect(await decide(h, { stepId: 'scale', action: 'retry' })).toEqual({
      refused: "step 'scale' is not paused (paused: deploy)",
    });
    expect(await decide(h, { stepId: 'deploy', action: 'skip' })).toEqual({
      refused: 'skipping a step needs a reason',
    });
    healthy = true;
    expect(await decide(h, { stepId: 'deploy', action: 'retry' })).toEqual({ stepId: 'deploy', accepted: true });
  });
  expect(status.phase).toBe('succeeded');
  expect(status.steps.find((x) => x.id === 'deploy')).toMatchObject({ state: 'succeeded', attempts: 3 });
  expect(status.stepDecisions).toEqual([
    expect.objectContaining({ stepId: 'deploy', action: 'retry', actor: 'oncall', via: 'api' }),
  ]);
  expect(paths.filter((p) => p === '/unscale' || p === '/undrain')).toEqual([]);
});

test('skip needs a reason and goes on; a skip signal (the Web UI form) is only noted', async () => {
  healthy = false;
  const { status } = await run(yaml('onFailure: pause'), async (h) => {
    await waitForStatus(h, (x) => x.phase === 'paused');
    await h.signal(stepDecisionSignal, { stepId: 'deploy', action: 'skip', actor: 'dana', reason: 'by hand' });
    expect((await waitForStatus(h, (x) => (x.unverified ?? []).length === 1)).phase).toBe('paused');
    expect(await decide(h, { stepId: 'deploy', action: 'skip', actor: 'dana' })).toEqual({
      refused: 'skipping a step needs a reason',
    });
    await decide(h, { stepId: 'deploy', action: 'skip', actor: 'dana', reason: 'deployed by hand' });
  });
  expect(status.phase).toBe('succeeded');
  expect(status.steps.find((x) => x.id === 'deploy')).toMatchObject({
    state: 'skipped',
    note: 'skipped by dana: deployed by hand',
  });
  expect(status.stepDecisions).toHaveLength(1);
});

test('abort undoes the completed steps in reverse order and records each undo', async () => {
  healthy = false;
  const { status, error, paths } = await run(yaml('onFailure: pause'), async (h) => {
    await waitForStatus(h, (x) => x.phase === 'paused');
    await decide(h, { stepId: 'deploy', action: 'abort', reason: 'too risky' });
  });
  expect(error).toMatchObject({
    cause: { type: 'Aborted', message: "step 'deploy' failed and was aborted by oncall: too risky" },
  });
  expect(status.phase).toBe('failed');
  expect(paths.filter((p) => p !== '/deploy')).toEqual(['/scale', '/drain', '/undrain', '/unscale']);
  const unscale = target.received.filter((r) => r.path === '/unscale').at(-1)!;
  expect(JSON.parse(unscale.body)).toEqual({ was: 200 });
  expect(status.steps.find((x) => x.id === 'scale')?.undo).toMatchObject({
    action: 'http:request:send',
    state: 'succeeded',
  });
  expect(status.steps.find((x) => x.id === 'drain')?.undo).toMatchObject({ state: 'succeeded' });
  expect(status.steps.find((x) => x.id === 'deploy')?.undo).toBeUndefined();
});

test('a failing step rolls back at once without pause; a pause deadline escalates, then aborts', async () => {
  healthy = false;
  const failed = await run(yaml(''), async () => undefined);
  expect(failed.status.phase).toBe('failed');
  expect(failed.paths.filter((p) => p !== '/deploy')).toEqual(['/scale', '/drain', '/undrain', '/unscale']);

  const timedOut = await run(
    yaml('onFailure: pause\n    pause: { timeout: 1s, escalateTo: oncall }'),
    async () => undefined,
  );
  expect(timedOut.status.phase).toBe('failed');
  expect(timedOut.status.error).toMatchObject({ type: 'Aborted', message: 'no decision within 1s' });
  expect(timedOut.paths.filter((p) => p === '/notify')).toHaveLength(1);
  expect(timedOut.paths.slice(-2)).toEqual(['/undrain', '/unscale']);
});

test('cancelling a run waiting for approval undoes what it changed', async () => {
  const text = `
id: cancel-me
title: Cancel me
steps:
  - id: scale
    action: http:request:send
    with: { method: POST, url: "${target.url}/scale" }
    undo: { action: http:request:send, with: { method: POST, url: "${target.url}/unscale" } }
  - id: gate
    approval: { message: more? }
`;
  const { status, paths } = await run(text, async (h) => {
    await waitForStatus(h, (x) => x.phase === 'waiting_approval');
    await h.cancel();
  });
  expect(status.phase).toBe('cancelled');
  expect(paths).toEqual(['/scale', '/unscale']);
  expect(status.steps.find((x) => x.id === 'scale')?.undo?.state).toBe('succeeded');
});

test('a paused branch shows paused while the other branch passes its approval', async () => {
  healthy = false;
  const text = `
id: parallel-pause
title: Parallel pause
steps:
  - id: both
    parallel:
      - id: deploy
        action: http:request:send
        with: { method: POST, url: "${target.url}/deploy" }
        retry: { maxAttempts: 1 }
        onFailure: pause
      - id: gate
        approval: { message: go? }
`;
  const { status } = await run(text, async (h) => {
    await waitForStatus(h, (s) => s.pendingStepDecisions.length === 1 && s.pendingApprovals.length === 1);
    await h.executeUpdate(decideApprovalUpdate, {
      args: [await signedDecision(h, { stepId: 'gate', decision: 'approve', actor: 'bob' })],
    });
    const s = await waitForStatus(h, (x) => x.steps.find((st) => st.id === 'gate')?.state === 'succeeded');
    // The approval's end must not hide the pause still in force (it used to show running).
    expect(s.phase).toBe('paused');
    // And so does the Phase search attribute the Web UI filters on.
    expect((await h.describe()).typedSearchAttributes.get(SA.phase)).toBe('paused');
    healthy = true;
    await decide(h, { stepId: 'deploy', action: 'retry' });
  });
  expect(status.phase).toBe('succeeded');
});
