/** The interpreter against a real Temporal server, real activities and a loopback HTTP target. */
import { WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { RUNBOOK_WORKFLOW } from '../../src/shared/constants';
import { approvalDecisionSignal, decideApprovalUpdate, statusQuery } from '../../src/shared/messages';
import type { RunResult, RunStatus } from '../../src/shared/status';
import type { RunbookWorkflowInput } from '../../src/shared/workflow-types';
import { startReceiver, type Receiver } from '../support/http-receiver';
import { signed, signedDecision } from '../support/signing';
import { createTestWorker, libraryOf, runbookFromYaml } from '../support/runbook-worker';
import { connectTestEnv, waitForStatus } from '../support/temporal';

let env: TestWorkflowEnvironment;
let target: Receiver;

beforeAll(async () => {
  env = await connectTestEnv();
  target = await startReceiver();
  target.on('/health', () => ({ status: 200, body: { ok: true } }));
  target.on('/restart', () => ({ status: 202, body: { restarted: true } }));
  target.on('/flaky', (_r, n) => (n < 3 ? { status: 503, body: 'busy' } : { status: 200, body: { done: n } }));
  target.on('/gone', () => ({ status: 404, body: { error: 'no such service' } }));
  target.on('/warming', (_r, n) => (n < 3 ? { status: 503, body: 'warming' } : { status: 200, body: 'ready' }));
});

afterAll(async () => {
  await target?.close();
  await env?.teardown();
});

function yaml(url: string): string {
  return `
id: restart-service
title: Restart a service
service: \${{ params.service }}
severity: sev2
params:
  service: { type: string }
  force: { type: bool, default: false }
steps:
  - id: probe
    action: http:endpoint:check
    with: { url: "${url}/health" }
  - id: approve
    approval: { message: "Restart \${{ params.service }}?" }
    timeout: 10m
  - id: restart
    when: \${{ steps.probe.output.ok || params.force }}
    action: http:request:send
    with: { method: POST, url: "${url}/restart", body: { service: "\${{ params.service }}" } }
  - id: skipped-one
    when: \${{ params.force }}
    action: http:request:send
    with: { method: POST, url: "${url}/restart" }
  - id: both
    parallel:
      - id: a
        action: http:endpoint:check
        with: { url: "${url}/health" }
      - id: b
        action: http:request:send
        with: { url: "${url}/flaky" }
        retry: { maxAttempts: 5, initialInterval: 100ms }
  - id: ready
    verify:
      action: http:endpoint:check
      with: { url: "${url}/warming" }
      until: \${{ output.ok }}
      interval: 200ms
      within: 30s
`;
}

function waitForPhase(
  handle: { query: (q: typeof statusQuery) => Promise<RunStatus> },
  phase: RunStatus['phase'],
): Promise<RunStatus> {
  return waitForStatus(handle, (s) => s.phase === phase);
}

test('runs every step kind, waits for approval, records attempts and outputs', async () => {
  const rb = runbookFromYaml(yaml(target.url));
  const { worker, taskQueue, metrics } = await createTestWorker(env, { library: libraryOf(rb) });
  const input: RunbookWorkflowInput = {
    runbook: rb,
    params: { service: 'checkout', force: false },
    trigger: { source: 'api', requestedBy: 'alice' },
  };
  const result = await worker.runUntil(async () => {
    const handle = await env.client.workflow.start(RUNBOOK_WORKFLOW, {
      taskQueue,
      workflowId: `wf-${taskQueue}`,
      args: [signed(input, `wf-${taskQueue}`)],
      workflowExecutionTimeout: '2m',
    });
    const waiting = await waitForPhase(handle, 'waiting_approval');
    expect(waiting.pendingApprovals).toEqual([
      expect.objectContaining({ stepId: 'approve', message: 'Restart checkout?' }),
    ]);
    expect(waiting.steps.find((s) => s.id === 'probe')).toMatchObject({
      state: 'succeeded',
      attempts: 1,
      output: expect.objectContaining({ ok: true, status: 200 }),
    });
    // Nothing mutating happened before the approval.
    expect(target.received.filter((r) => r.path === '/restart')).toHaveLength(0);

    // A decision on a step that is not waiting is refused by the validator.
    const refused = await handle
      .executeUpdate(decideApprovalUpdate, {
        args: [await signedDecision(handle, { stepId: 'restart', decision: 'approve', actor: 'bob' })],
      })
      .catch((e: unknown) => e);
    expect(refused).toMatchObject({
      cause: { message: "step 'restart' is not waiting for approval (waiting: approve)" },
    });
    const answer = await handle.executeUpdate(decideApprovalUpdate, {
      args: [await signedDecision(handle, { stepId: 'approve', decision: 'approve', actor: 'bob', comment: 'go' })],
    });
    expect(answer).toEqual({ stepId: 'approve', accepted: true, outcome: 'approved' });
    const r: RunResult = await handle.result();
    const status = await handle.query(statusQuery);
    return { r, status };
  });

  expect(result.r.phase).toBe('succeeded');
  const byId = Object.fromEntries(result.status.steps.map((s) => [s.id, s]));
  expect(byId.approve).toMatchObject({ state: 'succeeded', note: 'approved by bob via api: go' });
  expect(byId.restart).toMatchObject({ state: 'succeeded', attempts: 1, mutating: true });
  expect(byId['skipped-one']).toMatchObject({ state: 'skipped', attempts: 0 });
  expect(byId.b).toMatchObject({ state: 'succeeded', attempts: 3 });
  expect(byId.ready).toMatchObject({ state: 'succeeded', attempts: 3 });
  expect(result.status.decisions).toEqual([
    expect.objectContaining({ stepId: 'approve', decision: 'approve', actor: 'bob', via: 'api', comment: 'go' }),
  ]);

  // The mutating request carried the rendered body and an idempotency key from run and step.
  const restart = target.received.filter((r) => r.path === '/restart');
  expect(restart).toHaveLength(1);
  expect(JSON.parse(restart[0]!.body)).toEqual({ service: 'checkout' });
  expect(restart[0]!.headers['idempotency-key']).toBe(`wf-${taskQueue}/restart`);

  const text = await metrics.registry.metrics();
  expect(text).toMatch(/runbook_runs_finished_total\{runbook="restart-service",trigger="api",outcome="succeeded"\} 1/);
  expect(text).toMatch(/runbook_step_duration_seconds_count\{action="http:request:send",outcome="failure"\} 2/);
});

test('a rejection ends the run as rejected before any mutating step', async () => {
  const rb = runbookFromYaml(yaml(target.url));
  const before = target.received.filter((r) => r.path === '/restart').length;
  const { worker, taskQueue } = await createTestWorker(env);
  await worker.runUntil(async () => {
    const handle = await env.client.workflow.start(RUNBOOK_WORKFLOW, {
      taskQueue,
      workflowId: `wf-${taskQueue}`,
      args: [signed({ runbook: rb, params: { service: 'api' } }, `wf-${taskQueue}`)],
      workflowExecutionTimeout: '1m',
    });
    await waitForPhase(handle, 'waiting_approval');
    await handle.executeUpdate(decideApprovalUpdate, {
      args: [
        await signedDecision(handle, { stepId: 'approve', decision: 'reject', actor: 'carol', comment: 'not now' }),
      ],
    });
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause).toMatchObject({
      type: 'ApprovalRejected',
      message: expect.stringContaining('rejected by carol'),
    });
    const s = await handle.query(statusQuery);
    expect(s.phase).toBe('rejected');
    expect(s.steps.find((x) => x.id === 'restart')?.state).toBe('pending');
  });
  expect(target.received.filter((r) => r.path === '/restart').length).toBe(before);
});

