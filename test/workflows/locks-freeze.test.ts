/** Target locks, concurrency limits and the kill switch, with real workflows on a real server. */
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { RUNBOOK_WORKFLOW } from '../../src/shared/constants';
import {
  CONTROL_WORKFLOW,
  controlWorkflowId,
  freezeUpdate,
  lockAnswerSignal,
  lockWorkflowId,
  type LockAnswer,
  unfreezeUpdate,
} from '../../src/shared/coordination';
import { decideApprovalUpdate, statusQuery } from '../../src/shared/messages';
import { startReceiver, type Receiver } from '../support/http-receiver';
import { createTestWorker, readThenChange, runbookFromYaml, type TestWorker } from '../support/runbook-worker';
import { connectTestEnv, waitForStatus } from '../support/temporal';
import { waitFor } from '../support/wait';
import { WithStartWorkflowOperation } from '@temporalio/client';
import { signed, signedDecision } from '../support/signing';

let env: TestWorkflowEnvironment;
let target: Receiver;
let w: TestWorker;
let running: Promise<void>;

beforeAll(async () => {
  env = await connectTestEnv();
  target = await startReceiver();
  target.on('/change', () => ({ status: 200, body: { ok: true } }));
  target.on('/read', () => ({ status: 200, body: { ok: true } }));
  w = await createTestWorker(env);
  running = w.worker.run();
});
afterAll(async () => {
  w?.worker.shutdown();
  await running;
  await target?.close();
  await env?.teardown();
});

const suffix = `${Date.now()}`;
const rb = (id: string, head: string) =>
  runbookFromYaml(`
id: ${id}
title: ${id}
${head}
params:
  service: { type: string }
steps:
  - id: read
    action: http:request:send
    with: { url: "${target.url}/read" }
  - id: prepare
    action: http:request:send
    with: { method: POST, url: "${target.url}/change", body: { service: "\${{ params.service }}", step: prepare } }
  - id: gate
    approval: { message: go? }
  - id: change
    action: http:request:send
    with: { method: POST, url: "${target.url}/change", body: { service: "\${{ params.service }}" } }
`);

async function start(
  def: ReturnType<typeof rb>,
  service: string,
  extra: Record<string, unknown> = {},
): Promise<WorkflowHandle> {
  const workflowId = `${def.id}-${service}-${Math.random().toString(16).slice(2, 8)}`;
  return env.client.workflow.start(RUNBOOK_WORKFLOW, {
    taskQueue: w.taskQueue,
    workflowId,
    args: [
      signed(
        { runbook: def, params: { service }, trigger: { source: 'api', requestedBy: 'alice' }, ...extra },
        workflowId,
      ),
    ],
    workflowExecutionTimeout: '2m',
  });
}

const approve = async (h: WorkflowHandle) =>
  h.executeUpdate(decideApprovalUpdate, {
    args: [await signedDecision(h, { stepId: 'gate', decision: 'approve', actor: 'bob' })],
  });

test('two runs of different runbooks on one target never overlap; the second waits at its first change and says for whom', async () => {
  const svc = `pay-${suffix}`;
  const a = await start(rb('restart-a', 'target: service:${{ params.service }}'), svc);
  await waitForStatus(a, (s) => s.phase === 'waiting_approval');
  const b = await start(rb('scale-b', 'target: service:${{ params.service }}'), svc);
  const waiting = await waitForStatus(b, (s) => s.phase === 'waiting_lock' && (s.locks[0]?.heldBy.length ?? 0) > 0);
  expect(waiting.locks).toEqual([{ target: `service:${svc}`, state: 'waiting', heldBy: [a.workflowId] }]);
  // Read-only steps ran; the first change waits for the lock.
  expect(waiting.steps.map((s) => [s.id, s.state])).toEqual([
    ['read', 'succeeded'],
    ['prepare', 'running'],
    ['gate', 'pending'],
    ['change', 'pending'],
  ]);
  // Another target is not blocked.
  const other = await start(rb('scale-b', 'target: service:${{ params.service }}'), `${svc}-other`);
  await waitForStatus(other, (s) => s.phase === 'waiting_approval');
  await other.cancel();

  await approve(a);
  await a.result();
  expect((await a.query(statusQuery)).locks).toEqual([{ target: `service:${svc}`, state: 'released', heldBy: [] }]);
  await waitForStatus(b, (s) => s.phase === 'waiting_approval');
  await approve(b);
  await b.result();
  // Nobody holds or waits: the lock workflow has ended.
  await expect(env.client.workflow.getHandle(lockWorkflowId(`service:${svc}`)).result()).resolves.toBeUndefined();
});

test('a run waiting in line ignores lock answers the lock did not sign; the real grant still comes', async () => {
  const svc = `forged-${suffix}`;
  const a = await start(rb('restart-a', 'target: service:${{ params.service }}'), svc);
  await waitForStatus(a, (s) => s.phase === 'waiting_approval');
  const b = await start(rb('scale-b', 'target: service:${{ params.service }}'), svc);
  await waitForStatus(b, (s) => s.phase === 'waiting_lock' && (s.locks[0]?.heldBy.length ?? 0) > 0);
  // What a raw client (the Web UI's Signal form) could send: unsigned, and a signature copied from another answer.
  const grant = { target: `service:${svc}`, outcome: 'granted', heldBy: [] };
  await b.signal(lockAnswerSignal, grant as LockAnswer);
  await b.signal(lockAnswerSignal, {
    ...grant,
    signed: { kid: 'test1', sig: 'AAAA', payload: { purpose: 'lock-answer', ...grant } },
  } as unknown as LockAnswer);
  const noted = await waitForStatus(
    b,
    (s) => (s.unverified ?? []).filter((n) => n.message === 'lockAnswer').length === 2,
  );
  expect(noted.phase).toBe('waiting_lock');
  expect(noted.unverified?.map((n) => n.reason)).toEqual(['not a signed envelope', 'the signature does not match']);
  expect(noted.steps.find((st) => st.id === 'prepare')?.state).toBe('running');
  expect(target.received.filter((r) => r.body.includes(svc) && r.body.includes('scale-b'))).toEqual([]);

  await approve(a);
  await a.result();
  await waitForStatus(b, (s) => s.phase === 'waiting_approval');
  await approve(b);
  await b.result();
});

