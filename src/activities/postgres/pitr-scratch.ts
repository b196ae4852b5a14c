/**
 * Scratch clusters: a PostgreSQL data directory under `<workDir>/pitr/<name>/` made by
 * pg:pitr:restore, started on a loopback port, and removed by pg:scratch:remove. What exists is
 * what `state.json` says, written by the worker beside the data: a restore's retry reads it first
 * (the same step finds its cluster; a half-made one is stopped and wiped, never started twice),
 * and only a folder holding a state file is ever removed, so nothing else under workDir is.
 *
 * One attempt at a time per name: a lock file naming the process, taken over only when that
 * process is gone (a worker that crashed), so an attempt whose heartbeat lapsed and its retry
 * never work on one cluster together.
 */
import { existsSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { FAILURE } from '../../shared/failures';
import { permanent } from '../errors';
import type { PgClient, PgConnect } from './client';
import { pgFailure } from './errors';
import { MAX_SOCKET_PATH, SAFE_PATH } from './pitr-layout';
import { pgProgram, runCommand, type OsUser } from './pitr-spawn';

export interface ScratchState {
  name: string;
  /** The step that made it (its idempotency key): a retry of that step finds it. */
  stepKey: string;
  phase: 'recovering' | 'ready';
  port: number;
  /** The address it listens on (absent in a state written before there was a choice: loopback). */
  listen?: string;
  majorVersion: number;
  superuser: string;
  dbname: string;
  backupId: string;
  targetTime: string;
  /** The restore's result once ready, answered again to a retry. */
  result?: Record<string, unknown>;
  createdAt: string;
}

export interface ScratchPaths {
  root: string;
  dir: string;
  data: string;
  sock: string;
  fetch: string;
  fetchSock: string;
  log: string;
  state: string;
  lock: string;
}

export function scratchRoot(workDir: string | undefined): string {
  return join(workDir ?? tmpdir(), 'pitr');
}

export function scratchPaths(workDir: string | undefined, name: string): ScratchPaths {
  const root = scratchRoot(workDir);
  const dir = join(root, name);
  const p = {
    root,
    dir,
    data: join(dir, 'data'),
    sock: join(dir, 'sock'),
    fetch: join(dir, 'fetch'),
    fetchSock: join(dir, 'fetch.sock'),
    log: join(dir, 'postgres.log'),
    state: join(dir, 'state.json'),
    lock: join(root, `${name}.lock`),
  };
  // They go into restore_command's shell line and into sockaddr_un.
  if (!SAFE_PATH.test(dir))
    throw permanent(`postgres.workDir '${root}' has characters a restore_command cannot carry`, FAILURE.InvalidInput);
  if (join(p.sock, '.s.PGSQL.65535.lock').length > MAX_SOCKET_PATH || p.fetchSock.length > MAX_SOCKET_PATH)
    throw permanent(`postgres.workDir '${root}' is too long for a Unix socket path`, FAILURE.InvalidInput);
  return p;
}

export async function readState(p: ScratchPaths): Promise<ScratchState | undefined> {
  try {
    return JSON.parse(await readFile(p.state, 'utf8')) as ScratchState;
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return undefined;
    throw err;
  }
}

export async function writeState(p: ScratchPaths, s: ScratchState): Promise<void> {
  const temp = `${p.state}.tmp`;
  await writeFile(temp, JSON.stringify(s, null, 2), { mode: 0o600 });
  await rename(temp, p.state);
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM';
  }
};

const held = new Set<string>();

/** Holds the name's lock for `fn`; a live holder is a retryable failure (the other attempt finishes or dies). */
export async function withScratchLock<T>(p: ScratchPaths, fn: () => Promise<T>): Promise<T> {
  await mkdir(p.root, { recursive: true, mode: 0o755 });
  if (held.has(p.lock)) throw new Error(`another attempt in this worker is working on scratch cluster ${p.dir}`);
  try {
    const f = await open(p.lock, 'wx');
    await f.writeFile(String(process.pid));
    await f.close();
  } catch (err) {
    if ((err as { code?: string }).code !== 'EEXIST') throw err;
    const pid = Number(await readFile(p.lock, 'utf8').catch(() => '0'));
    if (pid && pid !== process.pid && alive(pid))
      throw new Error(`process ${pid} is working on scratch cluster ${p.dir}; retrying later`);
    await writeFile(p.lock, String(process.pid));
  }
  held.add(p.lock);
  try {
    return await fn();
  } finally {
    held.delete(p.lock);
    await rm(p.lock, { force: true });
  }
}

/** The postmaster's pid if one runs on the data directory. */
export async function postmasterPid(p: ScratchPaths): Promise<number | undefined> {
  const text = await readFile(join(p.data, 'postmaster.pid'), 'utf8').catch(() => '');
  const pid = Number(text.split('\n')[0]);
  return pid > 0 && alive(pid) ? pid : undefined;
}

/** Stops the scratch server if it runs: fast (sessions ended, a checkpoint), else immediate. */
export async function stopScratch(p: ScratchPaths, major: number, as: OsUser | undefined, binDir?: string) {
  if (!(await postmasterPid(p))) return false;
  const ctl = pgProgram('pg_ctl', major, binDir);
  const stop = (mode: string) =>
    runCommand({ cmd: ctl, args: ['-D', p.data, '-m', mode, '-w', '-t', '60', 'stop'], ...(as ? { as } : {}) });
  await stop('fast').catch(() => stop('immediate'));
  return true;
}

/** Stops and deletes a scratch cluster; only a folder with a state file (one we made). */
export async function removeScratch(p: ScratchPaths, as: OsUser | undefined, binDir?: string): Promise<boolean> {
  const s = await readState(p);
  if (!s && !existsSync(p.dir)) return false;
  if (!s && existsSync(join(p.dir, 'data', 'PG_VERSION')))
    throw permanent(
      `${p.dir} holds a data directory without a scratch state file: not ours to remove`,
      FAILURE.InvalidInput,
    );
  if (s) await stopScratch(p, s.majorVersion, as, binDir);
  await rm(p.dir, { recursive: true, force: true });
  return true;
}

/** A connection to a scratch cluster over its private socket, as the backup's bootstrap superuser. */
export async function connectScratch(p: ScratchPaths, s: ScratchState, dbname?: string): Promise<PgClient> {
  const client = new Client({
    host: p.sock,
    port: s.port,
    user: s.superuser,
    database: dbname ?? s.dbname,
    application_name: 'durable-runbooks-pitr',
    connectionTimeoutMillis: 10_000,
    statement_timeout: 30_000,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    return pgFailure(err, `connect to scratch cluster ${s.name}`);
  }
  return {
    async query(sql, params = []) {
      const r = await client.query({ text: sql, values: [...params], rowMode: 'array' });
      return { columns: r.fields.map((f) => f.name), rows: r.rows as unknown[][] };
    },
    end: () => client.end(),
  };
}

/** PgConnect by scratch name, for the smoke query (pg:scratch:query); NotFound unless ready. */
export function scratchConnect(workDir: string | undefined): PgConnect {
  return async (name, o = {}) => {
    const p = scratchPaths(workDir, name);
    const s = await readState(p);
    if (!s || s.phase !== 'ready')
      throw permanent(
        `no ready scratch cluster '${name}' under ${p.root} (pg:pitr:restore makes one)`,
        FAILURE.NotFound,
      );
    return connectScratch(p, s, o.dbname);
  };
}
