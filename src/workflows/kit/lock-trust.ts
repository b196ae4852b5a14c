/**
 * Lock answers, signed by the lock workflow and verified by the run that asked (the key is in
 * every workflow's sandbox: src/worker/signing-bundle.ts). Without this, anyone who can signal a
 * run waiting in line could tell it the lock is its, and two runs would change one target.
 */
import { workflowInfo } from '@temporalio/workflow';
import { lockWorkflowId, type LockAnswer } from '../../shared/coordination';
import { signInSandbox, verifySigned, type LockAnswerClaims, type Signed } from '../../shared/signed';
import { trustedKeys } from './trust';

/** In the lock workflow: the answer to `holder`, signed. */
export function signLockAnswer(holder: string, a: LockAnswer): Signed<LockAnswerClaims> {
  return signInSandbox<LockAnswerClaims>(trustedKeys(), {
    purpose: 'lock-answer',
    lock: workflowInfo().workflowId,
    holder,
    target: a.target,
    outcome: a.outcome,
    heldBy: a.heldBy,
  });
}

/** In the run: why this answer is not the lock's (undefined when it is, and says what it signed). */
export function verifyLockAnswer(raw: unknown, a: LockAnswer): string | undefined {
  let v;
  try {
    v = verifySigned<LockAnswerClaims>(trustedKeys(), (raw as { signed?: unknown }).signed, 'lock-answer', Date.now());
  } catch (err) {
    return (err as Error).message;
  }
  if (!v.ok) return v.reason;
  const c = v.payload;
  if (c.holder !== workflowInfo().workflowId) return 'signed for another run';
  if (c.lock !== lockWorkflowId(a.target) || c.target !== a.target) return 'signed by another lock';
  if (c.outcome !== a.outcome || JSON.stringify(c.heldBy) !== JSON.stringify(a.heldBy))
    return 'the answer is not the one signed';
  return undefined;
}