test('fail fast when the runbook says so; a cancelled holder releases its lock', async () => {
  const svc = `db-${suffix}`;
  const holder = await start(rb('migrate', 'target: db:${{ params.service }}'), svc);
  await waitForStatus(holder, (s) => s.phase === 'waiting_approval');
  const eager = await start(rb('vacuum', 'target: db:${{ params.service }}\nlock: { onBusy: fail }'), svc);
  await expect(eager.result()).rejects.toMatchObject({
    cause: { type: 'LockBusy', message: `step 'prepare' failed: db:${svc} is locked by run ${holder.workflowId}` },
  });
  await holder.cancel();
  await expect(holder.result()).rejects.toThrow();
  const after = await start(rb('vacuum', 'target: db:${{ params.service }}\nlock: { onBusy: fail }'), svc);
  await waitForStatus(after, (s) => s.phase === 'waiting_approval');
  await after.cancel();
});

test('a terminated holder does not keep the lock for ever', async () => {
  const svc = `cache-${suffix}`;
  const holder = await start(rb('flush', 'target: cache:${{ params.service }}'), svc);
  await waitForStatus(holder, (s) => s.phase === 'waiting_approval');
  await holder.terminate('test');
  // The lock checks on its holders (every minute; every second in tests); the waiting run gets it then.
  const next = await start(rb('flush', 'target: cache:${{ params.service }}'), svc);
  await waitForStatus(next, (s) => s.phase === 'waiting_approval');
  await next.cancel();
});

test('concurrency: at most N runs of a runbook at once', async () => {
  const def = rb(`limited-${suffix}`, 'concurrency: 2');
  const runs = [await start(def, 'a'), await start(def, 'b'), await start(def, 'c')];
  // Whichever two reach their first change first hold the slots; the third waits for one.
  const phases = async (): Promise<string[]> => Promise.all(runs.map(async (r) => (await r.query(statusQuery)).phase));
  const now = await waitFor('two runs holding slots and one waiting for a slot', async () => {
    const p = await phases();
    return p.filter((x) => x === 'waiting_approval').length === 2 && p.includes('waiting_lock') && p;
  });
  const waiter = runs[now.indexOf('waiting_lock')]!;
  const holder = runs[now.indexOf('waiting_approval')]!;
  await approve(holder);
  await holder.result();
  await waitForStatus(waiter, (s) => s.phase === 'waiting_approval');
  for (const r of runs) if (r !== holder) await r.cancel();
  for (const r of runs) await r.result().catch(() => undefined);
});

test('the kill switch stops mutating steps of its scope until unfrozen; read-only steps go on', async () => {
  const def = readThenChange(`frozen-${suffix}`, target.url, '{ frozen: true }');
  const control = new WithStartWorkflowOperation(CONTROL_WORKFLOW, {
    workflowId: controlWorkflowId(w.taskQueue),
    taskQueue: w.taskQueue,
    args: [{}],
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
  const freeze = await env.client.workflow.executeUpdateWithStart(freezeUpdate, {
    args: [{ scope: { kind: 'service', value: `svc-${suffix}` }, by: 'admin', reason: 'incident 42 in progress' }],
    startWorkflowOperation: control,
  });
  const changesBefore = target.received.filter((r) => r.path === '/change').length;
  const h = await env.client.workflow.start(RUNBOOK_WORKFLOW, {
    taskQueue: w.taskQueue,
    workflowId: `frozen-${suffix}`,
    args: [signed({ runbook: def, params: { service: `svc-${suffix}` }, freezePollMs: 300 }, `frozen-${suffix}`)],
    workflowExecutionTimeout: '2m',
  });
  const s = await waitForStatus(h, (x) => x.phase === 'frozen');
  expect(s.steps.find((x) => x.id === 'read')?.state).toBe('succeeded');
  expect(s.steps.find((x) => x.id === 'change')).toMatchObject({
    state: 'waiting',
    note: `frozen by admin (service svc-${suffix}, freeze ${freeze.id}): incident 42 in progress`,
  });
  expect(target.received.filter((r) => r.path === '/change').length).toBe(changesBefore);
  const handle = env.client.workflow.getHandle(controlWorkflowId(w.taskQueue));
  await expect(
    handle.executeUpdate(unfreezeUpdate, { args: [{ freezeId: 'nope', by: 'admin', reason: 'x' }] }),
  ).rejects.toThrow();
  await handle.executeUpdate(unfreezeUpdate, { args: [{ freezeId: freeze.id, by: 'admin', reason: 'incident over' }] });
  const r = await h.result();
  expect(r.phase).toBe('succeeded');
  expect(target.received.filter((x) => x.path === '/change').length).toBe(changesBefore + 1);
});
