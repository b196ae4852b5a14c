/**
 * What a workflow trusts: only what the API signed (src/shared/signed.ts), verified by the
 * workflow itself, deterministically, with the key the worker put into the workflow sandbox when
 * it loaded the bundle (src/worker/signing-bundle.ts): never an argument, never in history.
 *
 * Decisions are verified in the update's validator: one that does not verify is refused before
 * it reaches history, so replay never meets it, and no key change can make a history replay
 * differently. (A local activity per decision was tried first: its answer arriving in another
 * workflow task than the decision made histories that did not replay.) A start is verified as
 * the run begins; a key that signed runs still open must stay listed (verify-only) until they end.
 * Runs started before signing (no patch marker in their history) replay as they ran.
 */
import { ApplicationFailure, patched, workflowInfo } from '@temporalio/workflow';
import { FAILURE } from '../../shared/failures';
import { fromBase64url } from '../../shared/sha256';
import type { AlertNotice, AlertNoticeClaims } from '../../shared/alert';
import {
  digestMatches,
  verifySigned,
  type DecisionClaims,
  type SigningKeys,
  type StartClaims,
  type StepDecisionClaims,
} from '../../shared/signed';
import type { ApprovalDecision, DecisionChannel, StepDecision, UnverifiedNote } from '../../shared/status';
import { TASK_NOTE_MAX, type TaskDecision, type TaskDecisionClaims } from '../../shared/task-claims';
import { approvalFromClaims } from './voting';

/** Where the worker leaves the keys in the sandbox (kid -> base64url); read-only. */
export const SIGNING_KEYS_GLOBAL = Symbol.for('durable-runbooks.signing-keys');

let cached: { from: unknown; keys: SigningKeys } | undefined;

export function trustedKeys(): SigningKeys {
  const raw = (globalThis as Record<symbol, unknown>)[SIGNING_KEYS_GLOBAL] as
    { activeKid: string; keys: Record<string, string> } | undefined;
  if (!raw) throw new TypeError('this worker has no signing key: nothing signed can be verified (docs/security.md)');
  if (cached?.from !== raw) {
    const keys = new Map(Object.entries(raw.keys).map(([kid, k]) => [kid, fromBase64url(k)]));
    cached = { from: raw, keys: { activeKid: raw.activeKid, keys } };
  }
  return cached.keys;
}

/** Whether this run takes only signed starts and decisions (every run since the patch). */
export function signedRun(): boolean {
  return patched('signed-starts-and-decisions');
}

/** The start's claims, verified against this run and its inline definition; throws Unverified. */
export function verifiedStart(signed: unknown, definition: unknown): StartClaims {
  const refuse = (reason: string): ApplicationFailure =>
    ApplicationFailure.create({
      message: `the start is not the API's: ${reason}; nothing was done`,
      type: FAILURE.Unverified,
      nonRetryable: true,
    });
  let v;
  try {
    v = verifySigned<StartClaims>(trustedKeys(), signed, 'start', Date.now());
  } catch (err) {
    throw refuse((err as Error).message);
  }
  if (!v.ok) throw refuse(v.reason);
  const c = v.payload;
  const { workflowId, workflowType } = workflowInfo();
  if (c.workflowType !== workflowType) throw refuse(`signed for a ${String(c.workflowType)} run, not ${workflowType}`);
  const boundToId = typeof c.workflowId === 'string' && c.workflowId === workflowId;
  // A schedule's runs: bound to its prefix, for the schedule trigger only (Temporal appends the time).
  const boundToPrefix =
    c.workflowId === undefined &&
    typeof c.workflowIdPrefix === 'string' &&
    c.workflowIdPrefix !== '' &&
    c.trigger?.source === 'schedule' &&
    workflowId.startsWith(`${c.workflowIdPrefix}-`);
  if (!boundToId && !boundToPrefix) throw refuse('signed for another workflow id');
  if (c.expiresAt === undefined && !boundToPrefix) throw refuse('a start envelope must expire');
  if (definition === undefined || definition === null) {
    if (c.definitionDigest !== undefined) throw refuse('the signed runbook definition is missing');
  } else if (!digestMatches(definition, c.definitionDigest)) {
    throw refuse('the runbook definition is not the one signed');
  }
  return c;
}

