/**
 * Operational events as the worker emits them: a real worker on the shared Temporal server, a
 * real redis-server and a webhook target on loopback. A SUBSCRIBE client sees the run's
 * `run_started`, `alert_sent` (channel webhook) and `run_finished`, in the seed's envelope, and an
 * approval gate's `approval_requested` and `approval_decided`.
 */
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { WithStartWorkflowOperation, type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { readEventsConfig } from '../../src/config/events';
import { decodeEvent, OPERATIONAL_EVENTS_CHANNEL, type OperationalEvent } from '../../src/events/contract';
import { openEventPublisher } from '../../src/events/open';
import { RUNBOOK_WORKFLOW } from '../../src/shared/constants';
import { decideApprovalUpdate, decideStepUpdate } from '../../src/shared/messages';
import { CONTROL_WORKFLOW, controlWorkflowId, freezeUpdate, unfreezeUpdate } from '../../src/shared/coordination';
import type { RunbookWorkflowInput } from '../../src/shared/workflow-types';
import { startReceiver, type Receiver } from '../support/http-receiver';
import { startRedis, type RedisServer } from '../support/redis';
import { createTestWorker, runbookFromYaml } from '../support/runbook-worker';
import { signed, signedDecision, signedStepDecision } from '../support/signing';
import { connectTestEnv, waitForStatus } from '../support/temporal';
import { waitFor } from '../support/wait';

let env: TestWorkflowEnvironment;
let redis: RedisServer;
let target: Receiver;
let subscriber: Redis;

beforeAll(async () => {
  [env, redis, target] = await Promise.all([connectTestEnv(), startRedis(), startReceiver()]);
  target.on('/hook', () => ({ status: 200, body: 'ok' }));
  subscriber = new Redis(redis.url);
});
afterAll(async () => {
  subscriber?.disconnect();
  await target?.close();
  await redis?.dispose();
  await env?.teardown();
});

/** Runs `yaml` on a worker publishing to the test's Redis; answers every event seen for the run. */
async function runAndCollect(
  yaml: string,
  act: (h: WorkflowHandle) => Promise<void> = () => Promise.resolve(),
  expected = 3,
  extra: Partial<RunbookWorkflowInput> = {},
): Promise<{ workflowId: string; texts: string[]; events: OperationalEvent[] }> {
  const seen: string[] = [];
  const listener = (_channel: string, text: string): void => void seen.push(text);
  subscriber.on('message', listener);
  const events = openEventPublisher({
    config: readEventsConfig({ OPERATIONAL_EVENT_STREAM_ENABLED: 'true', REDIS_URL: redis.url }),
    registry: new Registry(),
  });
  const { worker, taskQueue } = await createTestWorker(env, {
    webhookTargets: { oncall: { url: `${target.url}/hook` } },
    notifyTargets: { events: { kind: 'redis' } },
    events,
  });
  const workflowId = `wf-${taskQueue}`;
  const input: RunbookWorkflowInput = {
    runbook: runbookFromYaml(yaml),
    trigger: { source: 'api', requestedBy: 'alice' },
    ...extra,
  };
  await worker.runUntil(async () => {
    const handle = await env.client.workflow.start(RUNBOOK_WORKFLOW, {
      taskQueue,
      workflowId,
      args: [signed(input, workflowId)],
      workflowExecutionTimeout: '1m',
    });
    await act(handle);
    await handle.result();
  });
  await events.close();
  const ours = (): OperationalEvent[] =>
    seen
      .map((t) => decodeEvent(t))
      .flatMap((r) => (r.ok ? [r.event] : []))
      .filter((e) => 'workflowId' in e.payload && e.payload.workflowId === workflowId);
  await waitFor(`the ${expected} events of the run`, () => ours().length >= expected);
  subscriber.off('message', listener);
  return { workflowId, texts: seen, events: ours() };
}

beforeAll(() => subscriber.subscribe(OPERATIONAL_EVENTS_CHANNEL));

test('a run publishes run_started, alert_sent (webhook) and run_finished', async () => {
  const { workflowId, texts, events } = await runAndCollect(`
id: tell-oncall
title: Tell on-call
steps:
  - id: tell
    notify: { target: oncall, message: the api was restarted }
`);
  // Every message is exactly the contract's envelope, keys in order.
  for (const text of texts) {
    expect(decodeEvent(text)).toMatchObject({ ok: true });
    expect(Object.keys(JSON.parse(text) as object)).toEqual(['event_type', 'timestamp', 'payload']);
  }
  expect(events.map((e) => e.event_type)).toEqual(['run_started', 'alert_sent', 'run_finished']);
  expect(events.map((e) => e.payload)).toEqual([
    { workflowId, runbook: 'tell-oncall', trigger: 'api', requestedBy: 'alice' },
    { channel: 'webhook', target: 'oncall', reason: 'the api was restarted', workflowId },
    { workflowId, runbook: 'tell-oncall', trigger: 'api', outcome: 'succeeded' },
  ]);
  for (const e of events) expect(e.timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  // The target received the notification itself once.
  expect(target.received.filter((r) => r.path === '/hook')).toHaveLength(1);
});

test("a runbook's own event to a redis target: runbook_event, and a notification to it as `notification`", async () => {
  const { workflowId, events } = await runAndCollect(
    `
id: verified
title: Verified
steps:
  - id: verify
    action: notify:redis:publish
    with: { target: events, name: deploy_verified, severity: info, data: { version: "1.4.2" } }
  - id: tell
    notify: { target: events, title: Deployed, message: checkout 1.4.2 is live }
`,
    undefined,
    4,
  );
  const run = { workflowId, runbook: 'verified' };
  expect(events.map((e) => [e.event_type, e.payload])).toEqual([
    ['run_started', { ...run, trigger: 'api', requestedBy: 'alice' }],
    [
      'runbook_event',
      { ...run, step: 'verify', name: 'deploy_verified', severity: 'info', data: { version: '1.4.2' } },
    ],
    [
      'runbook_event',
      { ...run, step: 'tell', name: 'notification', text: 'checkout 1.4.2 is live', data: { title: 'Deployed' } },
    ],
    ['run_finished', { ...run, trigger: 'api', outcome: 'succeeded' }],
  ]);
});

test('an approval gate publishes approval_requested and approval_decided, with who decided', async () => {
  const { workflowId, events } = await runAndCollect(
    `
id: gated
title: Gated
steps:
  - id: gate
    approval: { message: go?, approvers: [bob, carol] }
    timeout: 10m
`,
    async (h) => {
      await waitForStatus(h, (x) => x.phase === 'waiting_approval');
      const d = await signedDecision(h, { stepId: 'gate', decision: 'approve', actor: 'bob' });
      await h.executeUpdate(decideApprovalUpdate, { args: [d] });
    },
    4,
  );
  const run = { workflowId, runbook: 'gated' };
  expect(events.map((e) => [e.event_type, e.payload])).toEqual([
    ['run_started', { ...run, trigger: 'api', requestedBy: 'alice' }],
    ['approval_requested', { ...run, stepId: 'gate', approvers: ['bob', 'carol'], required: 1 }],
    ['approval_decided', { ...run, stepId: 'gate', outcome: 'approved', decidedBy: ['bob'] }],
    ['run_finished', { ...run, trigger: 'api', outcome: 'succeeded' }],
  ]);
});

test('an emergency change: its retroactive approval is requested and decided as events too, marked retroactive', async () => {
  const vote = async (h: WorkflowHandle, actor: string): Promise<void> => {
    const d = await signedDecision(h, { stepId: 'gate', decision: 'approve', actor });
    await h.executeUpdate(decideApprovalUpdate, { args: [d] });
  };
  const { workflowId, events } = await runAndCollect(
    `
id: urgent
title: Urgent
steps:
  - id: gate
    approval: { message: go?, required: 2, emergency: { retroactiveWithin: 10m } }
    timeout: 10m
  - id: tell
    notify: { target: oncall, message: changed in an emergency }
`,
    async (h) => {
      await waitForStatus(h, (x) => x.phase === 'waiting_approval');
      await vote(h, 'bob');
      await waitForStatus(h, (x) => x.phase === 'awaiting_retroactive_approval');
      await vote(h, 'carol');
    },
    7,
    { emergency: true },
  );
  const run = { workflowId, runbook: 'urgent' };
  expect(events.map((e) => [e.event_type, e.payload])).toEqual([
    ['run_started', { ...run, trigger: 'api', requestedBy: 'alice' }],
    ['approval_requested', { ...run, stepId: 'gate', approvers: [], required: 1 }],
    ['approval_decided', { ...run, stepId: 'gate', outcome: 'approved', decidedBy: ['bob'] }],
    ['alert_sent', { channel: 'webhook', target: 'oncall', reason: 'changed in an emergency', workflowId }],
    ['approval_requested', { ...run, stepId: 'gate', approvers: [], required: 1, retroactive: true }],
    ['approval_decided', { ...run, stepId: 'gate', outcome: 'approved', decidedBy: ['carol'], retroactive: true }],
    ['run_finished', { ...run, trigger: 'api', outcome: 'succeeded' }],
  ]);
});

test('a paused step publishes step_paused; the kill switch publishes freeze_changed both ways', async () => {
  target.on('/broken', () => ({ status: 500, body: 'down' }));
  const { workflowId, events } = await runAndCollect(
    `
id: pausing
title: Pausing
steps:
  - id: call
    action: http:request:send
    retry: { maxAttempts: 1 }
    onFailure: pause
    with: { url: "${target.url}/broken" }
`,
    async (h) => {
      await waitForStatus(h, (x) => x.phase === 'paused');
      const d = signedStepDecision(h.workflowId, {
        stepId: 'call',
        action: 'skip',
        actor: 'bob',
        reason: 'known outage',
      });
      await h.executeUpdate(decideStepUpdate, { args: [d] });
    },
    3,
  );
  expect(events.map((e) => [e.event_type, e.payload])).toContainEqual([
    'step_paused',
    { workflowId, runbook: 'pausing', stepId: 'call', reason: expect.stringContaining('answered 500') as string },
  ]);

  // The kill switch: a freeze put in force, then lifted.
  const seen: string[] = [];
  const listener = (_channel: string, text: string): void => void seen.push(text);
  subscriber.on('message', listener);
  const events2 = openEventPublisher({
    config: readEventsConfig({ OPERATIONAL_EVENT_STREAM_ENABLED: 'true', REDIS_URL: redis.url }),
    registry: new Registry(),
  });
  const { worker, taskQueue } = await createTestWorker(env, { events: events2 });
  await worker.runUntil(async () => {
    const control = new WithStartWorkflowOperation(CONTROL_WORKFLOW, {
      workflowId: controlWorkflowId(taskQueue),
      taskQueue,
      args: [{}],
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
    const scope = { kind: 'service' as const, value: `svc-${taskQueue}` };
    const freeze = await env.client.workflow.executeUpdateWithStart(freezeUpdate, {
      args: [{ scope, by: 'admin', reason: 'incident 42' }],
      startWorkflowOperation: control,
    });
    await env.client.workflow
      .getHandle(controlWorkflowId(taskQueue))
      .executeUpdate(unfreezeUpdate, { args: [{ freezeId: freeze.id, by: 'admin', reason: 'over' }] });
    await events2.close();
    const freezes = (): OperationalEvent[] =>
      seen
        .map((t) => decodeEvent(t))
        .flatMap((r) => (r.ok && r.event.event_type === 'freeze_changed' ? [r.event] : []))
        .filter((e) => 'freezeId' in e.payload && e.payload.freezeId === freeze.id);
    await waitFor('the freeze and its lifting', () => freezes().length >= 2);
    expect(freezes().map((e) => e.payload)).toEqual([
      { frozen: true, freezeId: freeze.id, scope, reason: 'incident 42', changedBy: 'admin' },
      { frozen: false, freezeId: freeze.id, scope, reason: 'over', changedBy: 'admin' },
    ]);
    await env.client.workflow.getHandle(controlWorkflowId(taskQueue)).terminate('test over');
  });
  subscriber.off('message', listener);
});
