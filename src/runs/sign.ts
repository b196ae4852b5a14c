/**
 * Signing a start as the API decided it (src/shared/signed.ts): bound to its workflow id (or a
 * schedule's prefix), its definition by digest, with an expiry. The run verifies it in the worker
 * and takes its params, trigger, approver groups, emergency and dry run from here only.
 */
import { definitionDigest, sign } from '../platform/signing';
import {
  DECISION_TTL_MS,
  START_TTL_MS,
  type DecisionClaims,
  type SignedDecision,
  type SignedStart,
  type SignedStepDecision,
  type SigningKeys,
  type StartClaims,
  type StepDecisionClaims,
  verifySigned,
} from '../shared/signed';
import type { SignedTaskDecision, TaskDecisionClaims } from '../shared/task-claims';

/** What a prepared start claims, before it is bound to a workflow id. */
export type StartIntent = Omit<
  StartClaims,
  'purpose' | 'workflowId' | 'workflowIdPrefix' | 'expiresAt' | 'definitionDigest'
> & {
  /** The inline definition (absent: the worker resolves `runbookId` from its library). */
  definition?: unknown;
};

export function signStart(
  keys: SigningKeys,
  intent: StartIntent,
  bind: { workflowId: string } | { workflowIdPrefix: string },
  nowMs = Date.now(),
): SignedStart {
  const { definition, ...rest } = intent;
  const claims: StartClaims = {
    purpose: 'start',
    ...rest,
    ...bind,
    ...(definition !== undefined ? { definitionDigest: definitionDigest(definition) } : {}),
    // A schedule's runs start whenever it fires: bound to its prefix instead of a time.
    ...('workflowId' in bind ? { expiresAt: new Date(nowMs + START_TTL_MS).toISOString() } : {}),
  };
  return sign(keys, claims);
}

/** A person's decision on one opening of a gate, signed to expire in DECISION_TTL_MS. */
export function signDecision(
  keys: SigningKeys,
  d: Omit<DecisionClaims, 'purpose' | 'expiresAt'>,
  nowMs = Date.now(),
): SignedDecision {
  return sign(keys, { purpose: 'decision', ...d, expiresAt: new Date(nowMs + DECISION_TTL_MS).toISOString() });
}

/** A person's decision on a paused step, signed to expire in DECISION_TTL_MS. */
export function signStepDecision(
  keys: SigningKeys,
  d: Omit<StepDecisionClaims, 'purpose' | 'expiresAt'>,
  nowMs = Date.now(),
): SignedStepDecision {
  return sign(keys, { purpose: 'step-decision', ...d, expiresAt: new Date(nowMs + DECISION_TTL_MS).toISOString() });
}

/** A person's word on a manual task (done, or not done with a note), signed to expire in DECISION_TTL_MS. */
export function signTaskDecision(
  keys: SigningKeys,
  d: Omit<TaskDecisionClaims, 'purpose' | 'expiresAt'>,
  nowMs = Date.now(),
): SignedTaskDecision {
  return sign(keys, { purpose: 'task-decision', ...d, expiresAt: new Date(nowMs + DECISION_TTL_MS).toISOString() });
}

/**
 * A schedule's signed start, its runs now acting for another person (they cannot approve them).
 * Only what this API signed is signed again: anything else (a schedule's arguments edited in
 * Temporal) gives undefined, so a re-signature never launders a payload someone else wrote.
 */
export function signStartOnBehalfOf(
  keys: SigningKeys,
  signed: unknown,
  onBehalfOf: string,
  nowMs = Date.now(),
): SignedStart | undefined {
  const v = verifySigned<StartClaims>(keys, signed, 'start', nowMs);
  if (!v.ok || v.payload.workflowIdPrefix === undefined) return undefined;
  return sign(keys, { ...v.payload, trigger: { ...v.payload.trigger, onBehalfOf } });
}
