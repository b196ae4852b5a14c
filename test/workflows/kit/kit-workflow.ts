/**
 * The kit on its own: a hand-written workflow with an approval gate, a target lock and a
 * compensation, and no runbook state at all (test/workflows/kit.test.ts runs it).
 */
import { defineQuery, setHandler } from '@temporalio/workflow';
import { approvalDecisionSignal, decideApprovalUpdate } from '../../../src/shared/messages';
import type {
  ApprovalDecision,
  ApprovalDecisionResult,
  PendingApproval,
  UnverifiedNote,
} from '../../../src/shared/status';
import * as kit from '../../../src/workflows/kit';

// The lock workflows run beside it, as every worker's bundle carries them.
export { targetLockWorkflow } from '../../../src/workflows/target-lock';

export const kitStateQuery = defineQuery<{
  phase: string;
  waiting: string[];
  undone: string[];
  notes: UnverifiedNote[];
  open: PendingApproval[];
}>('kitState');

function decisionsOf(
  voting: kit.ApprovalVoting,
  notes: UnverifiedNote[],
): kit.DecisionHandler<ApprovalDecision, ApprovalDecisionResult> {
  return {
    ...{ validate: (d) => voting.validate(d), apply: (d, via) => voting.apply(d, via), claims: kit.approvalClaims },
    ...{ unverified: (m, p, why) => kit.noteUnverified(notes, m, p, why) },
    describe: { update: 'Approve or reject (API, signed).', signal: 'Noted as unverified only.' },
  };
}

export async function kitWorkflow(o: {
  target: string;
  url: string;
  requester: string;
  fail: boolean;
}): Promise<string> {
  const phase = new kit.PhaseOwner('running', () => undefined);
  const [locks, undone, open]: [kit.LockEntry[], string[], PendingApproval[]] = [[], [], []];
  const rec: kit.VotingRecorder & kit.LockRecorder = {
    ...{ requester: o.requester, locks, wait: (k) => phase.begin(k), publish: () => undefined },
    ...{ opened: (p) => open.push(p), closed: (p) => open.splice(open.indexOf(p), 1), decided: () => undefined },
  };
  const voting = new kit.ApprovalVoting(rec, {});
  const lock = new kit.TargetLocks(rec);
  const undo = new kit.Compensations();
  lock.install();
  const notes: UnverifiedNote[] = [];
  // A new workflow has no runs from before signing: its decisions are signed from the start (true).
  kit.installDecisionHandlers(decideApprovalUpdate, approvalDecisionSignal, decisionsOf(voting, notes), true);
  setHandler(kitStateQuery, () => ({ phase: phase.phase, waiting: voting.waiting(), undone, notes, open }));
  const post = (id: string, path: string) =>
    kit.callAction(
      'http:request:send',
      { method: 'POST', url: `${o.url}${path}` },
      { id, action: 'http:request:send', ...CALL },
    );
  try {
    const gate = await voting.decide({ id: 'go', timeoutMs: 60_000 }, { message: 'Change it?', needed: 1, guards: [] });
    if (gate.outcome !== 'approved') return gate.outcome;
    await lock.acquire(o.target, { capacity: 1, onBusy: 'wait', timeoutMs: 60_000 });
    await post('change', '/change');
    undo.push('change', () => post('revert', '/revert').then(() => void undone.push('change')));
    if (o.fail) await post('broken', '/broken');
    return 'changed';
  } catch (err) {
    await undo.rollback();
    throw err;
  } finally {
    await lock.releaseAll();
  }
}

const CALL = {
  retry: { maxAttempts: 1, initialIntervalMs: 100, backoff: 2 },
  timeoutMs: 10_000,
  runbookId: 'kit',
  dryRun: false,
};