test('a decision signal (the Web UI form, a raw client) decides nothing: it is noted as unverified', async () => {
  const rb = runbookFromYaml(`
id: gate
title: Gate
steps:
  - id: approve
    approval: { message: go? }
`);
  const { worker, taskQueue } = await createTestWorker(env);
  await worker.runUntil(async () => {
    const handle = await env.client.workflow.start(RUNBOOK_WORKFLOW, {
      taskQueue,
      workflowId: `wf-${taskQueue}`,
      args: [signed({ runbook: rb }, `wf-${taskQueue}`)],
      workflowExecutionTimeout: '1m',
    });
    await waitForPhase(handle, 'waiting_approval');
    await handle.signal(approvalDecisionSignal, { stepId: 'nope', decision: 'approve', actor: 'eve' });
    await handle.signal(approvalDecisionSignal, { stepId: 'approve', decision: 'approve', actor: 'x'.repeat(100_000) });
    await handle.signal(approvalDecisionSignal, { stepId: 'approve', decision: 'approve', actor: 'dana' });
    const noted = await waitForStatus(handle, (x) => (x.unverified ?? []).length === 3);
    expect(noted.phase).toBe('waiting_approval');
    expect(noted.decisions).toEqual([]);
    expect(noted.unverified?.[2]).toMatchObject({
      message: 'approvalDecision',
      claimed: '{"stepId":"approve","decision":"approve","actor":"dana"}',
      reason: expect.stringMatching(/^decisions come signed through the API/),
    });
    // Bounded: a huge claim is cut short.
    expect(noted.unverified?.[1]?.claimed.length).toBeLessThanOrEqual(121);
    await handle.executeUpdate(decideApprovalUpdate, {
      args: [await signedDecision(handle, { stepId: 'approve', decision: 'approve', actor: 'dana', channel: 'cli' })],
    });
    expect((await handle.result()).phase).toBe('succeeded');
    const s = await handle.query(statusQuery);
    expect(s.decisions).toEqual([expect.objectContaining({ stepId: 'approve', actor: 'dana', via: 'cli' })]);
  });
});

