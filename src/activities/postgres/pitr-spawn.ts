/**
 * Child processes for point-in-time recovery (pg_basebackup, tar, pg_ctl): each in its own process
 * group, so a cancel stops it and anything it forked; optionally as another OS user, because
 * initdb, pg_ctl and postgres refuse to run as root and a root worker runs them as `postgres`.
 * Secrets go in the environment, never in argv (world-readable in /proc).
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ApplicationFailure } from '@temporalio/common';
import { FAILURE } from '../../shared/failures';

export interface OsUser {
  uid: number;
  gid: number;
  name: string;
}

export interface CommandRun {
  cmd: string;
  args: string[];
  env?: Record<string, string>;
  cwd?: string;
  as?: OsUser;
  signal?: AbortSignal;
}

const STDERR_KEEP = 4_000;

/** Runs a command to its end; its stdout (bounded) back, or rejects with its status and stderr's tail. */
export function runCommand(run: CommandRun, o: { stdoutMax?: number } = {}): Promise<string> {
  const max = o.stdoutMax ?? 1024 * 1024;
  return new Promise((resolve, reject) => {
    if (run.signal?.aborted) return reject(run.signal.reason ?? new Error(`${run.cmd}: cancelled`));
    const child = spawn(run.cmd, run.args, {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C', ...run.env },
      ...(run.cwd ? { cwd: run.cwd } : {}),
      ...(run.as ? { uid: run.as.uid, gid: run.as.gid } : {}),
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      if (out.length < max) out += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      err = (err + d).slice(-STDERR_KEEP);
    });
    const killGroup = (sig: NodeJS.Signals): void => {
      try {
        if (child.pid) process.kill(-child.pid, sig);
      } catch {
        // already gone
      }
    };
    const onAbort = (): void => {
      killGroup('SIGTERM');
      setTimeout(() => killGroup('SIGKILL'), 2_000).unref();
    };
    run.signal?.addEventListener('abort', onAbort, { once: true });
    child.once('error', (e) => {
      run.signal?.removeEventListener('abort', onAbort);
      reject(
        (e as { code?: string }).code === 'ENOENT'
          ? ApplicationFailure.nonRetryable(
              `${run.cmd} is not installed on the worker (install PostgreSQL's server package, or set postgres.binDir)`,
              FAILURE.NotFound,
            )
          : e,
      );
    });
    child.once('close', (status, sig) => {
      run.signal?.removeEventListener('abort', onAbort);
      if (run.signal?.aborted) return reject(run.signal.reason ?? new Error(`${run.cmd}: cancelled`));
      if (status === 0) return resolve(out);
      reject(
        new Error(
          `${run.cmd} exited with ${sig ?? `status ${status}`}: ${err.trim().split('\n').slice(-5).join(' | ')}`,
        ),
      );
    });
  });
}

const exec = promisify(execFile);

/** Who runs the server binaries: `postgres` when the worker is root (they refuse root), else the worker itself. */
export async function serverUser(): Promise<OsUser | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const [uid, gid] = await Promise.all([exec('id', ['-u', 'postgres']), exec('id', ['-g', 'postgres'])]);
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()), name: 'postgres' };
  } catch {
    throw ApplicationFailure.nonRetryable(
      'the worker runs as root and there is no `postgres` OS user to run the scratch server as',
      FAILURE.NotFound,
    );
  }
}

/**
 * A PostgreSQL program of the given major version: `binDir` when configured, else the
 * distributions' versioned folders (Debian /usr/lib/postgresql/<major>/bin, PGDG RPM
 * /usr/pgsql-<major>/bin: a scratch server must be the backup's major version), else the PATH.
 */
export function pgProgram(tool: string, major: number, binDir?: string): string {
  if (binDir) return join(binDir, tool);
  for (const dir of [`/usr/lib/postgresql/${major}/bin`, `/usr/pgsql-${major}/bin`])
    if (existsSync(join(dir, tool))) return join(dir, tool);
  return tool;
}

/** A client tool at least the server's major version (pg_basebackup refuses older servers' newer protocol). */
export function clientProgram(tool: string, major: number, binDir?: string): string {
  if (binDir) return join(binDir, tool);
  const exact = pgProgram(tool, major);
  if (exact !== tool) return exact;
  const root = '/usr/lib/postgresql';
  const newer = existsSync(root)
    ? readdirSync(root)
        .filter((m) => Number(m) >= major && existsSync(join(root, m, 'bin', tool)))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  return newer[0] ? join(root, newer[0], 'bin', tool) : tool;
}
