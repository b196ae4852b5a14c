/** Calls a catalog action's activity with the step's retry policy, timeout and a readable summary. */
import { FAILURE } from '../../shared/failures';
import { ActivityFailure, ApplicationFailure, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { ActionInput, ActionResult, ActionFailureDetails } from '../../shared/activity-types';
import type { ActionRef, JsonObject, RetrySpec } from '../../shared/model';

type ActionActivities = Record<string, (input: ActionInput) => Promise<ActionResult>>;

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

/** Not async: one promise fewer per step (the SDK traces every workflow promise). */
export function callAction(
  step: { id: string; retry: RetrySpec; timeoutMs: number } & ActionRef,
  input: JsonObject,
  run: { runbookId: string; dryRun: boolean },
): Promise<ActionResult> {
  const info = workflowInfo();
  const acts = proxyActivities<ActionActivities>({
    startToCloseTimeout: step.timeoutMs,
    retry: retryPolicy(step.retry, [FAILURE.InvalidInput, ...(step.nonRetryable ?? [])]),
    summary: `${step.id}: ${step.action}`,
  });
  const fn = acts[step.activity] as ActionActivities[string];
  return fn({
    step: {
      workflowId: info.workflowId,
      runId: info.runId,
      stepId: step.id,
      runbookId: run.runbookId,
      // Stable across retries, worker crashes and replays; unique per run and step.
      idempotencyKey: `${info.workflowId}/${step.id}`,
      dryRun: run.dryRun,
    },
    input,
  });
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