test('dry run performs read-only steps and records what mutating steps would do', async () => {
  const rb = runbookFromYaml(yaml(target.url));
  const before = target.received.filter((r) => r.path === '/restart').length;
  const { worker, taskQueue } = await createTestWorker(env);
  const status = await worker.runUntil(async () => {
    const handle = await env.client.workflow.start(RUNBOOK_WORKFLOW, {
      taskQueue,
      workflowId: `wf-${taskQueue}`,
      args: [signed({ runbook: rb, params: { service: 'api' }, dryRun: true }, `wf-${taskQueue}`)],
      workflowExecutionTimeout: '1m',
    });
    await handle.result();
    return handle.query(statusQuery);
  });
  expect(target.received.filter((r) => r.path === '/restart').length).toBe(before);
  const restart = status.steps.find((s) => s.id === 'restart');
  expect(restart?.state).toBe('skipped');
  expect(restart?.note).toBe(
    `dry run: would call http:request:send with {"method":"POST","url":"${target.url}/restart","body":{"service":"api"}}`,
  );
  expect(status.steps.find((s) => s.id === 'approve')?.note).toBe('dry run: would wait for approval: Restart api?');
  expect(status.steps.find((s) => s.id === 'probe')?.state).toBe('succeeded');
});

test('a permanent failure fails at once with its type; onFailure continue goes on', async () => {
  const rb = runbookFromYaml(`
id: failing
title: Failing
steps:
  - id: tolerated
    action: http:request:send
    with: { url: "${target.url}/gone" }
    onFailure: continue
  - id: fatal
    action: http:request:send
    with: { method: DELETE, url: "${target.url}/gone" }
    retry: { maxAttempts: 5, initialInterval: 100ms }
  - id: never
    action: http:endpoint:check
    with: { url: "${target.url}/health" }
`);
  const { worker, taskQueue } = await createTestWorker(env);
  await worker.runUntil(async () => {
    const handle = await env.client.workflow.start(RUNBOOK_WORKFLOW, {
      taskQueue,
      workflowId: `wf-${taskQueue}`,
      args: [signed({ runbook: rb }, `wf-${taskQueue}`)],
      workflowExecutionTimeout: '1m',
    });
    const err = (await handle.result().catch((e: unknown) => e)) as WorkflowFailedError;
    expect(err.cause).toMatchObject({ type: 'StepFailed', message: expect.stringContaining("step 'fatal' failed") });
    const s = await handle.query(statusQuery);
    expect(s.phase).toBe('failed');
    const byId = Object.fromEntries(s.steps.map((x) => [x.id, x]));
    expect(byId.tolerated).toMatchObject({ state: 'failed', attempts: 1, error: { type: 'HttpClientError' } });
    // 404 is not retried although five attempts were allowed.
    expect(byId.fatal).toMatchObject({
      state: 'failed',
      attempts: 1,
      error: { type: 'HttpClientError', message: expect.stringContaining('answered 404') },
    });
    expect(byId.never?.state).toBe('pending');
    expect(s.error).toMatchObject({ stepId: 'fatal', type: 'HttpClientError' });
  });
});

test('a run started with only a runbook id (as from the Web UI) loads and validates it once', async () => {
  const rb = runbookFromYaml(`
id: by-id
title: By id
params:
  n: { type: int }
steps:
  - id: probe
    action: http:endpoint:check
    with: { url: "${target.url}/health" }
`);
  const { worker, taskQueue } = await createTestWorker(env, { library: libraryOf(rb) });
  await worker.runUntil(async () => {
    const ok = await env.client.workflow.execute(RUNBOOK_WORKFLOW, {
      taskQueue,
      workflowId: `ok-${taskQueue}`,
      args: [{ runbookId: 'by-id', params: { n: '3' } }],
      workflowExecutionTimeout: '1m',
    });
    expect(ok.phase).toBe('succeeded');
    const bad = await env.client.workflow
      .execute(RUNBOOK_WORKFLOW, {
        taskQueue,
        workflowId: `bad-${taskQueue}`,
        args: [{ runbookId: 'by-id', params: { n: 'three' } }],
        workflowExecutionTimeout: '1m',
      })
      .catch((e: unknown) => e as WorkflowFailedError);
    expect((bad as WorkflowFailedError).cause?.cause).toMatchObject({
      type: 'InvalidInput',
      message: 'params.n: expected an integer',
    });
  });
});
