/**
 * What the API signs and workflows trust (docs/security.md): a start envelope and each human
 * decision, signed with a key API and worker share (src/platform/signing.ts; never in history).
 * A workflow verifies an envelope in the worker (the trust activities) before acting on it.
 * Workflow-safe types only.
 */
import { canonicalJson } from './canonical';
import type { AlertNoticeClaims } from './alert';
import type { ParamValue, TriggerInfo } from './model';
import { base64url, constantTimeEqual, hex, hmacSha256, sha256, utf8 } from './sha256';

/** The keys API and worker share (never in history): the first signs, all verify. */
export interface SigningKeys {
  readonly activeKid: string;
  readonly keys: ReadonlyMap<string, Uint8Array>;
}

/** A payload with its signature: HMAC-SHA256 over the purpose and the payload's canonical JSON. */
export interface Signed<T extends { purpose: string }> {
  /** Which key signed it (keys rotate: the worker knows the current and earlier ones). */
  kid: string;
  /** base64url. */
  sig: string;
  payload: T;
}

/** A run's start, as the API (or an alert route, or a schedule) decided it. */
export interface StartClaims {
  purpose: 'start';
  workflowType: string;
  /** The run's workflow id; a schedule's runs share its prefix instead (Temporal appends the time). */
  workflowId?: string;
  workflowIdPrefix?: string;
  runbookId: string;
  /**
   * sha256 (hex) of the inline definition's canonical JSON: it must be this one. Absent: the
   * start carries no definition, and the worker resolves `runbookId` from its library (schedules).
   */
  definitionDigest?: string;
  params: Record<string, ParamValue>;
  trigger: TriggerInfo;
  /** Absent: as configured in the worker when the run starts (schedules). */
  approverGroups?: Record<string, string[]>;
  emergency: boolean;
  dryRun: boolean;
  /** ISO time after which the envelope starts nothing (absent for a schedule's). */
  expiresAt?: string;
}

/** One person's decision on one opening of one gate, as the API authenticated it. */
export interface DecisionClaims {
  purpose: 'decision';
  workflowId: string;
  stepId: string;
  /** When the gate opened (its `requestedAt`): a decision never carries over to a later opening. */
  opening?: string;
  /** Canonical identity (src/shared/identity.ts), from the caller's credentials. */
  actor: string;
  decision: 'approve' | 'reject';
  comment?: string;
  channel: 'api' | 'cli' | 'slack' | 'console';
  expiresAt: string;
}

/** A decision on a paused step (retry, skip, abort). */
export interface StepDecisionClaims {
  purpose: 'step-decision';
  workflowId: string;
  stepId: string;
  actor: string;
  action: 'retry' | 'skip' | 'abort';
  reason?: string;
  channel: 'api' | 'cli' | 'slack' | 'console';
  expiresAt: string;
}

/** A later notification of the alert that started a run, as the API's alert ingest sends it. */
export type AlertClaims = AlertNoticeClaims;

/**
 * A lock workflow's answer to the run that asked (src/workflows/target-lock.ts): signed in the
 * lock workflow, which holds the worker's key in its sandbox as every workflow does, so a raw
 * client cannot tell a run waiting in line that the lock is its.
 */
export interface LockAnswerClaims {
  purpose: 'lock-answer';
  /** The lock workflow's id (`lock:<target>`). */
  lock: string;
  /** The run the answer is for. */
  holder: string;
  target: string;
  outcome: 'granted' | 'denied' | 'queued';
  heldBy: string[];
}

export type SignedStart = Signed<StartClaims>;
export type SignedAlert = Signed<AlertClaims>;
export type SignedDecision = Signed<DecisionClaims>;
export type SignedStepDecision = Signed<StepDecisionClaims>;

/** Whether a payload has the envelope's shape (what it says is checked only by verifying). */
export function isSigned(v: unknown): v is Signed<{ purpose: string }> {
  if (v === null || typeof v !== 'object') return false;
  const o = v as Record<string, unknown>;
  return (
    typeof o.kid === 'string' &&
    typeof o.sig === 'string' &&
    o.payload !== null &&
    typeof o.payload === 'object' &&
    typeof (o.payload as Record<string, unknown>).purpose === 'string'
  );
}

/** How long a decision envelope is good for: it is sent at once, so minutes are plenty. */
export const DECISION_TTL_MS = 5 * 60_000;
/** A start envelope: the API starts the run at once; an alert's may wait behind a busy server. */
export const START_TTL_MS = 15 * 60_000;

/** What is MACed: a version and purpose line, then the payload's canonical JSON. */
export function signedMessage(payload: { purpose: string }): string {
  return `durable-runbooks/1\n${payload.purpose}\n${canonicalJson(payload)}`;
}

/** Signs with the pure SHA-256 (inside a workflow, where node:crypto is not): the same envelope. */
export function signInSandbox<T extends { purpose: string }>(keys: SigningKeys, payload: T): Signed<T> {
  const key = keys.keys.get(keys.activeKid);
  if (!key) throw new TypeError(`no signing key '${keys.activeKid}'`);
  return { kid: keys.activeKid, sig: base64url(hmacSha256(key, utf8(signedMessage(payload)))), payload };
}

export type Verified<T> = { ok: true; payload: T } | { ok: false; reason: string };

/**
 * Checks an envelope's signature, purpose and expiry (against `nowMs`: workflow time in a
 * workflow, so replay decides the same). Pure: workflows and the API's tests use it alike.
 */
export function verifySigned<T extends { purpose: string; expiresAt?: string }>(
  keys: SigningKeys,
  signed: unknown,
  purpose: T['purpose'],
  nowMs: number,
): Verified<T> {
  if (!isSigned(signed)) return { ok: false, reason: 'not a signed envelope' };
  const key = keys.keys.get(signed.kid);
  if (!key) return { ok: false, reason: `signed with an unknown key '${signed.kid.slice(0, 32)}'` };
  const expected = base64url(hmacSha256(key, utf8(signedMessage(signed.payload))));
  if (!constantTimeEqual(expected, signed.sig)) return { ok: false, reason: 'the signature does not match' };
  const payload = signed.payload as T;
  if (payload.purpose !== purpose) return { ok: false, reason: `signed for ${payload.purpose}, not ${purpose}` };
  if (payload.expiresAt !== undefined) {
    const until = Date.parse(payload.expiresAt);
    if (!Number.isFinite(until) || until < nowMs)
      return { ok: false, reason: `expired at ${String(payload.expiresAt)}` };
  }
  return { ok: true, payload };
}

/**
 * sha256 (hex) of a definition's JSON: how a start envelope names its definition. Plain
 * JSON.stringify, not canonical JSON: the definition crosses Temporal as JSON, so the run sees its
 * keys in the order the API had them, and the native serializer is several times faster in the
 * workflow (a 20-step definition: about 0.3 ms in all, against 1.1 ms).
 */
export function definitionDigest(definition: unknown): string {
  return hex(sha256(utf8(JSON.stringify(definition) ?? 'null')));
}

/** Whether `digest` names this definition (also in the canonical form the first signed runs used). */
export function digestMatches(definition: unknown, digest: unknown): boolean {
  return digest === definitionDigest(definition) || digest === hex(sha256(utf8(canonicalJson(definition))));
}
