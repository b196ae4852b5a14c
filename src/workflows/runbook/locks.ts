/**
 * A run's locks: its target (one mutating run per target, across runbooks) and its runbook's
 * concurrency slot. Asked for just before the first mutating step (diagnostics and approvals
 * never wait for another run's change), released however the run ends, and shown in
 * the status ("waiting for lock held by run X") while waited for. Lock workflows also free the
 * places of runs that ended without releasing, so a crash or terminate never leaves a lock stuck.
 */
import { FAILURE } from '../../shared/failures';
import {
  ApplicationFailure,
  CancellationScope,
  condition,
  getExternalWorkflowHandle,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import {
  lockAnswerSignal,
  lockWorkflowId,
  releaseLockSignal,
  type LockAnswer,
  type LockRequest,
} from '../../shared/coordination';
import { formatDuration } from '../../shared/duration';
import { render, toText } from '../../shared/template';
import type { RunState } from './run-state';

const { requestLock } = proxyActivities<{ requestLock(i: { target: string } & LockRequest): Promise<void> }>({
  startToCloseTimeout: '30s',
  retry: { maximumAttempts: 10 },
  summary: 'ask for a lock',
});

export class RunLocks {
  private readonly answers = new Map<string, LockAnswer>();
  private readonly held: string[] = [];
  private acquiring: Promise<void> | undefined;

  constructor(private readonly state: RunState) {}

  install(): void {
    setHandler(lockAnswerSignal, (a) => {
      this.answers.set(a.target, a);
      const entry = this.state.status.locks.find((l) => l.target === a.target);
      if (entry && a.outcome === 'queued') {
        entry.heldBy = a.heldBy;
        this.state.publish();
      }
    });
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
    this.acquiring ??= (async () => {
      // Always in the same order (sorted), so two runs never wait on each other's second lock.
      for (const w of this.wanted().sort((a, b) => a.target.localeCompare(b.target)))
        await this.acquire(w.target, w.capacity);
    })();
    return this.acquiring;
  }

  private async acquire(target: string, capacity: number): Promise<void> {
    const rb = this.state.runbook;
    const onBusy = rb.target && target !== `runbook:${rb.id}` ? (rb.lock?.onBusy ?? 'wait') : 'wait';
    const timeoutMs = rb.lock?.timeoutMs ?? 3_600_000;
    const entry = { target, state: 'waiting' as const, heldBy: [] as string[] };
    this.state.status.locks.push(entry);
    // Asked is as good as held for releasing: a run cancelled while queued must leave the queue.
    this.held.push(target);
    await requestLock({ target, holder: workflowInfo().workflowId, onBusy, capacity });
    const settled = (): boolean => ['granted', 'denied'].includes(this.answers.get(target)?.outcome ?? '');
    if (!(await condition(() => this.answers.has(target), 60_000))) {
      throw ApplicationFailure.create({
        message: `no answer from the lock on ${target}`,
        type: FAILURE.LockUnavailable,
        nonRetryable: true,
      });
    }
    if (!settled()) {
      this.state.setPhase('waiting_lock');
      this.state.publish();
      if (!(await condition(settled, timeoutMs))) {
        Object.assign(entry, { state: 'timed-out' });
        throw ApplicationFailure.create({
          message: `lock on ${target} still held by ${entry.heldBy.join(', ')} after ${formatDuration(timeoutMs)}`,
          type: FAILURE.LockTimeout,
          nonRetryable: true,
        });
      }
    }
    const answer = this.answers.get(target) as LockAnswer;
    if (answer.outcome === 'denied') {
      Object.assign(entry, { state: 'denied', heldBy: answer.heldBy });
      throw ApplicationFailure.create({
        message: `${target} is locked by run ${answer.heldBy.join(', ')}`,
        type: FAILURE.LockBusy,
        nonRetryable: true,
      });
    }
    Object.assign(entry, { state: 'held', heldBy: [] });
    this.state.setPhase('running');
  }

  private async release(target: string): Promise<void> {
    await getExternalWorkflowHandle(lockWorkflowId(target))
      .signal(releaseLockSignal, { holder: workflowInfo().workflowId })
      .catch(() => undefined);
  }

  /** Releases every lock held, even when the run is being cancelled. */
  async releaseAll(): Promise<void> {
    await CancellationScope.nonCancellable(async () => {
      for (const target of this.held.splice(0)) {
        await this.release(target);
        const entry = this.state.status.locks.find((l) => l.target === target);
        if (entry && entry.state !== 'denied' && entry.state !== 'timed-out') entry.state = 'released';
      }
    });
  }
}
