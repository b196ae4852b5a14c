/**
 * The embedded default: `temporal server start-dev` with a SQLite file (WAL), the Web UI and the
 * product's search attributes, started as a child process with our own start timeout (the SDK's
 * built-in 5 s is too short on 2 cores).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTE_REGISTRATIONS } from '../shared/constants';
import { temporalCliPath } from './cli';
import { stopChild } from '../platform/processes';

export interface DevServerOptions {
  port: number;
  /** Web UI port; omit for a headless server (tests). */
  uiPort?: number;
  /** SQLite file; omit for in-memory. */
  dbFile?: string;
  namespace?: string;
  /** @default 60000 */
  startTimeoutMs?: number;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** Where the server's output goes. @default 'inherit' */
  stdio?: 'inherit' | 'ignore' | 'pipe';
  extraArgs?: string[];
}

export interface DevServer {
  address: string;
  uiUrl?: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export function devServerArgs(o: DevServerOptions): string[] {
  return [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(o.port),
    ...(o.uiPort ? ['--ui-port', String(o.uiPort), '--ui-disable-news-fetch'] : ['--headless']),
    ...(o.dbFile
      ? ['--db-filename', o.dbFile, '--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=2']
      : []),
    ...(o.namespace && o.namespace !== 'default' ? ['--namespace', o.namespace] : []),
    ...SEARCH_ATTRIBUTE_REGISTRATIONS.flatMap((a) => ['--search-attribute', `${a.name}=${a.type}`]),
    // Offline machines: no version check calls out.
    '--dynamic-config-value',
    'frontend.enableServerVersionCheck=false',
    // The dev server re-reads search-attribute definitions on every use (so attributes added later
    // show at once); ours are registered by the flags above before anything runs, so it may cache
    // them as a production server does: a Phase write in a workflow task then costs no extra read.
    '--dynamic-config-value',
    'system.forceSearchAttributesCacheRefreshOnRead=false',
    '--log-level',
    o.logLevel ?? 'error',
    ...(o.extraArgs ?? []),
  ];
}

export async function startDevServer(o: DevServerOptions): Promise<DevServer> {
  const cli = temporalCliPath();
  if (o.dbFile) mkdirSync(dirname(o.dbFile), { recursive: true });
  const child = spawn(cli, devServerArgs(o), { stdio: o.stdio ?? 'inherit', detached: false });
  const address = `127.0.0.1:${o.port}`;
  let exited: string | undefined;
  child.once('exit', (code, signal) => {
    exited = `exited with ${signal ?? `code ${code}`}`;
  });
  const stop = () => stopChild(child);
  try {
    await waitUntilServing(address, o.startTimeoutMs ?? 60_000, () => exited);
  } catch (err) {
    await stop();
    throw err;
  }
  return { address, ...(o.uiPort ? { uiUrl: `http://localhost:${o.uiPort}` } : {}), process: child, stop };
}

async function waitUntilServing(address: string, timeoutMs: number, exited: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'not started';
  while (Date.now() < deadline) {
    const why = exited();
    if (why) throw new Error(`Temporal dev server ${why} before serving on ${address} (is the port in use?)`);
    try {
      const conn = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await conn.workflowService.getSystemInfo({});
        return;
      } finally {
        await conn.close();
      }
    } catch (err) {
      last = (err as Error).message;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error(`Temporal dev server did not serve on ${address} within ${timeoutMs} ms (last error: ${last})`);
}
