/**
 * What every benchmark shares: our own Temporal dev server (in-memory, free port), one client,
 * the two workflow bundles (product and baseline) written to a temp folder, CPU readings, and
 * cleanup of the server, children and temp files however the run ends.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { workflowBundleOptions } from '../../src/worker/bundle-options';
import { startDevServer, type DevServer } from '../../src/devserver/server';
import { stopChild } from '../../src/platform/processes';
import { freePort } from '../../src/platform/ports';

const cleanups: Array<() => unknown> = [];
const children = new Set<ChildProcess>();

/** Runs at the end, newest first. */
export function onCleanup(fn: () => unknown): void {
  cleanups.push(fn);
}

export async function cleanupAll(): Promise<void> {
  while (cleanups.length > 0) {
    const fn = cleanups.pop() as () => unknown;
    try {
      await fn();
    } catch (err) {
      console.error(`cleanup: ${(err as Error).message}`);
    }
  }
}

/** A child process to stop at cleanup if it is still running. */
export function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

onCleanup(() => Promise.all([...children].map((c) => stopChild(c, 5000))));

let interrupted = false;
export const wasInterrupted = (): boolean => interrupted;

/** Ctrl-C or a kill stops the server and children before exiting. */
export function installSignalHandlers(): void {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      interrupted = true;
      console.error(`\nbench: ${signal}, cleaning up`);
      void cleanupAll().finally(() => process.exit(130));
    });
  }
}

export interface BenchEnv {
  server: DevServer;
  connection: NativeConnection;
  client: Client;
  bundles: { product: string; baseline: string };
  tmp: string;
}

const noop = (): void => undefined;
const quietLogger = {
  log: noop,
  trace: noop,
  debug: noop,
  info: noop,
  warn: noop,
  error: (m: string) => console.error(m),
};

async function writeBundle(
  options: { workflowsPath: string; preloadModules?: string[] },
  file: string,
): Promise<string> {
  const { code } = await bundleWorkflowCode({ ...options, logger: quietLogger });
  writeFileSync(file, code);
  return file;
}

export async function setUp(): Promise<BenchEnv> {
  Runtime.install({ logger: new DefaultLogger('WARN'), shutdownSignals: [] });
  const tmp = mkdtempSync(join(tmpdir(), 'runbooks-bench-'));
  onCleanup(() => rmSync(tmp, { recursive: true, force: true }));
  const server = await startDevServer({
    port: await freePort(),
    stdio: 'ignore',
    logLevel: 'error',
    startTimeoutMs: 90_000,
  });
  onCleanup(() => server.stop());
  const connection = await NativeConnection.connect({ address: server.address });
  onCleanup(() => connection.close());
  const clientConnection = await Connection.connect({ address: server.address });
  onCleanup(() => clientConnection.close());
  // The product's compiled workflows (dist/src/workflows), bundled now, as the build bundles them.
  const product = await writeBundle(workflowBundleOptions(), join(tmp, 'product-bundle.js'));
  const baseline = await writeBundle(
    { workflowsPath: require.resolve('./bare-workflows') },
    join(tmp, 'baseline-bundle.js'),
  );
  return {
    server,
    connection,
    client: new Client({ connection: clientConnection }),
    bundles: { product, baseline },
    tmp,
  };
}

let ticksPerSecond: number | undefined;

/** CPU time (user + system, all threads) of another process, in ms, from /proc (10 ms steps); NaN without /proc. */
export function processCpuMs(pid: number): number {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return NaN;
  }
  ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
}

/** CPU time of this process (all threads: JS, workflow threads, the SDK core), in ms. */
export function ownCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface MemorySnapshot {
  rss: number;
  heapUsed: number;
  external: number;
}

/** Memory now, after two full GCs (the process runs with --expose-gc). */
export function memorySnapshot(): MemorySnapshot {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external };
}

/**
 * Runs one side of a benchmark in a fresh process (node --expose-gc `script` with `env`), so
 * neither side inherits the other's heap; resolves with the JSON of its `RESULT {json}` line.
 * Stopped after 15 minutes; its stdin closing (this process gone) makes it exit too.
 */
export function resultChild<T>(script: string, env: Record<string, string>, name: string): Promise<T> {
  const child = track(
    spawn(process.execPath, ['--expose-gc', script], {
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'inherit'],
    }),
  );
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  const timer = setTimeout(() => void stopChild(child, 5000), 15 * 60_000);
  return new Promise((resolve, reject) => {
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (code === 0 && line) resolve(JSON.parse(line.slice(7)) as T);
      else reject(new Error(`${name} exited with ${signal ?? code}${line ? '' : ', no result'}`));
    });
  });
}
