/**
 * Target locks as a workflow takes them: one lock workflow per target (`lock:<target>`) grants
 * up to its capacity in arrival order and answers by signal. A workflow asks, waits in line (the
 * phase shows it) or is told at once that the target is busy, and releases however it ends; lock
 * workflows also free the places of workflows that ended without releasing.
 */
import {
  ApplicationFailure,
  CancellationScope,
  condition,
  getExternalWorkflowHandle,
  log,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../../activities';
import { lockAnswerSignal, lockWorkflowId, releaseLockSignal, type LockAnswer } from '../../shared/coordination';
import { formatDuration } from '../../shared/duration';
import { FAILURE } from '../../shared/failures';
import type { RunStatus } from '../../shared/status';
import type { Recorder } from './recorder';
import { checkLockAnswer } from '../../shared/payload-checks';
import { verifyLockAnswer } from './lock-trust';

const { requestLock } = proxyActivities<Pick<Activities, 'requestLock'>>({
  startToCloseTimeout: '30s',
  retry: { maximumAttempts: 10 },
  summary: 'ask for a lock',
});

export type LockEntry = RunStatus['locks'][number];

export interface LockRecorder extends Recorder {
  /** Where the locks asked for are listed (the status shows "waiting for the lock held by X"). */
  readonly locks: LockEntry[];
  /** A message that did not verify: noted on the run, changes nothing. */
  unverified?(message: string, payload: unknown, reason: string): void;
}

export interface LockOptions {
  /** How many may hold it at once (1 for a target; N for a concurrency limit). */
  capacity: number;
  /** Wait in line, or fail at once (LockBusy) when it is taken. */
  onBusy: 'wait' | 'fail';
  /** How long to wait in line before failing (LockTimeout). */
  timeoutMs: number;
}

export class TargetLocks {
  private readonly answers = new Map<string, LockAnswer>();
  private readonly held: string[] = [];
  /** Whether answers must carry the lock workflow's signature (every lock asked for since the patch). */
  private signedAnswers = false;

  constructor(private readonly recorder: LockRecorder) {}

  /** Registers the lock answers' signal; call it at the top of the workflow. */
  install(): void {
    setHandler(lockAnswerSignal, (raw) => {
      const checked = checkLockAnswer(raw);
      if ('error' in checked) return log.warn('lock answer ignored', { reason: checked.error });
      const a = checked.ok;
      if (this.signedAnswers) {
        const problem = verifyLockAnswer(raw, a);
        if (problem) return this.recorder.unverified?.('lockAnswer', raw, problem);
      }
      this.answers.set(a.target, a);
      const entry = this.recorder.locks.find((l) => l.target === a.target);
      if (entry && a.outcome === 'queued') {
        entry.heldBy = a.heldBy;
        this.recorder.publish();
      }
    });
  }

  async acquire(target: string, o: LockOptions): Promise<void> {
    const entry: LockEntry = { target, state: 'waiting', heldBy: [] };
    this.recorder.locks.push(entry);
    // Asked is as good as held for releasing: a workflow cancelled while queued must leave the queue.
    this.held.push(target);
    // Before asking: a run replaying from before the patch took the answers as they came.
    this.signedAnswers ||= patched('signed-lock-answers');
    await requestLock({ target, holder: workflowInfo().workflowId, onBusy: o.onBusy, capacity: o.capacity });
    const settled = (): boolean => ['granted', 'denied'].includes(this.answers.get(target)?.outcome ?? '');
    if (!(await condition(() => this.answers.has(target), 60_000))) {
      throw ApplicationFailure.create({
        message: `no answer from the lock on ${target}`,
        type: FAILURE.LockUnavailable,
        nonRetryable: true,
      });
    }
    let end: (() => void) | undefined;
    if (!settled()) {
      end = this.recorder.wait('lock');
      this.recorder.publish();
      if (!(await condition(settled, o.timeoutMs))) {
        // The workflow fails on this: its phase goes from waiting to how it ended, not back to running.
        Object.assign(entry, { state: 'timed-out' });
        throw ApplicationFailure.create({
          message: `lock on ${target} still held by ${entry.heldBy.join(', ')} after ${formatDuration(o.timeoutMs)}`,
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
    end?.();
  }

  /**
   * Releases every lock asked for, even while the workflow is being cancelled. Not async, and no
   * scope when none was asked for (most runs): the SDK traces every workflow promise it creates.
   */
  releaseAll(): Promise<void> {
    if (this.held.length === 0) return Promise.resolve();
    return CancellationScope.nonCancellable(async () => {
      for (const target of this.held.splice(0)) {
        await getExternalWorkflowHandle(lockWorkflowId(target))
          .signal(releaseLockSignal, { holder: workflowInfo().workflowId })
          .catch(() => undefined);
        const entry = this.recorder.locks.find((l) => l.target === target);
        if (entry && entry.state !== 'denied' && entry.state !== 'timed-out') entry.state = 'released';
      }
    });
  }
}
