/**
 * `npm start`'s process as a newcomer runs it: the embedded dev server with a SQLite file, the Web
 * UI, the worker and the API; a run with an approval finishes; Ctrl-C stops everything; the run is
 * still there after a restart. Also: with TEMPORAL_ADDRESS it starts no server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../src/platform/project-root';
import { freePort } from '../../src/platform/ports';
import { testAddress } from '../support/temporal';
import { waitFor } from '../support/wait';

const root = projectRoot();
const dataDir = mkdtempSync(join(tmpdir(), 'runbooks-e2e-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

interface Started {
  child: ChildProcess;
  output: () => string;
  api: string;
  exited: Promise<number | null>;
}

async function startProduct(env: Record<string, string>): Promise<Started> {
  const apiPort = await freePort();
  const child = spawn('node', ['dist/src/main.js'], {
    cwd: root,
    env: {
      ...process.env,
      RUNBOOKS_API_PORT: String(apiPort),
      RUNBOOKS_WORKER_METRICS_PORT: String(await freePort()),
      RUNBOOKS_DATA_DIR: dataDir,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // Wait for the "ready" line, not for a fixed time; an early exit ends the wait at once. The bound
  // is generous: this starts a dev server, the Web UI, the worker and the API on two cores.
  const ready = (): boolean => out.includes('Ctrl-C stops everything.');
  try {
    await waitFor('npm start to print its ready line', () => ready() || child.exitCode !== null, {
      timeoutMs: 40_000,
      detail: () => `output so far:\n${out}`,
    });
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  if (!ready()) throw new Error(`npm start exited early (${child.exitCode}):\n${out}`);
  return { child, output: () => out, api: `http://127.0.0.1:${apiPort}`, exited };
}

async function call(
  base: string,
  method: string,
  path: string,
  token?: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

test('embedded default: run with approval, Web UI, clean Ctrl-C, runs survive a restart', async () => {
  const [port, uiPort] = [await freePort(), await freePort()];
  const env = { TEMPORAL_PORT: String(port), TEMPORAL_UI_PORT: String(uiPort) };
  const first = await startProduct(env);
  let workflowId: string;
  try {
    expect(first.output()).toContain(`Web UI:      http://localhost:${uiPort}`);
    expect(first.output()).toContain(`HTTP API:    ${first.api}`);
    const ui = await fetch(`http://127.0.0.1:${uiPort}/`);
    expect(ui.status).toBe(200);
    expect(await ui.text()).toContain('<html');

    const started = await call(first.api, 'POST', '/v1/runs', 'dev-alice-operator', {
      runbook: 'hello-runbook',
      params: { url: first.api },
    });
    expect(started.status).toBe(201);
    workflowId = started.json.workflowId as string;
    expect(started.json.url).toBe(`http://localhost:${uiPort}/namespaces/default/workflows/${workflowId}`);
    await waitFor(`run ${workflowId} waiting for approval`, async () => {
      const r = await call(first.api, 'GET', `/v1/runs/${workflowId}`, 'dev-viewer-token');
      return (r.json.run as { phase?: string } | null)?.phase === 'waiting_approval';
    });
    const decided = await call(first.api, 'POST', `/v1/runs/${workflowId}/approvals`, 'dev-bob-approver', {
      stepId: 'approve',
      decision: 'approve',
    });
    expect(decided.json).toMatchObject({ outcome: 'approved' });
    const done = await waitFor(`run ${workflowId} completed`, async () => {
      const r = await call(first.api, 'GET', `/v1/runs/${workflowId}`, 'dev-viewer-token');
      return r.json.status === 'COMPLETED' && r.json;
    });
    expect(done.run).toMatchObject({ phase: 'succeeded' });
  } finally {
    first.child.kill('SIGINT');
  }
  expect(await first.exited).toBe(0);
  expect(first.output()).toContain('[durable-runbooks] stopped.');

  // The SQLite file keeps the run across a restart.
  const second = await startProduct(env);
  try {
    const r = await call(second.api, 'GET', `/v1/runs/${workflowId}`, 'dev-viewer-token');
    expect(r.json).toMatchObject({ status: 'COMPLETED', run: { phase: 'succeeded' } });
  } finally {
    second.child.kill('SIGTERM');
  }
  expect(await second.exited).toBe(0);
});

test('with TEMPORAL_ADDRESS it uses that Temporal and starts no server', async () => {
  const p = await startProduct({ TEMPORAL_ADDRESS: testAddress(), RUNBOOKS_TASK_QUEUE: `e2e-${Date.now()}` });
  try {
    expect(p.output()).not.toContain('starting Temporal dev server');
    expect(p.output()).toContain(`Temporal:    ${testAddress()}`);
    expect((await call(p.api, 'GET', '/readyz')).json).toEqual({ status: 'ready' });
  } finally {
    p.child.kill('SIGINT');
  }
  expect(await p.exited).toBe(0);
});
