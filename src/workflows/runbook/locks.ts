/**
 * A run's locks: its target (one mutating run per target, across runbooks) and its runbook's
 * concurrency slot, taken through the kit's target locks. Asked for just before the first
 * mutating step (diagnostics and approvals never wait for another run's change), always in the
 * same order, and released however the run ends.
 */
import { render, toText } from '../../shared/template';
import { TargetLocks } from '../kit';
import type { RunState } from './run-state';

export class RunLocks {
  private readonly locks: TargetLocks;
  private acquiring: Promise<void> | undefined;

  constructor(private readonly state: RunState) {
    this.locks = new TargetLocks(state);
  }

  install(): void {
    this.locks.install();
  }

  /** The locks the runbook asks for: its target, and a slot of its concurrency limit. */
  wanted(): Array<{ target: string; capacity: number }> {
    const rb = this.state.runbook;
    const out: Array<{ target: string; capacity: number }> = [];
    if (rb.target) out.push({ target: toText(render(rb.target, this.state.scope())), capacity: 1 });
    if (rb.concurrency) out.push({ target: `runbook:${rb.id}`, capacity: rb.concurrency });
    return out;
  }

  /** Takes every lock the runbook asks for, once (later calls wait for the same acquisition). */
  acquireAll(): Promise<void> {
    const rb = this.state.runbook;
    this.acquiring ??= (async () => {
      // Always in the same order (sorted), so two runs never wait on each other's second lock.
      for (const w of this.wanted().sort((a, b) => a.target.localeCompare(b.target))) {
        const isTarget = rb.target !== undefined && w.target !== `runbook:${rb.id}`;
        await this.locks.acquire(w.target, {
          capacity: w.capacity,
          onBusy: isTarget ? (rb.lock?.onBusy ?? 'wait') : 'wait',
          timeoutMs: rb.lock?.timeoutMs ?? 3_600_000,
        });
      }
    })();
    return this.acquiring;
  }

  /** Releases every lock held, even when the run is being cancelled. */
  releaseAll(): Promise<void> {
    return this.locks.releaseAll();
  }
}
