/**
 * A runbook changed while runs of it are in flight. Runs started on version 1 wait in an approval;
 * the library on disk becomes version 2 (other steps) and the worker process restarts; after the
 * approval they finish version 1's steps, whether the API pinned v1 in their input or the worker
 * resolved it by id (recorded in history). New runs use version 2. The finished runs' histories
 * replay against the current workflow bundle (dist/workflow-bundle.js, what workers load).
 */
import { Client, Connection } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { loadConfig } from '../../src/config/load';
import { projectRoot } from '../../src/platform/project-root';
import { loadLibrary } from '../../src/runbooks/library';
import { createRunService, type RunService } from '../../src/runs/service';
import { RUNBOOK_WORKFLOW } from '../../src/shared/constants';
import type { RunResult, RunStatus } from '../../src/shared/status';
import { bundlePath } from '../../src/worker/bundle';
import { createWorkerMetrics } from '../../src/worker/metrics';
import { workerSinks } from '../../src/worker/events';
import {
  endStartedProcesses,
  makeWorkspace,
  queryStatus,
  startWorkerProcess,
  within,
  type WorkerProcess,
  type Workspace,
} from '../support/crash-processes';
import { startCrashReceiver, type CrashReceiver } from '../support/crash-receiver';
import { installQuietRuntime, testAddress, uniqueQueue } from '../support/temporal';
import { waitFor } from '../support/wait';
import { TEST_KEYS, TEST_KEYS_ENV } from '../support/signing';
import { withSigningKeys } from '../../src/worker/signing-bundle';
import { readFileSync } from 'node:fs';

let ws: Workspace;
let target: CrashReceiver;
let connection: Connection | undefined;
let client: Client;

const V1_STEPS = ['probe', 'approve', 'restart'];
const V2_STEPS = ['probe-v2', 'drain', 'approve', 'restart-v2'];

function v1(url: string): string {
  return `
id: evolving
title: Evolving runbook, version 1
params:
  service: { type: string, default: checkout }
steps:
  - id: probe
    action: http:endpoint:check
    with: { url: "${url}/health" }
  - id: approve
    approval: { message: "Restart \${{ params.service }} (v1)?" }
    timeout: 10m
  - id: restart
    action: http:request:send
    with: { method: POST, url: "${url}/v1/restart", body: { service: "\${{ params.service }}" } }
`;
}

function v2(url: string): string {
  return `
id: evolving
title: Evolving runbook, version 2
params:
  service: { type: string, default: checkout }
steps:
  - id: probe-v2
    action: http:endpoint:check
    with: { url: "${url}/health" }
  - id: drain
    action: http:request:send
    with: { method: POST, url: "${url}/v2/drain", body: { service: "\${{ params.service }}" } }
  - id: approve
    approval: { message: "Restart \${{ params.service }} (v2)?" }
    timeout: 10m
  - id: restart-v2
    action: http:request:send
    with: { method: POST, url: "${url}/v2/restart", body: { service: "\${{ params.service }}" } }
`;
}

beforeAll(async () => {
  // Replay runs in this process: one quiet Runtime for the file, before anything needs it.
  installQuietRuntime();
  ws = makeWorkspace('runbooks-versioning');
  target = await startCrashReceiver();
  target.onRead('/health', () => ({ status: 200, body: { ok: true } }));
  connection = await Connection.connect({ address: testAddress() });
  client = new Client({ connection });
});

afterAll(async () => {
  await endStartedProcesses();
  await connection?.close();
  await target?.close();
  ws?.remove();
}, 60_000);

function versionOnDisk(): string {
  const rb = loadLibrary(ws.runbooksDir).runbooks.get('evolving');
  if (!rb) throw new Error(`no runbook 'evolving' in ${ws.runbooksDir}`);
  return rb.version;
}

async function waitingForApproval(workflowId: string, worker: WorkerProcess): Promise<RunStatus> {
  const handle = client.workflow.getHandle(workflowId);
  return waitFor(
    `${workflowId} to wait for approval`,
    async () => {
      const s = await queryStatus(client, handle);
      return s.phase === 'waiting_approval' ? s : undefined;
    },
    { timeoutMs: 60_000, detail: () => worker.output() },
  );
}

async function approveAndFinish(
  runs: RunService,
  workflowId: string,
  worker: WorkerProcess,
): Promise<{ result: RunResult; status: RunStatus }> {
  const answer = await within(
    `the approval of ${workflowId}`,
    60_000,
    runs.decide(workflowId, { stepId: 'approve', decision: 'approve', actor: 'bob', via: 'api' }),
  );
  expect(answer).toMatchObject({ outcome: 'approved' });
  const handle = client.workflow.getHandle(workflowId);
  const result = await within(`${workflowId} to finish`, 60_000, handle.result() as Promise<RunResult>, () =>
    worker.output(),
  );
  return { result, status: await queryStatus(client, handle) };
}

