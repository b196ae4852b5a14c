/**
 * What a long activity reports and listens to: heartbeats with its progress (the Web UI's pending
 * activity shows the last one; a worker that died is noticed by the missing heartbeats) and the
 * cancellation signal (delivered on a heartbeat). Injected, so the work itself is testable
 * without an activity context.
 */
import { Context } from '@temporalio/activity';

export interface ActivityProgress {
  heartbeat(details: Record<string, unknown>): void;
  signal: AbortSignal | undefined;
}

/** The running activity's heartbeat and cancellation; inert outside one (a unit test). */
export function contextProgress(): ActivityProgress {
  let ctx: Context;
  try {
    ctx = Context.current();
  } catch {
    return { heartbeat: () => undefined, signal: undefined };
  }
  return { heartbeat: (d) => ctx.heartbeat(d), signal: ctx.cancellationSignal };
}

/**
 * A heartbeat at most every `everyMs`, however often progress is told; a new `phase` (download,
 * restore, verify) always goes at once, so the Web UI shows where a long step is.
 */
export function throttled(p: ActivityProgress, everyMs = 2_000): (d: Record<string, unknown>, force?: boolean) => void {
  let last = 0;
  let phase: unknown;
  return (d, force = false) => {
    const now = Date.now();
    if (!force && d.phase === phase && now - last < everyMs) return;
    last = now;
    phase = d.phase;
    p.heartbeat(d);
  };
}
