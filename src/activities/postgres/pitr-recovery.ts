/**
 * Watching a scratch server recover: started with pg_ctl (detached, so it outlives the activity
 * once promoted), looked at until PostgreSQL has promoted, and when it stopped instead, why: a
 * WAL file that did not check (IntegrityFailed), recovery that ended before the target (the
 * caller decides), or anything else with the log's last lines.
 */
import { readFile } from 'node:fs/promises';
import { FAILURE } from '../../shared/failures';
import { permanent } from '../errors';
import { records } from './client';
import type { FetchLog } from './pitr-fetch';
import { connectScratch, postmasterPid, type ScratchPaths, type ScratchState } from './pitr-scratch';
import { pgProgram, runCommand, type OsUser } from './pitr-spawn';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const logTail = async (p: ScratchPaths): Promise<string> =>
  (await readFile(p.log, 'utf8').catch(() => '')).slice(-3_000);

/** Why the server stopped during recovery, as the failure to throw (or 'ended-early' to look at). */
async function diagnose(p: ScratchPaths, fetched: FetchLog): Promise<Error | 'ended-early'> {
  const log = await logTail(p);
  const bad = fetched.failures[0];
  if (bad)
    return permanent(`WAL ${bad.file} does not check, recovery refused it: ${bad.message}`, FAILURE.IntegrityFailed);
  if (/recovery ended before configured recovery target was reached/.test(log)) return 'ended-early';
  return new Error(`the scratch server stopped during recovery: ${log.split('\n').slice(-8).join(' | ')}`);
}

/** Until PostgreSQL has promoted ('promoted'), or stopped: 'ended-early', else the failure thrown. */
export async function waitForPromotion(
  p: ScratchPaths,
  s: ScratchState,
  fetched: FetchLog,
  beat: (d: Record<string, unknown>, force?: boolean) => void,
  signal: AbortSignal | undefined,
  pollMs: number,
): Promise<'promoted' | 'ended-early'> {
  for (;;) {
    if (signal?.aborted) throw signal.reason ?? new Error('cancelled');
    if (!(await postmasterPid(p))) {
      const why = await diagnose(p, fetched);
      if (why === 'ended-early') return why;
      throw why;
    }
    // hot_standby is off: a connection is taken only once recovery has ended.
    const c = await connectScratch(p, s, 'template1').catch(() => undefined);
    if (c) {
      try {
        const [r] = records(await c.query('SELECT pg_is_in_recovery() AS recovering'));
        if (r?.recovering === false) return 'promoted';
      } finally {
        await c.end().catch(() => undefined);
      }
    }
    beat({ phase: 'recovery', segments: fetched.served, lastSegment: fetched.lastServed ?? null });
    await sleep(pollMs);
  }
}

/** pg_ctl start: waits (-w) for a copy that is already promoted; returns at once during recovery. */
export async function startServer(
  p: ScratchPaths,
  major: number,
  as: OsUser | undefined,
  binDir: string | undefined,
  wait: boolean,
) {
  await runCommand({
    cmd: pgProgram('pg_ctl', major, binDir),
    args: ['-D', p.data, '-l', p.log, ...(wait ? ['-w', '-t', '300'] : ['-W']), 'start'],
    ...(as ? { as } : {}),
  });
  // pg_ctl -W returns before the postmaster writes its pid file; the wait loop reads it.
  for (let n = 0; !wait && n < 100 && !(await postmasterPid(p)); n++) await sleep(100);
}
