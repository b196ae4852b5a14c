/**
 * What the backup and restore-verification workflows share: the start check (only a plan the API
 * signed is run), how they call the catalog, and the RPO available now (the newest backup's age,
 * or with WAL archived continuously the seconds since the last archived segment).
 */
import { ApplicationFailure } from '@temporalio/workflow';
import type { BackupPlanDefinition, BackupWorkflowInput, RpoReading } from '../../shared/backup';
import { FAILURE } from '../../shared/failures';
import type { RetrySpec } from '../../shared/model';
import {
  callAction,
  describeFailure,
  type ActionActivity,
  type CallOptions,
  type InputOf,
  type OutputOf,
} from '../kit';
import { verifiedStart } from '../kit/trust';

/** Reads and bookkeeping: quick, retried a few times. */
export const READ_RETRY: RetrySpec = { maxAttempts: 5, initialIntervalMs: 2000, backoff: 2, maxIntervalMs: 30_000 };
/** A dump or a restore: a failed attempt costs its whole length, so fewer, and spaced out. */
export const LONG_RETRY: RetrySpec = { maxAttempts: 3, initialIntervalMs: 30_000, backoff: 2, maxIntervalMs: 300_000 };
/** The long actions heartbeat (a timer every 10 s, and progress): a dead worker is noticed in this time. */
export const HEARTBEAT_MS = 30_000;

/** Verifies the start: the plan is the one the API signed, for this kind. Throws Unverified. */
export function checkPlanStart(input: BackupWorkflowInput): BackupPlanDefinition {
  const claims = verifiedStart(input.signed, input.plan);
  if (claims.runbookId !== input.plan?.name)
    throw ApplicationFailure.create({
      message: `the start is not the API's: signed for plan '${String(claims.runbookId)}'; nothing was done`,
      type: FAILURE.Unverified,
      nonRetryable: true,
    });
  return input.plan;
}

export interface PlanCaller {
  <K extends ActionActivity>(
    activity: K,
    id: string,
    input: InputOf<K>,
    o?: Partial<Pick<CallOptions, 'retry' | 'timeoutMs' | 'heartbeatTimeoutMs' | 'nonRetryable' | 'local'>>,
  ): Promise<OutputOf<K>>;
}

/** Calls actions as `<kind>:<plan>` (their context's runbook), with the read defaults (the failover's too). */
export function planCaller(kind: string, plan: { name: string }): PlanCaller {
  return async (activity, id, input, o = {}) => {
    const r = await callAction(activity, input, {
      id,
      action: activity,
      retry: o.retry ?? READ_RETRY,
      timeoutMs: o.timeoutMs ?? 120_000,
      ...(o.heartbeatTimeoutMs ? { heartbeatTimeoutMs: o.heartbeatTimeoutMs } : {}),
      nonRetryable: [FAILURE.IntegrityFailed, FAILURE.UnknownTarget, ...(o.nonRetryable ?? [])],
      ...(o.local ? { local: true } : {}),
      runbookId: `${kind}:${plan.name}`,
      dryRun: false,
    });
    return r.output;
  };
}

export const errorOf = (err: unknown): { message: string; type?: string } => {
  const f = describeFailure(err);
  return { message: f.message, ...(f.type ? { type: f.type } : {}) };
};

/** The RPO a restore gives now, read the way the plan says. Never throws: an unreadable RPO is a miss. */
export async function readRpo(
  call: PlanCaller,
  plan: BackupPlanDefinition,
  newestAgeSeconds: number | null,
  id: string,
): Promise<RpoReading> {
  const objectiveSeconds = Math.round(plan.objectives.rpoMs / 1000);
  let seconds = newestAgeSeconds;
  if (plan.rpoFrom === 'wal-archive') {
    try {
      const a = await call('pg:archive:read', id, { database: plan.database });
      // An archiver that is failing loses everything since its last success, however recent.
      seconds = a.archiving ? a.secondsSinceLastArchived : null;
    } catch {
      seconds = null;
    }
  }
  return { seconds, objectiveSeconds, met: seconds !== null && seconds <= objectiveSeconds, from: plan.rpoFrom };
}

export { showPhase } from '../kit/phase';

export const seconds = (ms: number): string =>
  ms >= 3_600_000
    ? `${(ms / 3_600_000).toFixed(1)} h`
    : ms >= 60_000
      ? `${Math.round(ms / 60_000)} min`
      : `${Math.round(ms / 1000)} s`;
