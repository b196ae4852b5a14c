/**
 * The phase of a run, owned in one place and derived from what the run is doing: its base
 * (starting, running, rolling back, or how it ended) and the waits in force (approvals, paused
 * steps, locks, freezes), which may be several at once in parallel branches. The most pressing
 * wait wins, so a paused branch shows `paused` whatever another branch does meanwhile. The
 * `Phase` search attribute is written whenever the derived phase changes, so the Web UI's
 * filter never lags the run by more than the workflow task that changed it.
 */
import { upsertSearchAttributes } from '@temporalio/workflow';
import { SA } from '../../shared/constants';
import type { RunPhase } from '../../shared/status';

/** What a run can wait on, each showing as a phase while in force. */
export type WaitKind = 'paused' | 'approval' | 'retroactive-approval' | 'frozen' | 'lock';

/** Phases that are not waits: where the run is in its life. */
export type BasePhase = Exclude<
  RunPhase,
  'paused' | 'waiting_approval' | 'awaiting_retroactive_approval' | 'frozen' | 'waiting_lock'
>;

/** Most pressing first: a person must act on a paused step or an approval; freezes and locks pass by themselves. */
const WAITS: ReadonlyArray<readonly [WaitKind, RunPhase]> = [
  ['paused', 'paused'],
  ['approval', 'waiting_approval'],
  ['retroactive-approval', 'awaiting_retroactive_approval'],
  ['frozen', 'frozen'],
  ['lock', 'waiting_lock'],
];

/** The phase shown: the base, unless the run is running and waits on something. */
export function derivePhase(base: BasePhase, waits: ReadonlyMap<WaitKind, number>): RunPhase {
  if (base !== 'running') return base;
  for (const [kind, phase] of WAITS) if ((waits.get(kind) ?? 0) > 0) return phase;
  return base;
}

export class PhaseOwner {
  private base: BasePhase;
  private readonly waits = new Map<WaitKind, number>();
  private shown: RunPhase;

  /** `written` is the phase the run starts with in its search attributes; `changed` tells the status. */
  constructor(
    written: BasePhase,
    private readonly changed: (phase: RunPhase) => void,
  ) {
    this.base = written;
    this.shown = written;
  }

  get phase(): RunPhase {
    return this.shown;
  }

  setBase(base: BasePhase): void {
    this.base = base;
    this.refresh();
  }

  /** A wait begins; the returned function ends it (call it exactly once, in a finally). */
  begin(kind: WaitKind): () => void {
    this.waits.set(kind, (this.waits.get(kind) ?? 0) + 1);
    this.refresh();
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.waits.set(kind, (this.waits.get(kind) ?? 1) - 1);
      this.refresh();
    };
  }

  private refresh(): void {
    const next = derivePhase(this.base, this.waits);
    if (next === this.shown) return;
    this.shown = next;
    upsertSearchAttributes([{ key: SA.phase, value: next }]);
    this.changed(next);
  }
}

/** Shows a hand-written workflow's phase in the Web UI's list (`Phase` search attribute). */
export function showPhase(phase: string): void {
  upsertSearchAttributes([{ key: SA.phase, value: phase }]);
}
