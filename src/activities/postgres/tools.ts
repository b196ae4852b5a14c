/**
 * PostgreSQL's own client tools (pg_dump, pg_restore) as child processes: the connection in
 * libpq's environment variables, so the password never appears in a process listing (argv is
 * world-readable in /proc; a process's environment is not). stderr is kept bounded for the
 * failure message and read line by line for progress; an abort (the activity was cancelled) stops
 * the tool at once.
 */
import { spawn } from 'node:child_process';
import { ApplicationFailure } from '@temporalio/common';
import { FAILURE } from '../../shared/failures';
import type { PgTarget } from './client';

export type PgTool = 'pg_dump' | 'pg_restore';

export interface ToolRun {
  tool: PgTool;
  args: string[];
  target: PgTarget;
  /** Connect to this database instead of the configured one (pg_restore into a staging copy). */
  dbname?: string;
  signal?: AbortSignal;
  /** Each stderr line (pg_restore --verbose names each item as it goes). */
  onLine?: (line: string) => void;
}

/** Runs a tool to its end; rejects with its exit status and the tail of its stderr. */
export type RunPgTool = (run: ToolRun) => Promise<void>;

const STDERR_KEEP = 4_000;

/** Where the tools are: `binDir` (e.g. /usr/lib/postgresql/16/bin) or the PATH. */
export function createRunPgTool(o: { binDir?: string } = {}): RunPgTool {
  return (run) =>
    new Promise<void>((resolve, reject) => {
      if (run.signal?.aborted) return reject(cancelled(run.tool, run.signal));
      const t = run.target;
      // Its own process group: pg_restore -j forks workers, and a cancel must stop them all.
      const child = spawn(o.binDir ? `${o.binDir}/${run.tool}` : run.tool, run.args, {
        detached: true,
        stdio: ['ignore', 'ignore', 'pipe'],
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          LANG: 'C.UTF-8',
          PGHOST: t.host,
          PGPORT: String(t.port),
          PGUSER: t.user,
          PGDATABASE: run.dbname ?? t.database,
          PGAPPNAME: t.application_name,
          PGCONNECT_TIMEOUT: '10',
          ...(t.password !== undefined ? { PGPASSWORD: t.password } : {}),
        },
      });
      let tail = '';
      let partial = '';
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (d: string) => {
        tail = (tail + d).slice(-STDERR_KEEP);
        if (!run.onLine) return;
        const lines = (partial + d).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) tellLine(line);
      });
      // A listener that throws must not take the worker down with it.
      const tellLine = (line: string): void => {
        try {
          run.onLine?.(line);
        } catch {
          // progress only
        }
      };
      const killGroup = (signal: NodeJS.Signals): void => {
        try {
          if (child.pid) process.kill(-child.pid, signal);
        } catch {
          // already gone
        }
      };
      const onAbort = (): void => {
        killGroup('SIGTERM');
        setTimeout(() => killGroup('SIGKILL'), 2_000).unref();
      };
      run.signal?.addEventListener('abort', onAbort, { once: true });
      child.once('error', (err) => {
        run.signal?.removeEventListener('abort', onAbort);
        const code = (err as { code?: string }).code;
        reject(
          code === 'ENOENT'
            ? ApplicationFailure.nonRetryable(
                `${run.tool} is not installed on the worker (install postgresql-client, or set postgres.binDir)`,
                FAILURE.NotFound,
              )
            : err,
        );
      });
      // 'exit', not 'close': a worker of the group still holding stderr must not hold us up.
      child.once('exit', (status, signal) => {
        run.signal?.removeEventListener('abort', onAbort);
        if (partial) tellLine(partial);
        killGroup('SIGKILL');
        if (run.signal?.aborted) return reject(cancelled(run.tool, run.signal));
        if (status === 0) return resolve();
        // Retried: most tool failures are the server's (gone, restarting, out of connections);
        // the caller turns the ones it recognises as permanent.
        reject(
          new Error(
            `${run.tool} exited with ${signal ?? `status ${status}`}: ${tail.trim().split('\n').slice(-5).join(' | ')}`,
          ),
        );
      });
    });
}

/** The abort's own reason (the SDK's CancelledFailure when the activity was cancelled). */
function cancelled(tool: PgTool, signal: AbortSignal | undefined): unknown {
  return signal?.reason ?? new Error(`${tool} stopped: cancelled`);
}
