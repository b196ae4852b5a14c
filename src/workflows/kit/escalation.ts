/**
 * One escalation ladder for every wait a person must end: approvals, paused steps and (next)
 * on-call paging. Each rung waits its time; a rung after the first is entered only when the one
 * before ran out, and entering it may tell someone and widen who may decide.
 */
import { quietCondition } from './untracked';

export interface Rung {
  /** How long this rung waits for the decision. */
  waitMs: number;
  /** Who is told on entering this rung (a notify target). Not used on the first rung. */
  notify?: string;
  /** Who else may decide from this rung on (identities and `group:<name>`). */
  widenTo?: string[];
}

export interface ClimbResult {
  /** Whether `done` held before the last rung ran out. */
  done: boolean;
  /** The rung the wait ended on (0: the first). */
  rung: number;
}

/**
 * Waits for `done` up the ladder. `enter` runs as each later rung begins (widen, record, notify),
 * before its wait; it is awaited, so a notification is sent before the new deadline runs.
 */
export async function climb(
  rungs: readonly Rung[],
  done: () => boolean,
  enter: (rung: Rung, index: number) => Promise<void>,
): Promise<ClimbResult> {
  for (let i = 0; i < rungs.length; i++) {
    const rung = rungs[i] as Rung;
    if (i > 0) await enter(rung, i);
    if (await quietCondition(done, rung.waitMs)) return { done: true, rung: i };
  }
  return { done: false, rung: rungs.length - 1 };
}