/** A decision's verified claims, for a validator: throws a TypeError saying why it is refused. */
function verifiedClaims<T extends { purpose: string; workflowId: string; expiresAt?: string }>(
  envelope: unknown,
  purpose: T['purpose'],
): T {
  const v = verifySigned<T>(trustedKeys(), envelope, purpose, Date.now());
  if (!v.ok) throw new TypeError(`the ${purpose} is not the API's: ${v.reason}`);
  if (v.payload.workflowId !== workflowInfo().workflowId)
    throw new TypeError(`the ${purpose} is not the API's: signed for another run`);
  return v.payload;
}

/**
 * The claims of a signed alert signal for this run (signature, purpose, run and expiry checked);
 * throws a TypeError saying why not. Whether the run has taken it before: AlertReplayGuard.
 */
export function verifiedAlertClaims(envelope: unknown): AlertNoticeClaims {
  return verifiedClaims<AlertNoticeClaims>(envelope, 'alert');
}

/** The notice of a signed alert signal for this run; throws a TypeError saying why not. */
export function verifiedAlert(envelope: unknown): AlertNotice {
  return verifiedAlertClaims(envelope).notice;
}

/** Verifying (the validator) and reading (the handler, once verified) one kind of signed decision. */
function claimsOf<C extends { purpose: string; workflowId: string; channel: unknown }, D>(
  purpose: C['purpose'],
  toDecision: (c: C) => D,
): {
  verify(envelope: unknown): { decision: D; via: DecisionChannel };
  read(claims: unknown): { decision: D; via: DecisionChannel };
} {
  const read = (claims: unknown): { decision: D; via: DecisionChannel } => ({
    decision: toDecision(claims as C),
    via: channelOf((claims as C).channel),
  });
  return { verify: (envelope) => read(verifiedClaims<C>(envelope, purpose)), read };
}

export function stepFromClaims(c: StepDecisionClaims): StepDecision {
  return {
    stepId: String(c.stepId),
    action: c.action,
    actor: String(c.actor),
    ...(typeof c.reason === 'string' && c.reason !== '' ? { reason: c.reason.slice(0, 2000) } : {}),
  };
}

/** A signed approval decision. */
export const approvalClaims = claimsOf<DecisionClaims, ApprovalDecision>('decision', approvalFromClaims);

/** A signed decision on a paused step. */
export const stepDecisionClaims = claimsOf<StepDecisionClaims, StepDecision>('step-decision', stepFromClaims);

export function taskFromClaims(c: TaskDecisionClaims): TaskDecision {
  return {
    stepId: String(c.stepId),
    done: c.done === true,
    actor: String(c.actor),
    ...(typeof c.note === 'string' && c.note.trim() !== '' ? { note: c.note.slice(0, TASK_NOTE_MAX) } : {}),
    ...(Array.isArray(c.groups) ? { groups: c.groups.filter((g): g is string => typeof g === 'string') } : {}),
  };
}

/** A signed word on a manual task (done, or not done with a note). */
export const taskDecisionClaims = claimsOf<TaskDecisionClaims, TaskDecision>('task-decision', taskFromClaims);

const CHANNELS: ReadonlySet<string> = new Set(['api', 'cli', 'slack', 'console']);
const channelOf = (c: unknown): DecisionChannel =>
  typeof c === 'string' && CHANNELS.has(c) ? (c as DecisionChannel) : 'api';

/** The latest unverified notes a run keeps, each cut short: a flood of them costs nothing. */
const NOTES_KEPT = 20;
const CLAIM_CHARS = 120;

/** Adds a note of an unsigned decision to `notes` (bounded), saying what it claimed and why it counts for nothing. */
export function noteUnverified(notes: UnverifiedNote[], message: string, payload: unknown, reason: string): void {
  let claimed: string;
  try {
    claimed = JSON.stringify(payload) ?? String(payload);
  } catch {
    claimed = '(unreadable)';
  }
  notes.push({
    at: new Date().toISOString(),
    message,
    claimed: claimed.length > CLAIM_CHARS ? `${claimed.slice(0, CLAIM_CHARS)}…` : claimed,
    reason,
  });
  if (notes.length > NOTES_KEPT) notes.splice(0, notes.length - NOTES_KEPT);
}
