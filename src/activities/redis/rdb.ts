/**
 * The RDB tools the backup actions run as child processes: `redis-cli --rdb`, which copies a
 * server's snapshot as a replica's initial sync gets it (nothing is written on the server), and a
 * scratch `redis-server` on a free loopback port with its own directory, which loads an RDB so it
 * can be read key by key without touching any real server (the consistent view a digest needs).
 *
 * The password reaches redis-cli through REDISCLI_AUTH, never its argv (which `ps` shows), and the
 * children get a minimal environment: the worker's own holds every RUNBOOK_SECRET_*.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { FAILURE } from '../../shared/failures';
import { freePort } from '../../platform/ports';
import { stopChild } from '../../platform/processes';
import { permanent } from '../errors';
import { openRedis, type RedisClient, type RedisEndpoint } from './client';
import { majorVersion, parseInfo, text } from './info';

export interface Scratch {
  /** The scratch server's redis_version (what DUMP payloads, so digests, depend on). */
  version: string;
  /** A connection to one of its databases. */
  open(db: number): Promise<RedisClient>;
  stop(): Promise<void>;
}

export interface RdbTools {
  /** Copies the server's snapshot to `file`; `onProgress` is told the bytes so far. */
  download(
    e: RedisEndpoint,
    file: string,
    o: { label: string; onProgress?: (bytes: number) => void; signal?: AbortSignal },
  ): Promise<void>;
  /** Starts a redis-server loading `<dir>/dump.rdb`; resolves once it answers (loaded). */
  startScratch(dir: string, o: { databases: number; signal?: AbortSignal }): Promise<Scratch>;
}

/** A transfer with no new byte for this long is stuck: killed, retried. */
const STALL_MS = 5 * 60_000;
const LOAD_TIMEOUT_MS = 30 * 60_000;

function minimalEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C', ...extra };
}

const tail = (s: string): string => s.trim().split('\n').slice(-5).join(' | ').slice(-1000);

export function createRdbTools(o: { redisCli?: string; redisServer?: string } = {}): RdbTools {
  const cli = o.redisCli ?? 'redis-cli';
  const serverBin = o.redisServer ?? 'redis-server';
  return {
    async download(e, file, d) {
      const args = ['-h', e.host, '-p', String(e.port)];
      if (e.username !== undefined) args.push('--user', e.username);
      if (e.tls) args.push('--tls', '--sni', e.host);
      args.push('--no-auth-warning', '--rdb', file);
      const child = spawn(cli, args, {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: minimalEnv(e.password !== undefined ? { REDISCLI_AUTH: e.password } : {}),
      });
      let out = '';
      child.stdout?.on('data', (b: Buffer) => (out = (out + b.toString()).slice(-10_000)));
      child.stderr?.on('data', (b: Buffer) => (out = (out + b.toString()).slice(-10_000)));
      let bytes = 0;
      let movedAt = Date.now();
      let stalled = false;
      const poll = setInterval(() => {
        void stat(file)
          .then((s) => {
            if (s.size !== bytes) {
              bytes = s.size;
              movedAt = Date.now();
            }
          })
          .catch(() => undefined)
          .finally(() => {
            d.onProgress?.(bytes);
            if (Date.now() - movedAt > STALL_MS) {
              stalled = true;
              child.kill('SIGKILL');
            }
          });
      }, 1000);
      const onAbort = (): void => void child.kill('SIGKILL');
      d.signal?.addEventListener('abort', onAbort);
      try {
        const code = await exitOf(child);
        if (d.signal?.aborted) throw d.signal.reason ?? new Error('cancelled');
        if (stalled)
          throw ApplicationFailure.retryable(
            `redis-cli --rdb from ${d.label}: no byte for ${STALL_MS / 1000} s`,
            FAILURE.Timeout,
          );
        if (code !== 0 || !/Transfer finished with success/.test(out)) throw cliFailure(d.label, code, out);
        d.onProgress?.((await stat(file)).size);
      } finally {
        clearInterval(poll);
        d.signal?.removeEventListener('abort', onAbort);
      }
    },

    async startScratch(dir, s) {
      const port = await freePort();
      const args = [
        ...['--port', String(port), '--bind', '127.0.0.1', '--protected-mode', 'yes'],
        ...['--dir', dir, '--dbfilename', 'dump.rdb', '--save', '', '--appendonly', 'no'],
        ...['--databases', String(s.databases), '--daemonize', 'no', '--loglevel', 'warning'],
        ...['--maxmemory', '0'],
      ];
      const child = spawn(serverBin, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: minimalEnv() });
      let out = '';
      child.stdout?.on('data', (b: Buffer) => (out = (out + b.toString()).slice(-10_000)));
      child.stderr?.on('data', (b: Buffer) => (out = (out + b.toString()).slice(-10_000)));
      const spawned = new Promise<void>((resolve, reject) => {
        child.once('spawn', () => resolve());
        child.once('error', reject);
      });
      const endpoint: RedisEndpoint = { host: '127.0.0.1', port, db: 0, tls: false };
      const label = `scratch redis-server (127.0.0.1:${port})`;
      const stop = (): Promise<void> => stopChild(child);
      try {
        await spawned;
        const version = await loaded(child, endpoint, label, () => out, s.signal);
        return { version, open: (db) => openRedis({ ...endpoint, db }, label), stop };
      } catch (err) {
        await stop();
        throw err;
      }
    },
  };
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
}

