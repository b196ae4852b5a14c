/**
 * What the postmortem trusts: its start as the incident signed it, and each action as the API
 * signed it (src/shared/signed.ts), verified here with the key the worker put in the sandbox.
 * The kit's decision verifier knows approval and step decisions only; this is the same check
 * (signature, purpose, expiry, this workflow id) for `postmortem-action` claims, plus a shape
 * check of the action, since a validator must never let a malformed payload reach the handler.
 */
import { ApplicationFailure, workflowInfo } from '@temporalio/workflow';
import { FAILURE } from '../../shared/failures';
import {
  POSTMORTEM_ACTION_KINDS,
  POSTMORTEM_CHANNELS,
  type PostmortemAction,
  type PostmortemActionClaims,
  type PostmortemWorkflowInput,
} from '../../shared/postmortem';
import { isSigned, verifySigned } from '../../shared/signed';
import { trustedKeys, verifiedStart } from '../kit/trust';

const UNSIGNED =
  'postmortem actions come signed through the API (runbook CLI, HTTP API, tracker webhooks), not straight to Temporal';

/** Verifies the start unless this run continues one that did (then it carries the state). */
export function checkStart(input: PostmortemWorkflowInput): void {
  if (input.carry && workflowInfo().continuedFromExecutionRunId) return;
  const claims = verifiedStart(input.signed, input.definition);
  const d = input.definition;
  const refuse = (why: string): ApplicationFailure =>
    ApplicationFailure.create({
      message: `the start is not the incident's: ${why}; nothing was done`,
      type: FAILURE.Unverified,
      nonRetryable: true,
    });
  if (claims.runbookId !== 'postmortem') throw refuse(`signed for '${claims.runbookId}'`);
  if (claims.trigger.source !== 'incident' || claims.trigger.requestedBy !== d.incidentWorkflowId)
    throw refuse(`signed by ${String(claims.trigger.requestedBy)}, not the incident ${d.incidentWorkflowId}`);
}

const text = (v: unknown, max: number): v is string => typeof v === 'string' && v.trim() !== '' && v.length <= max;
const optText = (v: unknown, max: number): boolean => v === undefined || text(v, max);

/** Whether an action has the shape its kind needs (what the API's schemas let through, checked again). */
function wellFormed(a: unknown): a is PostmortemAction {
  if (a === null || typeof a !== 'object') return false;
  const o = a as Record<string, unknown>;
  if (!(POSTMORTEM_ACTION_KINDS as readonly unknown[]).includes(o.kind)) return false;
  switch (o.kind as PostmortemAction['kind']) {
    case 'assign-owner':
      return text(o.owner, 200);
    case 'add-item':
      return text(o.title, 200) && text(o.owner, 200) && text(o.dueAt, 40);
    case 'assign-item':
      return text(o.itemId, 20) && text(o.owner, 200);
    case 'close-item':
      return (
        text(o.itemId, 20) && optText(o.reason, 2000) && (o.tracker === undefined || typeof o.tracker === 'object')
      );
    case 'complete':
    case 'report':
      return optText(o.url, 2000);
    case 'note':
      return text(o.text, 2000);
  }
}

/** The claims of a signed action for this workflow; throws a TypeError saying why not. */
export function verifiedAction(envelope: unknown): PostmortemActionClaims {
  if (!isSigned(envelope)) throw new TypeError(UNSIGNED);
  const v = verifySigned<PostmortemActionClaims>(trustedKeys(), envelope, 'postmortem-action', Date.now());
  if (!v.ok) throw new TypeError(`the postmortem action is not the API's: ${v.reason}`);
  const c = v.payload;
  if (c.workflowId !== workflowInfo().workflowId)
    throw new TypeError("the postmortem action is not the API's: signed for another postmortem");
  if (!text(c.actor, 200)) throw new TypeError('the postmortem action names no actor');
  if (!(POSTMORTEM_CHANNELS as readonly unknown[]).includes(c.channel))
    throw new TypeError(`unknown channel '${String(c.channel)}'`);
  if (!wellFormed(c.action)) throw new TypeError('the postmortem action is malformed');
  return c;
}

export { UNSIGNED };
