/**
 * A run frozen for days stays well under Temporal's history limit (it used to ask the kill
 * switch every 10 s: 51,200 events in ~13 hours, then terminated) and goes on as soon as the
 * freeze is lifted, woken by the control workflow's signal. On the time-skipping test server, so
 * three days pass in seconds.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { RUNBOOK_WORKFLOW } from '../../src/shared/constants';
import { CONTROL_WORKFLOW, controlWorkflowId, freezeUpdate, unfreezeUpdate } from '../../src/shared/coordination';
import { statusQuery } from '../../src/shared/messages';
import type { RunResult } from '../../src/shared/status';
import { startReceiver, type Receiver } from '../support/http-receiver';
import { createTestWorker, readThenChange, type TestWorker } from '../support/runbook-worker';
import { waitForStatus } from '../support/temporal';
import { createTimeSkippingEnv } from '../support/time-skipping';
import { signed } from '../support/signing';

let env: TestWorkflowEnvironment;
let target: Receiver;
let w: TestWorker;

beforeAll(async () => {
  env = await createTimeSkippingEnv();
  target = await startReceiver();
  target.on('/read', () => ({ status: 200, body: { ok: true } }));
  target.on('/change', () => ({ status: 200, body: { ok: true } }));
  w = await createTestWorker(env);
});
afterAll(async () => {
  await target?.close();
  await env?.teardown();
});

const DAY_MS = 86_400_000;

test('frozen for three days: a short history, and it resumes at once on unfreeze', async () => {
  const def = readThenChange('frozen-for-days', target.url, '{ service: "${{ params.service }}" }');
  await w.worker.runUntil(async () => {
    const control = await env.client.workflow.start(CONTROL_WORKFLOW, {
      workflowId: controlWorkflowId(w.taskQueue),
      taskQueue: w.taskQueue,
      args: [{}],
    });
    const freeze = await control.executeUpdate(freezeUpdate, {
      args: [{ scope: { kind: 'service', value: 'checkout' }, by: 'admin', reason: 'incident 42' }],
    });
    const run = await env.client.workflow.start(RUNBOOK_WORKFLOW, {
      taskQueue: w.taskQueue,
      workflowId: `frozen-days-${w.taskQueue}`,
      args: [signed({ runbook: def, params: { service: 'checkout' } }, `frozen-days-${w.taskQueue}`)],
    });
    await waitForStatus(run, (s) => s.phase === 'frozen');

    await env.sleep(3 * DAY_MS);
    const s = await run.query(statusQuery);
    expect(s.phase).toBe('frozen');
    expect(s.steps.find((x) => x.id === 'change')?.state).toBe('waiting');
    expect(target.received.filter((r) => r.path === '/change')).toHaveLength(0);
    const { events } = await run.fetchHistory();
    // Asking again on a backoff that doubles to an hour: about 80 checks in three days.
    expect(events?.length ?? 0).toBeLessThan(1000);

    await control.executeUpdate(unfreezeUpdate, { args: [{ freezeId: freeze.id, by: 'admin', reason: 'over' }] });
    const unfrozenAt = await env.currentTimeMs();
    const r = (await run.result()) as RunResult;
    expect(r.phase).toBe('succeeded');
    // Woken by the signal, not by its next hourly check: the run completed within a simulated
    // minute of the unfreeze (the test server's clock, read from the history, not the machine's).
    const completed = (await run.fetchHistory()).events?.at(-1)?.eventTime;
    const completedMs = Number(completed?.seconds ?? 0) * 1000;
    expect(completedMs).toBeGreaterThanOrEqual(unfrozenAt - 1000);
    expect(completedMs - unfrozenAt).toBeLessThan(60_000);
    expect(target.received.filter((x) => x.path === '/change')).toHaveLength(1);
  });
});
