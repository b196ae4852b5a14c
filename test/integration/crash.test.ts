/**
 * Crash-proof, proved with real processes: the product's standalone worker process killed with
 * SIGKILL while a mutating step is in flight, and the Temporal server stopped and started again
 * (same SQLite file) under runs waiting for an approval and verifying. A loopback target that
 * applies a mutation once per Idempotency-Key stands in for the systems runbooks change.
 *
 * This file starts its own dev server (the shared one must not be restarted under other tests).
 */
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { freePort } from '../../src/platform/ports';
import { RUNBOOK_WORKFLOW } from '../../src/shared/constants';
import { decideApprovalUpdate } from '../../src/shared/messages';
import type { RunResult, RunStatus } from '../../src/shared/status';
import type { RunbookWorkflowInput } from '../../src/shared/workflow-types';
import {
  endStartedProcesses,
  failedPolls,
  makeWorkspace,
  queryStatus,
  startServerProcess,
  startWorkerProcess,
  within,
  type ServerProcess,
  type Workspace,
} from '../support/crash-processes';
import { startCrashReceiver, type CrashReceiver } from '../support/crash-receiver';
import { uniqueQueue } from '../support/temporal';
import { waitFor } from '../support/wait';
import { signedDecision } from '../support/signing';

let ws: Workspace;
let target: CrashReceiver;
let server: ServerProcess;
let port: number;
let dbFile: string;
let connection: Connection | undefined;
let client: Client;
let ready = false;

const RETRY = 'retry: { maxAttempts: 20, initialInterval: 200ms }';

function crashRunbook(url: string): string {
  return `
id: crash-deploy
title: Deploy through a worker crash
params:
  service: { type: string, default: checkout }
steps:
  - id: probe
    action: http:endpoint:check
    with: { url: "${url}/health" }
  - id: drain
    action: http:request:send
    with: { method: POST, url: "${url}/drain", body: { service: "\${{ params.service }}" } }
    timeout: 5s
    ${RETRY}
  - id: deploy
    action: http:request:send
    with: { method: PUT, url: "${url}/deploy", body: { service: "\${{ params.service }}", version: "v2" } }
    timeout: 5s
    ${RETRY}
  - id: read-back
    action: http:request:send
    with: { url: "${url}/deployed" }
    timeout: 5s
    ${RETRY}
`;
}

function approvalRunbook(url: string): string {
  return `
id: restart-approval
title: Approval across a server restart
steps:
  - id: probe
    action: http:endpoint:check
    with: { url: "${url}/health" }
  - id: approve
    approval: { message: "Go on?" }
    timeout: 10m
  - id: apply
    action: http:request:send
    with: { method: POST, url: "${url}/apply" }
    timeout: 5s
    ${RETRY}
`;
}

function verifyRunbook(url: string): string {
  return `
id: restart-verify
title: Verify across a server restart
steps:
  - id: ready
    verify:
      action: http:endpoint:check
      with: { url: "${url}/ready" }
      until: \${{ output.ok }}
      interval: 500ms
      within: 10m
    timeout: 5s
    ${RETRY}
  - id: announce
    action: http:request:send
    with: { method: POST, url: "${url}/announce" }
    timeout: 5s
    ${RETRY}
`;
}

beforeAll(async () => {
  ws = makeWorkspace('runbooks-crash');
  target = await startCrashReceiver();
  target.onRead('/health', () => ({ status: 200, body: { ok: true } }));
  target.onRead('/deployed', () => ({ status: 200, body: { version: 'v2' } }));
  target.onRead('/ready', () => (ready ? { status: 200, body: 'ready' } : { status: 503, body: 'warming up' }));
  ws.writeRunbook('crash-deploy.yaml', crashRunbook(target.url));
  ws.writeRunbook('restart-approval.yaml', approvalRunbook(target.url));
  ws.writeRunbook('restart-verify.yaml', verifyRunbook(target.url));
  port = await freePort();
  dbFile = join(ws.dir, 'temporal', 'temporal.sqlite');
  server = await startServerProcess({ port, dbFile });
  connection = await Connection.connect({ address: server.server.address });
  client = new Client({ connection });
}, 120_000);

afterAll(async () => {
  // Whatever happened: every worker and server this file started ends here.
  await endStartedProcesses();
  await connection?.close();
  await target?.close();
  ws?.remove();
}, 60_000);

function input(runbookId: string): RunbookWorkflowInput {
  return { runbookId, params: {}, trigger: { source: 'api', requestedBy: 'test' } };
}

