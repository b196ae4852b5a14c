/**
 * A `manual` step on the real dev server (its update validators, as production runs them; the
 * reminder times are proved on the time-skipping server in manual-steps.test.ts): the run waits,
 * someone else is refused with the reason, an unsigned signal is noted and not applied, the
 * assignee's done with a note lets it go on; and its history replays.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { workerSinks } from '../../src/worker/events';
import { createWorkerMetrics } from '../../src/worker/metrics';
import { withSigningKeys } from '../../src/worker/signing-bundle';
import { signTaskDecision } from '../../src/runs/sign';
import { RUNBOOK_WORKFLOW } from '../../src/shared/constants';
import { decideTaskUpdate, statusQuery, taskDecisionSignal } from '../../src/shared/messages';
import type { RunResult } from '../../src/shared/status';
import { startReceiver, type Receiver } from '../support/http-receiver';
import { createTestWorker, runbookFromYaml } from '../support/runbook-worker';
import { signed, TEST_KEYS } from '../support/signing';
import { connectTestEnv, waitForStatus, workflowBundle } from '../support/temporal';

let env: TestWorkflowEnvironment;
let target: Receiver;

beforeAll(async () => {
  env = await connectTestEnv();
  target = await startReceiver();
  target.on('/after', () => ({ status: 200, body: { ok: true } }));
});
afterAll(async () => {
  await target?.close();
  await env?.teardown();
});

test('waits for the assignee; refuses others; notes an unsigned signal; done goes on', async () => {
  const { worker, taskQueue } = await createTestWorker(env);
  const workflowId = `manual-real-${taskQueue}`;
  const runbook = runbookFromYaml(`
id: manual-real
title: Manual, real server
steps:
  - id: notify-security
    manual: { title: Phone the security team, assignee: bob, deadline: 1h }
  - id: after
    action: http:request:send
    with: { url: "${target.url}/after" }
`);
  await worker.runUntil(async () => {
    const h = await env.client.workflow.start(RUNBOOK_WORKFLOW, {
      taskQueue,
      workflowId,
      args: [signed({ runbook, trigger: { source: 'api', requestedBy: 'alice' } }, workflowId)],
      workflowExecutionTimeout: '2m',
    });
    const decide = (actor: string, note?: string) =>
      h
        .executeUpdate(decideTaskUpdate, {
          args: [
            signTaskDecision(TEST_KEYS, {
              workflowId,
              stepId: 'notify-security',
              actor,
              done: true,
              ...(note ? { note } : {}),
              channel: 'cli',
            }),
          ],
        })
        .catch((e: { cause?: { message?: string } }) => ({ refused: e.cause?.message }));
    await waitForStatus(h, (s) => s.steps[0]?.task?.state === 'open');
    expect(await decide('carol')).toEqual({ refused: "task 'notify-security' is bob's: carol may not settle it" });
    await h.signal(taskDecisionSignal, { stepId: 'notify-security', actor: 'bob', done: true });
    const noted = await waitForStatus(h, (s) => (s.unverified ?? []).length === 1);
    expect(noted.steps[0]).toMatchObject({ state: 'waiting', task: { state: 'open' } });
    expect(await decide('bob', 'they will call back')).toEqual({
      stepId: 'notify-security',
      accepted: true,
      state: 'done',
    });
    expect(((await h.result()) as RunResult).phase).toBe('succeeded');
    const end = await h.query(statusQuery);
    expect(end.steps.map((s) => [s.id, s.state, s.note])).toEqual([
      ['notify-security', 'succeeded', 'done, said bob via cli: they will call back'],
      ['after', 'succeeded', undefined],
    ]);
    // Only the accepted decision is in history: refused updates never reach it.
    const { events } = await h.fetchHistory();
    const accepted = (events ?? []).filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes);
    expect(accepted).toHaveLength(1);
    // The handlers installed at the step (not at the start) replay: the history is deterministic.
    await Worker.runReplayHistory(
      {
        workflowBundle: { code: withSigningKeys((await workflowBundle()).code, TEST_KEYS) },
        sinks: workerSinks(createWorkerMetrics()),
      },
      await h.fetchHistory(),
      workflowId,
    );
  });
});
