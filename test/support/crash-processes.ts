/**
 * Real processes for crash tests: the product's standalone worker (`node dist/src/worker/main.js`,
 * as deployed) and Temporal dev servers on a SQLite file. Every process started here is tracked,
 * so a test file's afterAll can end them all, by their handles, whatever happened in the tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { projectRoot } from '../../src/platform/project-root';
import { startDevServer, type DevServer } from '../../src/devserver/server';
import { freePort } from '../../src/platform/ports';
import { statusQuery } from '../../src/shared/messages';
import type { RunStatus } from '../../src/shared/status';
import { waitFor } from './wait';
import { TEST_KEYS_ENV } from './signing';

const started = new Set<ChildProcess>();
const servers = new Set<DevServer>();

// The shared poll (./wait), re-exported because api-process.ts and monitoring.ts import it from here;
// new code imports it from ./wait.
export { waitFor };

/** Bounds a promise: rejects with a message naming what did not happen in time. */
export async function within<T>(what: string, ms: number, p: Promise<T>, detail?: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`timed out after ${ms} ms waiting for ${what}${detail ? `\n${detail()}` : ''}`)),
      ms,
    );
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The run's own status, with a short deadline (no worker answering must not hang the poll). */
export function queryStatus(client: Client, handle: WorkflowHandle, deadlineMs = 3000): Promise<RunStatus> {
  return client.connection.withDeadline(Date.now() + deadlineMs, () => handle.query(statusQuery));
}

/** A temp folder holding a runbook library and a worker config without tokens. */
export interface Workspace {
  dir: string;
  runbooksDir: string;
  configPath: string;
  /** Writes (or replaces) one runbook file in the library. */
  writeRunbook(file: string, yaml: string): void;
  remove(): void;
}

export function makeWorkspace(prefix: string): Workspace {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  const runbooksDir = join(dir, 'runbooks');
  mkdirSync(runbooksDir);
  const configPath = join(dir, 'config.yaml');
  // The worker authenticates nobody: its config holds no tokens (and no notify targets).
  writeFileSync(configPath, 'notify:\n  webhooks: {}\n');
  return {
    dir,
    runbooksDir,
    configPath,
    writeRunbook: (file, yaml) => writeFileSync(join(runbooksDir, file), yaml),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface WorkerProcess {
  child: ChildProcess;
  pid: number;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves when it has exited, with its exit code or signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  running(): boolean;
  /** Its /metrics (product metrics plus the Temporal SDK's). */
  metricsUrl: string;
  /** Hard kill, as a crash or an OOM killer would: no drain, no goodbye to the server. */
  kill9(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Graceful stop (SIGTERM): the worker drains and exits. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface WorkerProcessOptions {
  address: string;
  taskQueue: string;
  workspace: Workspace;
  /** @default 60000 */
  readyTimeoutMs?: number;
}

/** Starts the standalone worker process and waits until it says it polls. */
export async function startWorkerProcess(o: WorkerProcessOptions): Promise<WorkerProcess> {
  // Only what this test sets reaches the worker: no Temporal or product settings from the outer env.
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(TEMPORAL_|RUNBOOK)/.test(k)));
  const metricsPort = await freePort();
  const child = spawn(process.execPath, ['dist/src/worker/main.js'], {
    cwd: projectRoot(),
    env: {
      ...inherited,
      TEMPORAL_ADDRESS: o.address,
      RUNBOOKS_TASK_QUEUE: o.taskQueue,
      RUNBOOKS_DIR: o.workspace.runbooksDir,
      RUNBOOKS_WORKER_METRICS_PORT: String(metricsPort),
      RUNBOOKS_CONFIG: o.workspace.configPath,
      RUNBOOK_SIGNING_KEYS: TEST_KEYS_ENV,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.add(child);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      started.delete(child);
      resolve({ code, signal });
    }),
  );
  const running = (): boolean => child.exitCode === null && child.signalCode === null;
  const signal = async (s: NodeJS.Signals) => {
    if (running()) child.kill(s);
    return within(`worker ${child.pid} to exit after ${s}`, 20_000, exited, () => out);
  };
  const wp: WorkerProcess = {
    child,
    pid: child.pid as number,
    output: () => out,
    exited,
    running,
    metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
    kill9: () => signal('SIGKILL'),
    stop: () => signal('SIGTERM'),
  };
  // Ready when it says it polls; an early exit ends the wait at once rather than at the bound.
  const polling = (): boolean => out.includes(`[worker] polling '${o.taskQueue}'`);
  await waitFor(`worker process on '${o.taskQueue}' to poll`, () => polling() || !running(), {
    timeoutMs: o.readyTimeoutMs ?? 60_000,
    detail: () => `worker output:\n${out}`,
  }).catch(async (err: unknown) => {
    await wp.kill9();
    throw err;
  });
  if (!running()) throw new Error(`worker exited early (${child.exitCode ?? child.signalCode}); output:\n${out}`);
  return wp;
}

/**
 * Failed long polls the worker counted (the SDK's `temporal_long_request_failure_total` on the
 * worker's own /metrics): how a test knows the worker noticed its server was gone.
 */
export async function failedPolls(worker: WorkerProcess, taskQueue: string): Promise<number> {
  const text = await (await fetch(worker.metricsUrl, { signal: AbortSignal.timeout(3000) })).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith('temporal_long_request_failure_total{') || !line.includes(`task_queue="${taskQueue}"`))
      continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

export interface ServerProcess {
  server: DevServer;
  output(): string;
  running(): boolean;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** A headless dev server on `port` over the SQLite file `dbFile` (created, or reopened as it was). */
export async function startServerProcess(o: { port: number; dbFile: string }): Promise<ServerProcess> {
  const server = await startDevServer({
    port: o.port,
    dbFile: o.dbFile,
    stdio: 'pipe',
    logLevel: 'error',
    startTimeoutMs: 90_000,
  });
  servers.add(server);
  let out = '';
  server.process.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  server.process.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    if (server.process.exitCode !== null || server.process.signalCode !== null)
      resolve({ code: server.process.exitCode, signal: server.process.signalCode });
    server.process.once('exit', (code, signal) => resolve({ code, signal }));
  });
  void exited.then(() => servers.delete(server));
  return {
    server,
    output: () => out,
    running: () => server.process.exitCode === null && server.process.signalCode === null,
    exited,
  };
}

/** Ends every process this module started that is still running: workers by SIGKILL, servers by stop(). */
export async function endStartedProcesses(): Promise<void> {
  const workers = [...started].map(
    (child) =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  );
  await Promise.all([...workers, ...[...servers].map((s) => s.stop().catch(() => undefined))]);
}
