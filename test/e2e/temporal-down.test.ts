/**
 * Temporal down at start (issue 10, item 8): the standalone API and worker, started against a port
 * where nothing listens, stay up and retry; /healthz says alive, /readyz says why not ready, routes
 * that need Temporal answer 503; once a Temporal server comes up on that port both carry on without
 * a restart (a run started through the API completes on the worker). SIGTERM while retrying exits 0.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../src/platform/ports';
import { projectRoot } from '../../src/platform/project-root';
import { startApiProcess, type ApiProcess } from '../support/api-process';
import { endStartedProcesses, makeWorkspace, startServerProcess, type Workspace } from '../support/crash-processes';
import { TEST_KEYS_ENV } from '../support/signing';
import { waitFor } from '../support/wait';

jest.setTimeout(180_000);

const TOKENS = { alice: 'down-alice-operator', viewer: 'down-viewer' };
let ws: Workspace;

beforeAll(() => {
  ws = makeWorkspace('temporal-down');
  ws.writeRunbook('tiny.yaml', 'id: tiny\ntitle: Tiny\nsteps:\n  - id: w\n    wait: 1s\n');
  // The API's tokens; the worker loads the same file without them.
  writeFileSync(
    ws.configPath,
    [
      'auth:',
      '  tokens:',
      `    - { identity: alice, roles: [operator], token: ${TOKENS.alice} }`,
      `    - { identity: viewer, roles: [viewer], token: ${TOKENS.viewer} }`,
      'notify:',
      '  webhooks: {}',
      '',
    ].join('\n'),
  );
});

afterAll(async () => {
  await endStartedProcesses();
  ws.remove();
});

/** The standalone worker, not waited for: it is started before its Temporal on purpose. */
function spawnWorker(address: string, metricsPort: number, taskQueue: string) {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(TEMPORAL_|RUNBOOK)/.test(k)));
  const child = spawn(process.execPath, ['dist/src/worker/main.js'], {
    cwd: projectRoot(),
    env: {
      ...inherited,
      TEMPORAL_ADDRESS: address,
      RUNBOOKS_TASK_QUEUE: taskQueue,
      RUNBOOKS_DIR: ws.runbooksDir,
      RUNBOOKS_CONFIG: ws.configPath,
      RUNBOOKS_DATA_DIR: join(ws.dir, 'worker-data'),
      RUNBOOKS_WORKER_METRICS_PORT: String(metricsPort),
      RUNBOOK_SIGNING_KEYS: TEST_KEYS_ENV,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stop = async (): Promise<number | null> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    return exited;
  };
  return { output: () => out, exited, stop, readyz: `http://127.0.0.1:${metricsPort}/readyz` };
}

function startApi(address: string, port: number, taskQueue: string): Promise<ApiProcess> {
  return startApiProcess({
    address,
    port,
    until: 'alive',
    env: {
      RUNBOOKS_CONFIG: ws.configPath,
      RUNBOOKS_DIR: ws.runbooksDir,
      RUNBOOKS_TASK_QUEUE: taskQueue,
      RUNBOOKS_DATA_DIR: join(ws.dir, 'api-data'),
    },
  });
}

async function get(url: string, token?: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function startRun(api: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${api}/v1/runs`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKENS.alice}`, 'content-type': 'application/json' },
    body: JSON.stringify({ runbook: 'tiny' }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const RETRYING = /, retrying \(attempt \d+, next in \d+\.\ds\)$/;

test('API and worker started before Temporal retry, say why, and work once it answers', async () => {
  const temporalPort = await freePort();
  const address = `127.0.0.1:${temporalPort}`;
  const taskQueue = `temporal-down-${Date.now()}`;
  const api = await startApi(address, await freePort(), taskQueue);
  const worker = spawnWorker(address, await freePort(), taskQueue);
  try {
    expect(await get(`${api.url}/healthz`)).toEqual({ status: 200, body: { status: 'ok' } });
    const apiWhy = await waitFor('the API to say Temporal is unreachable', async () => {
      const r = await get(`${api.url}/readyz`);
      return r.status === 503 && typeof r.body.temporal === 'string' && r.body.temporal.startsWith('unreachable:') && r;
    });
    expect(apiWhy.body.status).toBe('unavailable');
    expect(apiWhy.body.temporal).toMatch(new RegExp(`^unreachable: connect ECONNREFUSED ${address}${RETRYING.source}`));
    const workerWhy = await waitFor(
      'the worker to say Temporal is unreachable',
      async () => {
        const r = await get(worker.readyz).catch(() => undefined);
        return r?.status === 503 && String(r.body.temporal).startsWith('unreachable:') && r;
      },
      { timeoutMs: 30_000, detail: worker.output },
    );
    expect(workerWhy.body.temporal).toMatch(
      new RegExp(`^unreachable: tcp connect error: Connection refused${RETRYING.source}`),
    );

    // A route that needs Temporal answers 503 with a JSON error, at once; one that does not still works.
    const refused = await startRun(api.url);
    expect(refused.status).toBe(503);
    expect(refused.body.error).toMatch(/^not ready yet: Temporal unreachable: connect ECONNREFUSED/);
    expect((await get(`${api.url}/v1/runbooks`, TOKENS.viewer)).status).toBe(200);

    // One line per failed attempt, naming the address and the reason; no stack traces.
    expect(api.output()).toContain(`[api] Temporal at ${address} unreachable (attempt 1): connect ECONNREFUSED`);
    expect(worker.output()).toContain(
      `[worker] Temporal at ${address} unreachable (attempt 1): tcp connect error: Connection refused; retrying in`,
    );
    for (const out of [api.output(), worker.output()]) expect(out).not.toMatch(/^\s+at /m);

    await startServerProcess({ port: temporalPort, dbFile: join(ws.dir, 'temporal.sqlite') });

    // Backoff is capped at 30 s: both notice within one more attempt.
    await waitFor('the API to be ready', async () => (await get(`${api.url}/readyz`)).status === 200, {
      timeoutMs: 60_000,
      detail: api.output,
    });
    await waitFor('the worker to be ready', async () => (await get(worker.readyz)).status === 200, {
      timeoutMs: 60_000,
      detail: worker.output,
    });
    expect(worker.output()).toContain(`[worker] polling '${taskQueue}' on ${address}`);
    const started = await startRun(api.url);
    expect(started.status).toBe(201);
    const id = encodeURIComponent(started.body.workflowId as string);
    const done = await waitFor(
      'the run to complete on the worker',
      async () => {
        const r = await get(`${api.url}/v1/runs/${id}`, TOKENS.viewer);
        return r.body.status === 'COMPLETED' && r;
      },
      { timeoutMs: 30_000, detail: () => `${api.output()}\n${worker.output()}` },
    );
    expect(done.body.status).toBe('COMPLETED');
  } finally {
    await worker.stop();
    await api.stop();
  }
});

test('SIGTERM while retrying: both processes exit at once, with 0', async () => {
  const address = `127.0.0.1:${await freePort()}`;
  const api = await startApi(address, await freePort(), 'never');
  const worker = spawnWorker(address, await freePort(), 'never');
  await waitFor('both to have failed an attempt', () =>
    [api.output(), worker.output()].every((out) => out.includes('unreachable (attempt 1)')),
  );
  expect(await worker.stop()).toBe(0);
  expect(worker.output()).toContain('[worker] stopped before reaching Temporal');
  await api.stop();
  expect(api.exitCode()).toBe(0);
});

test('npm start against a TEMPORAL_ADDRESS that does not answer: the API says why; SIGTERM exits 0', async () => {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(TEMPORAL_|RUNBOOK)/.test(k)));
  const [temporalPort, apiPort, metricsPort] = [await freePort(), await freePort(), await freePort()];
  const child = spawn(process.execPath, ['dist/src/main.js'], {
    cwd: projectRoot(),
    env: {
      ...inherited,
      TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`,
      RUNBOOKS_API_PORT: String(apiPort),
      RUNBOOKS_WORKER_METRICS_PORT: String(metricsPort),
      RUNBOOKS_CONFIG: ws.configPath,
      RUNBOOKS_DIR: ws.runbooksDir,
      RUNBOOKS_DATA_DIR: join(ws.dir, 'start-data'),
      RUNBOOK_SIGNING_KEYS: TEST_KEYS_ENV,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    const why = await waitFor(
      'npm start to say Temporal is unreachable',
      async () => {
        const r = await get(`http://127.0.0.1:${apiPort}/readyz`).catch(() => undefined);
        return r?.status === 503 && String(r.body.temporal).startsWith('unreachable:') && r;
      },
      { timeoutMs: 30_000, detail: () => out },
    );
    expect(why.body.temporal).toMatch(
      new RegExp(`^unreachable: tcp connect error: Connection refused${RETRYING.source}`),
    );
    // The worker's /readyz (on its metrics port) says the same (its wait counts down apart).
    expect((await get(`http://127.0.0.1:${metricsPort}/readyz`)).body).toEqual({
      status: 'unavailable',
      temporal: expect.stringMatching(
        new RegExp(`^unreachable: tcp connect error: Connection refused${RETRYING.source}`),
      ),
    });
  } finally {
    child.kill('SIGTERM');
  }
  expect(await exited).toBe(0);
  expect(out).toContain('stopped.');
});
