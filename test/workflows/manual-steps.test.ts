/**
 * `manual` steps on the time-skipping server (hours pass in seconds): the run waits for its
 * person, reminds them at half the time, at the deadline and twice after it (and no more), takes
 * done or not done only from the assignee (a member of its group, or anyone where the step
 * says so), signed by the API; an unsigned signal is only noted; not done fails the step, or is
 * recorded and passed with `onNotDone: continue`.
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { signStart, signStepDecision, signTaskDecision } from '../../src/runs/sign';
import { RUNBOOK_WORKFLOW } from '../../src/shared/constants';
import { decideStepUpdate, decideTaskUpdate, statusQuery, taskDecisionSignal } from '../../src/shared/messages';
import type { RunResult, RunStatus, StepStatus } from '../../src/shared/status';
import type { TaskDecisionClaims } from '../../src/shared/task-claims';
import { startReceiver, type Receiver } from '../support/http-receiver';
import { createTestWorker, runbookFromYaml, type TestWorker } from '../support/runbook-worker';
import { TEST_KEYS } from '../support/signing';
import { waitForStatus } from '../support/temporal';
import { createTimeSkippingEnv } from '../support/time-skipping';

let env: TestWorkflowEnvironment;
let target: Receiver;

/** A worker of its own per test (a worker runs once: runUntil shuts it down). */
async function withWorker(fn: (w: TestWorker) => Promise<void>): Promise<void> {
  const w = await createTestWorker(env, {
    webhookTargets: { default: { url: `${target.url}/notify` }, oncall: { url: `${target.url}/oncall` } },
  });
  await w.worker.runUntil(() => fn(w));
}

beforeAll(async () => {
  env = await createTimeSkippingEnv();
  target = await startReceiver();
  for (const p of ['/notify', '/oncall', '/after']) target.on(p, () => ({ status: 200, body: { ok: true } }));
});
afterAll(async () => {
  await target?.close();
  await env?.teardown();
});

const HOUR = 3_600_000;

const runbook = (manual: string): string => `
id: manual-task
title: Manual task
params:
  owner: { type: string, default: bob }
steps:
  ${manual.trim().replace(/\n/g, '\n  ')}
  - id: after
    action: http:request:send
    with: { url: "${target.url}/after" }
`;

type Claims = Omit<TaskDecisionClaims, 'purpose' | 'expiresAt' | 'workflowId' | 'channel'>;

/**
 * A decision as the API signs it, at the server's time (skipped ahead: the envelope's expiry is
 * checked against workflow time); a refusal comes back as its reason.
 */
async function decide(h: WorkflowHandle, d: Claims): Promise<unknown> {
  const signed = signTaskDecision(
    TEST_KEYS,
    { ...d, workflowId: h.workflowId, channel: 'api' },
    await env.currentTimeMs(),
  );
  return h
    .executeUpdate(decideTaskUpdate, { args: [signed] })
    .catch((e: { cause?: { message?: string } }) => ({ refused: e.cause?.message }));
}

let n = 0;
/** A run as the API starts it, signed at the server's time (earlier tests skipped it ahead). */
async function start(w: TestWorker, text: string, o: { dryRun?: boolean } = {}): Promise<WorkflowHandle> {
  const workflowId = `manual-${++n}-${w.taskQueue}`;
  const runbook = runbookFromYaml(text);
  const intent = {
    workflowType: RUNBOOK_WORKFLOW,
    runbookId: runbook.id,
    definition: runbook,
    params: { owner: 'bob' },
    trigger: { source: 'api' as const, requestedBy: 'alice' },
    approverGroups: {},
    emergency: false,
    dryRun: o.dryRun ?? false,
  };
  return env.client.workflow.start(RUNBOOK_WORKFLOW, {
    taskQueue: w.taskQueue,
    workflowId,
    args: [
      {
        runbook,
        params: intent.params,
        signed: signStart(TEST_KEYS, intent, { workflowId }, await env.currentTimeMs()),
      },
    ],
  });
}

const step = (s: RunStatus, id: string): StepStatus => s.steps.find((x) => x.id === id) as StepStatus;
const waiting = (h: WorkflowHandle, id: string): Promise<RunStatus> =>
  waitForStatus(h, (s) => s.steps.some((x) => x.id === id && x.state === 'waiting' && x.task?.state === 'open'));
const reminded = (h: WorkflowHandle, id: string, count: number): Promise<RunStatus> =>
  waitForStatus(h, (s) => s.steps.some((x) => x.id === id && x.task?.reminders === count));
const outcome = (h: WorkflowHandle): Promise<RunResult | { failed: string }> =>
  h.result().then(
    (r: RunResult) => r,
    (e: { cause?: { message?: string } }) => ({ failed: e.cause?.message ?? '' }),
  );

