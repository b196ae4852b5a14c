/**
 * The one way a test waits: poll a real condition until it holds, within a bound, and say what
 * was awaited when it does not. A fixed sleep guesses how long something takes (too short on a
 * busy machine, wasted time on an idle one) and fails, if at all, at an assertion far from the
 * cause; this returns as soon as the condition holds and fails naming it.
 */

/** What `waitFor` polls: a truthy value means done (and is returned); anything falsy means not yet. */
export type Probe<T> = () => T | undefined | null | false | Promise<T | undefined | null | false>;

export interface WaitForOptions {
  /**
   * How long to keep trying. Below jest's testTimeout (60 s, 30 s in the unit tier) so that a
   * condition that never holds fails here, with a message naming it, and not as jest's bare
   * "Exceeded timeout"; callers waiting on something known to be slow pass more.
   * @default 20000
   */
  timeoutMs?: number;
  /**
   * Pause between probes. Short, since a probe is cheap next to the test (a query, a fetch) and
   * the wait should end soon after the condition holds.
   * @default 50
   */
  intervalMs?: number;
  /** More context for the timeout message (a process's output, say); called only on timeout. */
  detail?: () => string;
}

const TIMEOUT_MS = 20_000;
const INTERVAL_MS = 50;

/**
 * Polls `probe` until it returns a truthy value, and returns that value. A probe that throws (a
 * query before the run exists, a port not yet listening) counts as "not yet"; its error is kept
 * for the message. Bounded by `timeoutMs`, including a probe that never settles. On timeout it
 * throws an Error naming `what`, the time waited, and the last value and error the probe gave.
 */
export async function waitFor<T>(what: string, probe: Probe<T>, o: WaitForOptions = {}): Promise<T> {
  const timeoutMs = o.timeoutMs ?? TIMEOUT_MS;
  const intervalMs = o.intervalMs ?? INTERVAL_MS;
  const started = Date.now();
  const deadline = started + timeoutMs;
  let probes = 0;
  let last: { value: unknown } | undefined;
  let lastError: unknown;
  let pending = false;
  for (;;) {
    probes++;
    try {
      const v = await settleBy(deadline, probe);
      if (v === stillPending) pending = true;
      else if (v) return v;
      else last = { value: v };
    } catch (err) {
      lastError = err;
    }
    const left = deadline - Date.now();
    if (pending || left <= 0) {
      const seen = [
        pending ? 'the last probe was still pending at the deadline' : undefined,
        last ? `last probe returned ${show(last.value)}` : undefined,
        lastError !== undefined ? `last error: ${errorText(lastError)}` : undefined,
      ].filter(Boolean);
      const detail = o.detail?.();
      throw new Error(
        `timed out after ${Date.now() - started} ms (${probes} ${probes === 1 ? 'probe' : 'probes'}) waiting for ${what}` +
          (seen.length ? `; ${seen.join('; ')}` : '') +
          (detail ? `\n${detail}` : ''),
      );
    }
    // The poll interval, never past the deadline: the last probe runs at the bound, not after it.
    await new Promise((r) => setTimeout(r, Math.min(intervalMs, left)));
  }
}

const stillPending = Symbol('still pending');

/** Runs one probe, but stops waiting for it at `deadline` (a hung query must not hang the test). */
async function settleBy<T>(
  deadline: number,
  probe: Probe<T>,
): Promise<Awaited<ReturnType<Probe<T>>> | typeof stillPending> {
  const result = Promise.resolve().then(probe);
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<typeof stillPending>((resolve) => {
    timer = setTimeout(() => resolve(stillPending), Math.max(0, deadline - Date.now()));
  });
  try {
    return await Promise.race([result, bound]);
  } finally {
    clearTimeout(timer);
    // A probe abandoned at the deadline may still reject later: that is not an unhandled rejection.
    result.catch(() => undefined);
  }
}

function show(v: unknown): string {
  if (v === undefined) return 'undefined';
  try {
    const s = JSON.stringify(v);
    return s.length > 500 ? `${s.slice(0, 500)}...` : s;
  } catch {
    return String(v);
  }
}

/** Duck-typed: `instanceof Error` fails for errors made in another realm (jest's module sandbox). */
function errorText(err: unknown): string {
  const message = (err as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : String(err);
}