function step(s: RunStatus, id: string): RunStatus['steps'][number] {
  const found = s.steps.find((x) => x.id === id);
  if (!found) throw new Error(`no step '${id}' in ${s.steps.map((x) => x.id).join(', ')}`);
  return found;
}

test('kill -9 of the worker mid-mutation: a new worker finishes the run and every mutation is applied once', async () => {
  const taskQueue = uniqueQueue('crash');
  const workflowId = `crash-deploy-${taskQueue}`;
  const held = target.holdNext('/drain');
  const first = await startWorkerProcess({ address: server.server.address, taskQueue, workspace: ws });
  const handle = await client.workflow.start(RUNBOOK_WORKFLOW, {
    taskQueue,
    workflowId,
    args: [input('crash-deploy')],
    workflowExecutionTimeout: '5m',
  });

  // In flight for certain: the target has the request (and applied it) but holds the answer back.
  const inFlight = await within('the drain request to reach the target', 60_000, held.arrived, () => first.output());
  expect(inFlight).toMatchObject({ method: 'POST', outcome: 'applied', idempotencyKey: `${workflowId}/drain` });
  const before = await waitFor('the run to show drain running', async () => {
    const s = await queryStatus(client, handle);
    return step(s, 'drain').state === 'running' ? s : undefined;
  });
  expect(step(before, 'probe')).toMatchObject({ state: 'succeeded' });
  expect(step(before, 'deploy')).toMatchObject({ state: 'pending' });

  const killedAt = Date.now();
  expect(await first.kill9()).toEqual({ code: null, signal: 'SIGKILL' });
  // The answer never reached the worker: its connection died with it.
  await within("the target to see the killed worker's connection close", 10_000, held.callerGone);

  const second = await startWorkerProcess({ address: server.server.address, taskQueue, workspace: ws });
  const result: RunResult = await within('the run to finish on the new worker', 90_000, handle.result(), () =>
    second.output(),
  );
  expect(result.phase).toBe('succeeded');
  const status = await queryStatus(client, handle);
  expect(status.phase).toBe('succeeded');
  expect(status.steps.map((s) => [s.id, s.state])).toEqual([
    ['probe', 'succeeded'],
    ['drain', 'succeeded'],
    ['deploy', 'succeeded'],
    ['read-back', 'succeeded'],
  ]);
  // The retry after the crash got the answer of the first, applied request.
  expect(step(status, 'drain').attempts).toBeGreaterThanOrEqual(2);
  expect(step(status, 'drain').output).toMatchObject({
    status: 200,
    body: { applied: true, appliedBySeq: inFlight.seq },
  });

  // The drain reached the target before and after the crash, always under the same key ...
  const drains = target.to('/drain');
  expect(drains.some((r) => r.at < killedAt)).toBe(true);
  expect(drains.some((r) => r.at > killedAt)).toBe(true);
  expect(drains.length).toBeGreaterThanOrEqual(2);
  expect(new Set(drains.map((r) => r.idempotencyKey))).toEqual(new Set([`${workflowId}/drain`]));
  expect(drains.map((r) => r.outcome)).toEqual(['applied', ...drains.slice(1).map(() => 'replayed')]);
  // ... and every mutating step was applied exactly once, keyed <workflowId>/<stepId>.
  const mine = target.applied.filter((a) => a.key?.startsWith(`${workflowId}/`));
  expect(mine.map((a) => [a.key, a.method, a.path])).toEqual([
    [`${workflowId}/drain`, 'POST', '/drain'],
    [`${workflowId}/deploy`, 'PUT', '/deploy'],
  ]);
  expect(new Set(target.to('/deploy').map((r) => r.idempotencyKey))).toEqual(new Set([`${workflowId}/deploy`]));
  expect(target.applied.filter((a) => a.key === undefined)).toEqual([]);
  // Read-only steps carry no key.
  const reads = target.requests.filter((r) => r.path === '/health' || r.path === '/deployed');
  expect(reads.length).toBeGreaterThanOrEqual(2);
  expect(reads.every((r) => r.method === 'GET' && r.idempotencyKey === undefined)).toBe(true);
  await second.stop();
}, 180_000);

