/**
 * Calling catalog actions from workflow code: with a retry policy, a timeout, a readable summary
 * (`<step>: <action>` in the Web UI) and an idempotency key derived from the workflow and step.
 * Hand-written workflows call an action by its activity name, typed by the exported activities
 * (its catalog schemas); the runbook interpreter calls by the name its compiled step carries.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  proxyActivities,
  proxyLocalActivities,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { ActionFailureDetails, ActionInput, ActionResult } from '../../shared/activity-types';
import { FAILURE } from '../../shared/failures';
import type { JsonObject, RetrySpec } from '../../shared/model';

/** Activities that speak the action envelope (every catalog action). */
export type ActionActivity = {
  [K in keyof Activities]: Activities[K] extends (env: ActionInput<infer _I>) => Promise<ActionResult<infer _O>>
    ? K
    : never;
}[keyof Activities];
export type InputOf<K extends ActionActivity> = Parameters<Activities[K]>[0]['input'];
export type OutputOf<K extends ActionActivity> = Awaited<ReturnType<Activities[K]>>['output'];

type UntypedAction = (input: ActionInput) => Promise<ActionResult>;

export interface CallOptions {
  /** The step (or part of a workflow) the call belongs to: its idempotency key is `<workflow id>/<id>`. */
  id: string;
  /** The action id, for the summary (`<id>: <action>`). */
  action: string;
  retry: RetrySpec;
  timeoutMs: number;
  /** For actions that heartbeat (the catalog's `heartbeatTimeoutMs`): a dead worker is noticed in this time. */
  heartbeatTimeoutMs?: number;
  /** Failure types never retried, beyond InvalidInput and the retry spec's own. */
  nonRetryable?: string[];
  /** What the action's context names the run as (the runbook; for hand-written workflows, their kind). */
  runbookId: string;
  dryRun: boolean;
  /**
   * Run it as a local activity: in the worker that runs the workflow, with no server round trip
   * to schedule it (its result is recorded as a marker). For quick reads on a path where every
   * round trip counts (a failover's assessment and validation). A mutation only when it reads
   * state first, as a replay after a worker's death runs it again (the failover's
   * pg:server:promote); never a long operation or one that heartbeats. @default false
   */
  local?: boolean;
}

export interface StepFailure {
  message: string;
  type?: string;
  attempts: number;
}

function retryPolicy(r: RetrySpec, nonRetryable: string[] = []) {
  return {
    maximumAttempts: r.maxAttempts,
    initialInterval: r.initialIntervalMs,
    backoffCoefficient: r.backoff,
    ...(r.maxIntervalMs ? { maximumInterval: r.maxIntervalMs } : {}),
    nonRetryableErrorTypes: [...nonRetryable, ...(r.nonRetryable ?? [])],
  };
}

/** Calls an action by the activity name a compiled runbook carries. Not async: one promise fewer per step. */
export function callActivity(activity: string, input: JsonObject, o: CallOptions): Promise<ActionResult> {
  const info = workflowInfo();
  const retry = retryPolicy(o.retry, [FAILURE.InvalidInput, ...(o.nonRetryable ?? [])]);
  const summary = `${o.id}: ${o.action}`;
  const acts = o.local
    ? proxyLocalActivities<Record<string, UntypedAction>>({ startToCloseTimeout: o.timeoutMs, retry, summary })
    : proxyActivities<Record<string, UntypedAction>>({
        startToCloseTimeout: o.timeoutMs,
        ...(o.heartbeatTimeoutMs ? { heartbeatTimeout: o.heartbeatTimeoutMs } : {}),
        retry,
        summary,
      });
  const fn = acts[activity] as UntypedAction;
  return fn({
    step: {
      workflowId: info.workflowId,
      runId: info.runId,
      stepId: o.id,
      runbookId: o.runbookId,
      // Stable across retries, worker crashes and replays; unique per run and step.
      idempotencyKey: `${info.workflowId}/${o.id}`,
      dryRun: o.dryRun,
    },
    input,
  });
}

/** Calls an action typed by its catalog schemas: `callAction('restartDeployment', { namespace, name }, o)`. */
export function callAction<K extends ActionActivity>(
  activity: K,
  input: InputOf<K>,
  o: CallOptions,
): Promise<ActionResult<OutputOf<K>>> {
  return callActivity(activity, input as JsonObject, o) as Promise<ActionResult<OutputOf<K>>>;
}

/** Reads what an action's failure says, whatever depth the cause sits at. */
export function describeFailure(err: unknown): StepFailure {
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) {
    const details = err.cause.details?.[0] as ActionFailureDetails | undefined;
    return { message: err.cause.message, type: err.cause.type ?? undefined, attempts: details?.attempt ?? 1 };
  }
  if (err instanceof ActivityFailure) {
    // Timeouts and other server-side failures carry their cause's message.
    const cause = err.cause;
    return { message: cause?.message ?? err.message, type: cause?.name ?? 'ActivityFailure', attempts: 1 };
  }
  if (err instanceof ApplicationFailure) {
    const details = err.details?.[0] as Partial<ActionFailureDetails> | undefined;
    return {
      message: err.message,
      type: err.type ?? undefined,
      attempts: typeof details?.attempt === 'number' ? details.attempt : 0,
    };
  }
  return { message: err instanceof Error ? err.message : String(err), attempts: 0 };
}