/** Mutations the target applied for one run: [key, path], in order. */
function appliedFor(workflowId: string): Array<[string | undefined, string]> {
  return target.applied.filter((a) => a.key?.startsWith(`${workflowId}/`)).map((a) => [a.key, a.path]);
}

test('runs in flight finish on version 1 after the library changes to version 2; new runs use version 2; histories replay', async () => {
  const taskQueue = uniqueQueue('versioning');
  ws.writeRunbook('evolving.yaml', v1(target.url));
  const version1 = versionOnDisk();
  // The API's own start path: it reads the library on disk at each start and pins the compiled runbook.
  const config = loadConfig(
    {
      RUNBOOKS_CONFIG: ws.configPath,
      TEMPORAL_ADDRESS: testAddress(),
      RUNBOOKS_TASK_QUEUE: taskQueue,
      RUNBOOKS_DIR: ws.runbooksDir,
      RUNBOOK_SIGNING_KEYS: TEST_KEYS_ENV,
    },
    projectRoot(),
    { tokens: false },
  );
  const runs = createRunService({ client, config, library: () => loadLibrary(ws.runbooksDir) });
  const trigger = { source: 'api' as const, requestedBy: 'alice' };
  const startById = async (workflowId: string): Promise<string> => {
    // The Web UI's path: the worker resolves the runbook by id from the library it loaded.
    await client.workflow.start(RUNBOOK_WORKFLOW, {
      taskQueue,
      workflowId,
      args: [{ runbookId: 'evolving', params: { service: 'checkout' }, trigger }],
      workflowExecutionTimeout: '5m',
    });
    return workflowId;
  };

  const first = await startWorkerProcess({ address: testAddress(), taskQueue, workspace: ws });
  const pinned = (await runs.start({ runbookId: 'evolving', params: { service: 'checkout' }, trigger })).workflowId;
  const byId = await startById(`evolving-by-id-v1-${taskQueue}`);
  for (const id of [pinned, byId]) {
    const s = await waitingForApproval(id, first);
    expect(s.runbook.version).toBe(version1);
    expect(s.steps.map((x) => x.id)).toEqual(V1_STEPS);
  }

  // The library changes on disk; the worker process restarts and loads version 2.
  ws.writeRunbook('evolving.yaml', v2(target.url));
  const version2 = versionOnDisk();
  expect(version2).not.toBe(version1);
  expect(await first.stop()).toEqual({ code: 0, signal: null });
  const second = await startWorkerProcess({ address: testAddress(), taskQueue, workspace: ws });

  // Runs in flight finish version 1's steps, on the new worker.
  for (const id of [pinned, byId]) {
    const { result, status } = await approveAndFinish(runs, id, second);
    expect(result.phase).toBe('succeeded');
    expect(status.runbook).toEqual({ id: 'evolving', title: 'Evolving runbook, version 1', version: version1 });
    expect(status.steps.map((x) => [x.id, x.state])).toEqual(V1_STEPS.map((x) => [x, 'succeeded']));
    expect(appliedFor(id)).toEqual([[`${id}/restart`, '/v1/restart']]);
  }

  // New runs, by either path, use version 2.
  const fresh = (await runs.start({ runbookId: 'evolving', params: { service: 'checkout' }, trigger })).workflowId;
  const freshById = await startById(`evolving-by-id-v2-${taskQueue}`);
  for (const id of [fresh, freshById]) {
    const s = await waitingForApproval(id, second);
    expect(s.runbook.version).toBe(version2);
    const { result, status } = await approveAndFinish(runs, id, second);
    expect(result.phase).toBe('succeeded');
    expect(status.runbook).toEqual({ id: 'evolving', title: 'Evolving runbook, version 2', version: version2 });
    expect(status.steps.map((x) => [x.id, x.state])).toEqual(V2_STEPS.map((x) => [x, 'succeeded']));
    expect(appliedFor(id)).toEqual([
      [`${id}/drain`, '/v2/drain'],
      [`${id}/restart-v2`, '/v2/restart'],
    ]);
  }
  expect(await second.stop()).toEqual({ code: 0, signal: null });

  // Every finished run's history replays against the current bundle, the one workers load (with
  // the worker's sinks registered, as in production; replay does not call them).
  // The built bundle, with the key the runs were signed with (as the worker process had it).
  const replayOptions = {
    workflowBundle: { code: withSigningKeys(readFileSync(bundlePath(), 'utf8'), TEST_KEYS) },
    sinks: workerSinks(createWorkerMetrics()),
  };
  for (const id of [pinned, byId, fresh, freshById]) {
    const history = await client.workflow.getHandle(id).fetchHistory();
    await expect(Worker.runReplayHistory(replayOptions, history, id)).resolves.toBeUndefined();
  }
}, 240_000);
