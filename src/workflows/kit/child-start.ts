/**
 * A child run's start, signed in this workflow's sandbox with the worker's key (as the API signs
 * its own), so the child trusts it: what an incident or a failover starts names it as the
 * trigger. Bound to the child's workflow id and short-lived, like the API's.
 */
import type { ParamValue, TriggerInfo } from '../../shared/model';
import { definitionDigest, signInSandbox, START_TTL_MS, type SignedStart, type StartClaims } from '../../shared/signed';
import { trustedKeys } from './trust';

export function childStartClaims(
  workflowType: string,
  workflowId: string,
  runbookId: string,
  params: Record<string, ParamValue>,
  trigger: TriggerInfo,
  definition?: unknown,
): StartClaims {
  return {
    purpose: 'start',
    workflowType,
    workflowId,
    runbookId,
    params,
    trigger,
    emergency: false,
    dryRun: false,
    expiresAt: new Date(Date.now() + START_TTL_MS).toISOString(),
    ...(definition !== undefined ? { definitionDigest: definitionDigest(definition) } : {}),
  };
}

/** The signed start of a child run. */
export function signChildStart(...args: Parameters<typeof childStartClaims>): SignedStart {
  return signInSandbox(trustedKeys(), childStartClaims(...args));
}
