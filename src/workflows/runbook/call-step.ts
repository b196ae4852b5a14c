/** A runbook step's catalog call: its activity, retry policy and timeout, through the kit. */
import type { ActionResult } from '../../shared/activity-types';
import type { ActionRef, JsonObject, RetrySpec } from '../../shared/model';
import { callActivity } from '../kit';

/** Not async: one promise fewer per step (the SDK traces every workflow promise). */
export function callStep(
  step: { id: string; retry: RetrySpec; timeoutMs: number } & ActionRef,
  input: JsonObject,
  run: { runbookId: string; dryRun: boolean },
): Promise<ActionResult> {
  return callActivity(step.activity, input, {
    id: step.id,
    action: step.action,
    retry: step.retry,
    timeoutMs: step.timeoutMs,
    ...(step.heartbeatTimeoutMs ? { heartbeatTimeoutMs: step.heartbeatTimeoutMs } : {}),
    ...(step.nonRetryable ? { nonRetryable: step.nonRetryable } : {}),
    runbookId: run.runbookId,
    dryRun: run.dryRun,
  });
}
