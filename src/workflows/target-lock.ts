/**
 * `targetLockWorkflow`: one per locked target (`lock:<target>`). Grants the lock to up to
 * `capacity` runs in arrival order, answers each by signal, and frees the places of runs that
 * ended without releasing (terminated, timed out) by checking on them. It ends when nobody holds
 * or waits, and continues as new when its history grows.
 */
import {
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import {
  acquireLockSignal,
  lockAnswerSignal,
  lockStateQuery,
  releaseLockSignal,
  type LockAnswer,
  type LockRequest,
  type LockState,
} from '../shared/coordination';
import { signLockAnswer } from './kit/lock-trust';
import type { Activities } from '../activities';
import { checkLockRequest, checkRelease } from '../shared/payload-checks';

const { openRuns } = proxyActivities<Pick<Activities, 'openRuns'>>({
  startToCloseTimeout: '30s',
  retry: { maximumAttempts: 3 },
  summary: 'check the holders still run',
});

/** Requests not yet answered that a lock keeps: a flood of signals cannot grow it without bound. */
const MAX_PENDING = 10_000;

/** How often holders are checked for having ended without releasing. @default 60000 */
const HOLDER_CHECK_MS = 60_000;

export async function targetLockWorkflow(input: {
  target: string;
  state?: LockState;
  holderCheckMs?: number;
}): Promise<void> {
  const holderCheckMs = input.holderCheckMs ?? HOLDER_CHECK_MS;
  const state: LockState = input.state ?? { target: input.target, capacity: 1, holders: [], queue: [] };
  const requests: LockRequest[] = [];

  // A malformed request or release (any client can signal) is logged and ignored, never kept.
  setHandler(acquireLockSignal, (raw) => {
    const r = checkLockRequest(raw);
    if ('error' in r) log.warn('lock request ignored', { target: state.target, reason: r.error });
    else if (requests.length < MAX_PENDING) requests.push(r.ok);
  });
  setHandler(releaseLockSignal, (raw) => {
    const r = checkRelease(raw);
    if ('error' in r) return log.warn('lock release ignored', { target: state.target, reason: r.error });
    state.holders = state.holders.filter((h) => h !== r.ok.holder);
    state.queue = state.queue.filter((h) => h !== r.ok.holder);
  });
  setHandler(lockStateQuery, () => state);

  const answer = (holder: string, outcome: 'granted' | 'denied' | 'queued'): Promise<void> => {
    const a: LockAnswer = { target: state.target, outcome, heldBy: [...state.holders] };
    // Signed, so that only this workflow can tell a run the lock is its (answers sent before the
    // patch, replayed, stay as they were sent).
    const body = patched('signed-lock-answers') ? { ...a, signed: signLockAnswer(holder, a) } : a;
    return getExternalWorkflowHandle(holder)
      .signal(lockAnswerSignal, body)
      .catch(() => undefined); // the run may have ended meanwhile
  };

  for (;;) {
    while (requests.length > 0) {
      const r = requests.shift() as LockRequest;
      state.capacity = Math.max(1, r.capacity);
      if (state.holders.includes(r.holder)) {
        await answer(r.holder, 'granted'); // a retried request: answer again
      } else if (state.holders.length < state.capacity && state.queue.length === 0) {
        state.holders.push(r.holder);
        await answer(r.holder, 'granted');
      } else if (r.onBusy === 'fail') {
        await answer(r.holder, 'denied');
      } else {
        if (!state.queue.includes(r.holder)) state.queue.push(r.holder);
        await answer(r.holder, 'queued');
      }
    }
    while (state.holders.length < state.capacity && state.queue.length > 0) {
      const next = state.queue.shift() as string;
      state.holders.push(next);
      await answer(next, 'granted');
    }
    if (state.holders.length === 0 && state.queue.length === 0 && requests.length === 0) return;
    if (workflowInfo().continueAsNewSuggested)
      await continueAsNew<typeof targetLockWorkflow>({ target: state.target, state, holderCheckMs });
    // Wake on what there is to do, read from the state itself (a flag set by a signal that
    // arrived while answering others would be lost).
    const idle = (): boolean => state.holders.length === 0 && state.queue.length === 0;
    const free = (): boolean => state.holders.length < state.capacity && state.queue.length > 0;
    const woke = await condition(() => requests.length > 0 || free() || idle(), holderCheckMs);
    if (!woke && state.holders.length > 0) {
      const open = new Set(await openRuns({ workflowIds: state.holders }));
      state.holders = state.holders.filter((h) => open.has(h));
    }
  }
}