/** When each reminder was scheduled, in hours after the step began (from the run's history). */
async function reminderHours(h: WorkflowHandle, startedAt: string): Promise<number[]> {
  const { events } = await h.fetchHistory();
  return (events ?? [])
    .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'notify:webhook:post')
    .map((e) => {
      const ms = Number(e.eventTime?.seconds ?? 0) * 1000 + Math.floor((e.eventTime?.nanos ?? 0) / 1e6);
      return Math.round(((ms - Date.parse(startedAt)) / HOUR) * 10) / 10;
    });
}

test('waits for its person, reminds at half the time, at the deadline and twice after, and goes on when done', async () => {
  const from = target.received.length;
  const text = runbook(`
- id: document
  manual:
    title: "Document the incident (\${{ params.owner }})"
    instructions: In the postmortem doc
    assignee: "\${{ params.owner }}"
    deadline: 4h
`);
  await withWorker(async (w) => {
    const h = await start(w, text);
    const s = await waiting(h, 'document');
    const startedAt = step(s, 'document').startedAt as string;
    expect(s.phase).toBe('running');
    expect(step(s, 'document')).toMatchObject({
      note: expect.stringMatching(/^waiting for bob: Document the incident \(bob\) \(due /),
      task: {
        title: 'Document the incident (bob)',
        instructions: 'In the postmortem doc',
        assignee: 'bob',
        state: 'open',
        reminders: 0,
        dueAt: new Date(Date.parse(startedAt) + 4 * HOUR).toISOString(),
      },
    });

    // Someone else, an unknown task, not done without a note: refused, and nothing changes.
    expect(await decide(h, { stepId: 'document', actor: 'carol', done: true })).toEqual({
      refused: "task 'document' is bob's: carol may not settle it",
    });
    expect(await decide(h, { stepId: 'documnet', actor: 'bob', done: true })).toEqual({
      refused: "no task 'documnet' (did you mean 'document'?)",
    });
    expect(await decide(h, { stepId: 'document', actor: 'bob', done: false })).toEqual({
      refused: 'a task not done needs a note saying why',
    });
    // The Web UI's signal form names whoever it likes: noted, never applied.
    await h.signal(taskDecisionSignal, { stepId: 'document', actor: 'bob', done: true });
    const noted = await waitForStatus(h, (x) => (x.unverified ?? []).length === 1);
    expect(noted.unverified?.[0]).toMatchObject({ message: 'taskDecision' });
    expect(step(noted, 'document')).toMatchObject({ state: 'waiting', task: { state: 'open' } });

    await env.sleep(2 * HOUR + 60_000);
    await reminded(h, 'document', 1);
    await env.sleep(2 * HOUR);
    await reminded(h, 'document', 2);
    await env.sleep(8 * HOUR);
    await reminded(h, 'document', 4);
    // Bounded: a day later, still four.
    await env.sleep(24 * HOUR);
    expect(step(await h.query(statusQuery), 'document').task?.reminders).toBe(4);
    expect(await reminderHours(h, startedAt)).toEqual([2, 4, 8, 12]);
    const reminders = target.received
      .slice(from)
      .filter((r) => r.path === '/notify')
      .map((r) => (JSON.parse(r.body) as { text?: string; message?: string }).text ?? r.body);
    expect(reminders).toHaveLength(4);
    expect(reminders[0]).toContain('Reminder 1: bob, "Document the incident (bob)" is due');
    expect(reminders[1]).toContain('Overdue (reminder 2): bob');
    expect(reminders[3]).toContain(`runbook task ${h.workflowId} document done|not-done`);

    expect(await decide(h, { stepId: 'document', actor: 'bob', done: true, note: 'in the doc' })).toEqual({
      stepId: 'document',
      accepted: true,
      state: 'done',
    });
    expect(await outcome(h)).toMatchObject({ phase: 'succeeded' });
    const end = await h.query(statusQuery);
    expect(step(end, 'document')).toMatchObject({
      state: 'succeeded',
      note: 'done, said bob via api: in the doc',
      output: { done: true, by: 'bob', via: 'api', note: 'in the doc', reminders: 4 },
      task: { state: 'done', by: 'bob', via: 'api', note: 'in the doc' },
    });
    expect(step(end, 'after').state).toBe('succeeded');
  });
});

test('not done fails the step and the run; the steps after it do not run', async () => {
  const from = target.received.length;
  const text = runbook(`
- id: phone
  manual: { title: Phone the security team, assignee: bob, deadline: 1h, remind: 20m, notify: oncall }
`);
  await withWorker(async (w) => {
    const h = await start(w, text);
    await waiting(h, 'phone');
    await env.sleep(21 * 60_000);
    await reminded(h, 'phone', 1);
    expect(await decide(h, { stepId: 'phone', actor: 'bob', done: false, note: 'no answer on the line' })).toEqual({
      stepId: 'phone',
      accepted: true,
      state: 'not-done',
    });
    expect(await outcome(h)).toEqual({
      failed: "step 'phone' failed: not done, said bob via api: no answer on the line",
    });
    const end = await h.query(statusQuery);
    expect(step(end, 'phone')).toMatchObject({
      state: 'failed',
      error: { message: 'not done, said bob via api: no answer on the line', type: 'StepFailed' },
      task: { state: 'not-done', by: 'bob', note: 'no answer on the line' },
    });
    expect(step(end, 'after').state).toBe('pending');
    const paths = target.received.slice(from).map((r) => r.path);
    // The reminder went to the step's own target, and nothing ran after it.
    expect(paths).toEqual(['/oncall']);
  });
});

test('a group assignee takes its members (as the API signs them); onNotDone: continue goes on; anyone: true takes anyone', async () => {
  const text = runbook(`
- id: review
  manual: { title: Review the change, assignee: group:security, deadline: 2h, onNotDone: continue }
- id: confirm
  manual: { title: Confirm, assignee: bob, deadline: 2h, anyone: true }
`);
  await withWorker(async (w) => {
    const h = await start(w, text);
    await waiting(h, 'review');
    expect(await decide(h, { stepId: 'confirm', actor: 'bob', done: true })).toEqual({
      refused: "manual step 'confirm' has not begun: nothing to settle yet",
    });
    expect(await decide(h, { stepId: 'review', actor: 'erin', done: true, groups: ['sre'] })).toEqual({
      refused: "task 'review' is group:security's: erin may not settle it",
    });
    expect(
      await decide(h, { stepId: 'review', actor: 'dana', done: false, note: 'reviewer away', groups: ['security'] }),
    ).toMatchObject({ accepted: true, state: 'not-done' });
    await waiting(h, 'confirm');
    expect(await decide(h, { stepId: 'confirm', actor: 'carol', done: true })).toMatchObject({ state: 'done' });
    expect(await outcome(h)).toMatchObject({ phase: 'succeeded' });
    const end = await h.query(statusQuery);
    expect(step(end, 'review')).toMatchObject({
      state: 'skipped',
      note: 'not done, said dana via api: reviewer away',
      output: { done: false, by: 'dana' },
    });
    expect(step(end, 'confirm')).toMatchObject({ state: 'succeeded', output: { done: true, by: 'carol' } });
    expect(step(end, 'after').state).toBe('succeeded');
  });
});

test('a dry run asks nobody: the step is skipped, saying whom it would ask', async () => {
  const text = runbook(`
- id: document
  manual: { title: Document it, assignee: "\${{ params.owner }}", deadline: 4h }
`);
  await withWorker(async (w) => {
    const h = await start(w, text, { dryRun: true });
    expect(await outcome(h)).toMatchObject({ phase: 'succeeded' });
    expect(step(await h.query(statusQuery), 'document')).toMatchObject({
      state: 'skipped',
      note: 'dry run: would ask bob to: Document it',
    });
  });
});

test('not done with onFailure: pause waits for an operator; retry asks the person again, afresh', async () => {
  const text = runbook(`
- id: restore
  manual: { title: Restore the backup by hand, assignee: bob, deadline: 1h }
  onFailure: pause
`);
  await withWorker(async (w) => {
    const h = await start(w, text);
    await waiting(h, 'restore');
    await env.sleep(31 * 60_000);
    await reminded(h, 'restore', 1);
    await decide(h, { stepId: 'restore', actor: 'bob', done: false, note: 'the backup is corrupt' });
    const paused = await waitForStatus(h, (s) => s.phase === 'paused');
    expect(paused.pendingStepDecisions).toEqual([
      expect.objectContaining({
        stepId: 'restore',
        error: { message: 'not done, said bob via api: the backup is corrupt', type: 'StepFailed' },
      }),
    ]);
    const retry = signStepDecision(
      TEST_KEYS,
      { workflowId: h.workflowId, stepId: 'restore', action: 'retry', actor: 'oncall', channel: 'api' },
      await env.currentTimeMs(),
    );
    await h.executeUpdate(decideStepUpdate, { args: [retry] });
    // Opened again: a new deadline, no reminders yet, the earlier answer gone.
    const again = await waitForStatus(h, (s) => s.steps.some((x) => x.id === 'restore' && x.task?.reminders === 0));
    expect(step(again, 'restore')).toMatchObject({ state: 'waiting', task: { state: 'open', reminders: 0 } });
    expect(step(again, 'restore').task).not.toHaveProperty('by');
    expect(await decide(h, { stepId: 'restore', actor: 'bob', done: true, note: 'from the older one' })).toMatchObject({
      state: 'done',
    });
    expect(await outcome(h)).toMatchObject({ phase: 'succeeded' });
    expect(step(await h.query(statusQuery), 'restore')).toMatchObject({
      state: 'succeeded',
      note: 'done, said bob via api: from the older one',
    });
  });
});
