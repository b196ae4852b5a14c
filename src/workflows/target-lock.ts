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
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import {
  acquireLockSignal,
  lockAnswerSignal,
  lockStateQuery,
  releaseLockSignal,
  type LockRequest,
  type LockState,
} from '../shared/coordination';
import type { Activities } from '../activities';

const { openRuns } = proxyActivities<Pick<Activities, 'openRuns'>>({
  startToCloseTimeout: '30s',
  retry: { maximumAttempts: 3 },
  summary: 'check the holders still run',
});

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

  setHandler(acquireLockSignal, (r) => {
    requests.push(r);
  });
  setHandler(releaseLockSignal, ({ holder }) => {
    state.holders = state.holders.filter((h) => h !== holder);
    state.queue = state.queue.filter((h) => h !== holder);
  });
  setHandler(lockStateQuery, () => state);

  const answer = (holder: string, outcome: 'granted' | 'denied' | 'queued'): Promise<void> =>
    getExternalWorkflowHandle(holder)
      .signal(lockAnswerSignal, { target: state.target, outcome, heldBy: [...state.holders] })
      .catch(() => undefined); // the run may have ended meanwhile

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
