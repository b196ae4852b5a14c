/** Retry-After as the notify senders read it (PagerDuty, Statuspage, Slack, webhooks): the next attempt's delay. */
import { ApplicationFailure } from '@temporalio/common';
import { FAILURE, type FailureType } from '../../shared/failures';
import { permanent } from '../errors';

/** A Retry-After beyond this is taken as this: the step's own timeout and retries still bound it. */
export const MAX_RETRY_AFTER_MS = 60 * 60 * 1000;

/** Retry-After as delay-seconds or an HTTP date, in ms; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const ms = /^\d+$/.test(header.trim()) ? Number(header.trim()) * 1000 : Date.parse(header) - now;
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS) : undefined;
}

/**
 * The retryable failure for a receiver that said "later" (429, 5xx, its own "slow down"): waits
 * as its Retry-After says, which the message repeats for whoever reads the run.
 */
export function retryLater(message: string, status: number, headers: Headers, type?: FailureType): ApplicationFailure {
  const delay = retryAfterMs(headers.get('retry-after'));
  return ApplicationFailure.create({
    message: `${message}${delay !== undefined ? ` (retry after ${Math.round(delay / 1000)} s)` : ''}`,
    type: type ?? (status >= 500 ? FAILURE.HttpServerError : FAILURE.HttpUnexpectedStatus),
    nonRetryable: false,
    ...(delay !== undefined ? { nextRetryDelay: delay } : {}),
  });
}

/**
 * The failure for an answer that is not a success, as every sender reads one: 429 (and what
 * `later` adds, e.g. Statuspage's 420) and 5xx are retried when Retry-After says; other 4xx but
 * 408 are permanent, carrying the receiver's words; anything else (3xx, 408) is retried.
 */
export function answerFailure(
  message: string,
  res: Pick<Response, 'status' | 'headers'>,
  words: () => string,
  later: readonly number[] = [],
): ApplicationFailure {
  const s = res.status;
  if (s === 429 || s >= 500 || later.includes(s)) return retryLater(message, s, res.headers);
  if (s >= 400 && s < 500 && s !== 408) {
    const said = words();
    return permanent(said ? `${message}: ${said}` : message, FAILURE.HttpClientError);
  }
  return ApplicationFailure.retryable(message, FAILURE.HttpUnexpectedStatus);
}