test('the server stops and starts again (same SQLite file) under an approval wait and a verify loop: both runs finish', async () => {
  const taskQueue = uniqueQueue('restart');
  const worker = await startWorkerProcess({ address: server.server.address, taskQueue, workspace: ws });
  const approval = await client.workflow.start(RUNBOOK_WORKFLOW, {
    taskQueue,
    workflowId: `restart-approval-${taskQueue}`,
    args: [input('restart-approval')],
    workflowExecutionTimeout: '5m',
  });
  const verify = await client.workflow.start(RUNBOOK_WORKFLOW, {
    taskQueue,
    workflowId: `restart-verify-${taskQueue}`,
    args: [input('restart-verify')],
    workflowExecutionTimeout: '5m',
  });
  await waitFor(
    'the approval run to wait for approval',
    async () => (await queryStatus(client, approval)).phase === 'waiting_approval',
    {
      timeoutMs: 60_000,
      detail: () => worker.output(),
    },
  );
  await waitFor(
    'the verify run to have checked twice',
    async () => {
      const s = await queryStatus(client, verify);
      return step(s, 'ready').state === 'running' && target.to('/ready').length >= 2;
    },
    { timeoutMs: 60_000, detail: () => worker.output() },
  );

  const failedBefore = await failedPolls(worker, taskQueue);
  const stoppedAt = Date.now();
  await server.server.stop();
  // Stopped by SIGTERM, not killed after the grace period: an orderly server shutdown.
  expect((await server.exited).signal).not.toBe('SIGKILL');
  // The worker process outlives its server, and notices it is gone (its polls fail) ...
  await waitFor(
    'the worker to count failed polls while the server is down',
    async () => (await failedPolls(worker, taskQueue)) > failedBefore,
    {
      timeoutMs: 60_000,
      detail: () => `worker running: ${worker.running()}\nworker output:\n${worker.output()}`,
    },
  );
  expect(worker.running()).toBe(true);
  server = await startServerProcess({ port, dbFile });
  const restartedAt = Date.now();

  // ... and reconnects by itself: the same process keeps verifying and answers queries again.
  await waitFor(
    'the verify loop to check again after the restart',
    () => target.to('/ready').some((r) => r.at > restartedAt),
    {
      timeoutMs: 60_000,
      detail: () => `worker running: ${worker.running()}\nworker output:\n${worker.output()}`,
    },
  );
  const waiting = await waitFor(
    'the approval run to answer its status after the restart',
    async () => {
      const s = await queryStatus(client, approval);
      return s.phase === 'waiting_approval' ? s : undefined;
    },
    { timeoutMs: 60_000, detail: () => worker.output() },
  );
  expect(waiting.pendingApprovals).toEqual([expect.objectContaining({ stepId: 'approve' })]);

  const answer = await within(
    'the approval update to be accepted',
    60_000,
    signedDecision(approval, {
      stepId: 'approve',
      decision: 'approve',
      actor: 'bob',
      comment: 'after the restart',
    }).then((d) => approval.executeUpdate(decideApprovalUpdate, { args: [d] })),
  );
  expect(answer).toEqual({ stepId: 'approve', accepted: true, outcome: 'approved' });
  ready = true;

  const [a, v] = await within('both runs to finish', 90_000, Promise.all([approval.result(), verify.result()]), () =>
    worker.output(),
  );
  expect(a.phase).toBe('succeeded');
  expect(v.phase).toBe('succeeded');
  const sa = await queryStatus(client, approval);
  expect(sa.steps.map((s) => [s.id, s.state])).toEqual([
    ['probe', 'succeeded'],
    ['approve', 'succeeded'],
    ['apply', 'succeeded'],
  ]);
  expect(step(sa, 'approve').note).toBe('approved by bob via api: after the restart');
  const sv = await queryStatus(client, verify);
  expect(sv.steps.map((s) => [s.id, s.state])).toEqual([
    ['ready', 'succeeded'],
    ['announce', 'succeeded'],
  ]);
  // The verify loop ran before the stop and after the restart, within the one step.
  const checks = target.to('/ready');
  expect(checks.some((r) => r.at < stoppedAt)).toBe(true);
  expect(checks.some((r) => r.at > restartedAt)).toBe(true);
  expect(step(sv, 'ready').attempts).toBeGreaterThanOrEqual(3);

  // Mutations after the restart: applied once each, keyed by run and step.
  expect(
    target.applied.filter((m) => m.key === `${approval.workflowId}/apply` || m.key === `${verify.workflowId}/announce`),
  ).toHaveLength(2);
  expect(new Set(target.to('/apply').map((r) => r.idempotencyKey))).toEqual(new Set([`${approval.workflowId}/apply`]));
  expect(target.to('/apply').every((r) => r.at > restartedAt)).toBe(true);

  // One worker process did all of it: it never exited.
  expect(worker.running()).toBe(true);
  expect(await worker.stop()).toEqual({ code: 0, signal: null });
}, 240_000);
