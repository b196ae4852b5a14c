/**
 * The error taxonomy at the activity boundary: each client's errors are wrapped once, here.
 * Transient errors stay retryable; permanent ones are non-retryable with a type the workflow
 * can branch on. Every failure carries the attempt number so the run can report it.
 */
import { FAILURE, type FailureType } from '../shared/failures';
import { ApplicationFailure } from '@temporalio/common';
import type { ActionFailureDetails } from '../shared/activity-types';

export function permanent(message: string, type: FailureType): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, type);
}

/** Re-throws any error as an ApplicationFailure carrying the attempt, keeping its type and retryability. */
export function wrapFailure(err: unknown, attempt: number): ApplicationFailure {
  const details: ActionFailureDetails = { attempt };
  if (err instanceof ApplicationFailure) {
    return ApplicationFailure.create({
      message: err.message,
      type: err.type ?? 'Error',
      nonRetryable: err.nonRetryable === true,
      details: [details],
      cause: err.cause,
      // A receiver's Retry-After (429, 503) chooses the next attempt's delay.
      ...(err.nextRetryDelay ? { nextRetryDelay: err.nextRetryDelay } : {}),
    });
  }
  // Duck-typed: errors from Node internals are not `instanceof Error` across realms (jest, vm).
  const e = typeof err === 'object' && err !== null && 'message' in err ? (err as Error) : new Error(String(err));
  // Node's network errors hide the useful part (ECONNREFUSED, bad port) in `cause`.
  const cause = e.cause as (Error & { code?: string }) | undefined;
  const code = cause?.code ?? (e as { code?: string }).code;
  const why = code ?? cause?.message;
  return ApplicationFailure.create({
    message: why && !e.message.includes(why) ? `${e.message}: ${why}` : e.message,
    type: code ?? (e.name === 'TimeoutError' ? FAILURE.Timeout : e.name),
    nonRetryable: false,
    details: [details],
  });
}