function cliFailure(label: string, code: number | null, out: string): ApplicationFailure {
  const message = `redis-cli --rdb from ${label} failed (exit ${code ?? 'signal'}): ${tail(out) || 'no output'}`;
  if (/NOAUTH|WRONGPASS|NOPERM|AUTH failed/.test(out)) return permanent(message, FAILURE.Forbidden);
  if (/Connection refused/.test(out)) return ApplicationFailure.create({ message, type: 'ECONNREFUSED' });
  return ApplicationFailure.create({ message, type: 'Error', nonRetryable: false });
}

/** Waits until the scratch server answers INFO with `loading:0`; its redis_version. */
async function loaded(
  child: ChildProcess,
  e: RedisEndpoint,
  label: string,
  output: () => string,
  signal?: AbortSignal,
): Promise<string> {
  const deadline = Date.now() + LOAD_TIMEOUT_MS;
  for (;;) {
    if (signal?.aborted) throw signal.reason ?? new Error('cancelled');
    if (child.exitCode !== null || child.signalCode !== null)
      // A file that passed its sha256 check but will not load: made by a newer Redis, or not an RDB.
      throw permanent(
        `${label} could not load the RDB (exit ${child.exitCode ?? child.signalCode}): ${tail(output())}`,
        FAILURE.InvalidInput,
      );
    if (Date.now() > deadline) throw ApplicationFailure.retryable(`${label} did not finish loading`, FAILURE.Timeout);
    try {
      const c = await openRedis(e, label);
      try {
        const f = parseInfo(await c.info('server').then(async (s) => s + (await c.info('persistence'))));
        if (text(f, 'loading') === '0' && majorVersion(f) > 0) return text(f, 'redis_version');
      } finally {
        await c.close();
      }
    } catch {
      // not listening yet, or LOADING: ask again
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Where the RDB goes in a temp dir (the scratch server's `--dir` and `--dbfilename`). */
export const rdbPath = (dir: string): string => join(dir, 'dump.rdb');

/** Runs `fn` with a fresh temp dir under `root`, removed however `fn` ends (cancelled too). */
export async function withTempDir<T>(root: string | undefined, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(root ?? tmpdir(), 'redis-backup-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Runs `fn` on a started scratch server, stopped however `fn` ends. */
export async function withScratch<T>(s: Scratch, fn: (s: Scratch) => Promise<T>): Promise<T> {
  try {
    return await fn(s);
  } finally {
    await s.stop();
  }
}

/** How many databases a scratch server needs to load an RDB holding these (Redis' default is 16). */
export const scratchDatabases = (dbs: ReadonlyArray<{ db: number }>): number =>
  Math.max(16, ...dbs.map((d) => d.db + 1));
