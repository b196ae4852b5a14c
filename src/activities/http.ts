/**
 * HTTP actions: one request, or a check of an endpoint. Built over an injected `fetch`, so unit
 * tests pass a small fake and production passes the real one.
 */
import { FAILURE } from '../shared/failures';
import type { HttpCheckInput, HttpCheckResult, HttpRequestInput, HttpRequestResult } from '../catalog/http';
import type { JsonValue } from '../shared/model';
import type { StepContext } from '../shared/activity-types';
import { ApplicationFailure } from '@temporalio/common';
import { permanent } from './errors';
import type { EgressGuard } from './egress';
import { readCapped, safeFetch } from './safe-fetch';
import { buildHeaders, type SecretResolver } from './secrets';
import { compileLinearRegex, type LinearRegex } from '../shared/linear-regex';

export interface HttpDeps {
  fetch: typeof globalThis.fetch;
  secrets: SecretResolver;
  egress: EgressGuard;
  /** Monotonic clock in ms, injectable for tests. */
  now?: () => number;
}

/** No answer is read past this: an endless body costs 1 MiB, not the worker's memory. */
const MAX_READ_BYTES = 1024 * 1024;
/** Bodies are kept in history and status; a runbook needs a little, not megabytes. */
const MAX_BODY_CHARS = 64 * 1024;
const KEPT_HEADERS = ['content-type', 'location', 'retry-after', 'etag', 'idempotency-key'];

async function readBody(res: Response): Promise<{ body: JsonValue; truncated: boolean }> {
  const { text, truncated: cut } = await readCapped(res, MAX_READ_BYTES);
  const truncated = cut || text.length > MAX_BODY_CHARS;
  const clipped = truncated ? `${text.slice(0, MAX_BODY_CHARS)}…` : text;
  if ((res.headers.get('content-type') ?? '').includes('json') && !truncated) {
    try {
      return { body: JSON.parse(text) as JsonValue, truncated };
    } catch {
      return { body: clipped, truncated };
    }
  }
  return { body: clipped, truncated };
}

export function createHttpActivities(deps: HttpDeps) {
  const now = deps.now ?? (() => performance.now());

  async function httpRequest(input: HttpRequestInput, ctx: StepContext): Promise<HttpRequestResult> {
    const headers = await buildHeaders(deps.secrets, input.headers, input.secretHeaders, input.url);
    const carriesSecrets = Object.keys(input.secretHeaders ?? {}).length > 0;
    const mutating = !['GET', 'HEAD'].includes(input.method);
    // Receivers that honour it apply a retried or replayed mutation once.
    if (mutating && !Object.keys(headers).some((h) => h.toLowerCase() === 'idempotency-key')) {
      headers['Idempotency-Key'] = ctx.idempotencyKey;
    }
    let body: string | undefined;
    if (input.body !== undefined && input.method !== 'GET' && input.method !== 'HEAD') {
      body = typeof input.body === 'string' ? input.body : JSON.stringify(input.body);
      if (typeof input.body !== 'string' && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
        headers['Content-Type'] = 'application/json';
      }
    }
    const started = now();
    const res = await safeFetch(deps, {
      url: input.url,
      init: {
        method: input.method,
        headers,
        ...(body !== undefined ? { body } : {}),
        signal: AbortSignal.timeout(input.requestTimeoutMs),
      },
      carriesSecrets,
    });
    const read = input.method === 'HEAD' ? { body: '', truncated: false } : await readBody(res);
    const result: HttpRequestResult = {
      status: res.status,
      headers: Object.fromEntries(
        KEPT_HEADERS.flatMap((h) => (res.headers.has(h) ? [[h, res.headers.get(h) as string]] : [])),
      ),
      body: read.body,
      ...(read.truncated ? { truncated: true } : {}),
      durationMs: Math.round(now() - started),
    };
    const accepted = input.acceptStatus
      ? input.acceptStatus.includes(res.status)
      : res.status >= 200 && res.status < 300;
    if (accepted) return result;
    const msg = `${input.method} ${input.url} answered ${res.status}`;
    if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) {
      throw ApplicationFailure.create({
        message: msg,
        type: FAILURE.HttpClientError,
        nonRetryable: true,
        details: [result],
      });
    }
    throw ApplicationFailure.create({
      message: msg,
      type: res.status >= 500 ? FAILURE.HttpServerError : FAILURE.HttpUnexpectedStatus,
      details: [result],
    });
  }

  async function httpCheck(input: HttpCheckInput, _ctx: StepContext): Promise<HttpCheckResult> {
    const problems: string[] = [];
    // Invalid input fails the step; only what the endpoint does counts as a problem.
    const pattern = input.bodyMatches !== undefined ? safeRegExp(input.bodyMatches) : undefined;
    const headers = await buildHeaders(deps.secrets, input.headers, input.secretHeaders, input.url);
    const carriesSecrets = Object.keys(input.secretHeaders ?? {}).length > 0;
    const started = now();
    let status: number | null = null;
    try {
      const res = await safeFetch(deps, {
        url: input.url,
        init: { method: input.method, headers, signal: AbortSignal.timeout(input.requestTimeoutMs) },
        carriesSecrets,
      });
      status = res.status;
      const { text, truncated } =
        input.method === 'HEAD' ? { text: '', truncated: false } : await readCapped(res, MAX_READ_BYTES);
      const within = truncated ? ` (in its first ${MAX_READ_BYTES / 1024 / 1024} MiB, all that is read)` : '';
      const expected = Array.isArray(input.expectStatus) ? input.expectStatus : [input.expectStatus];
      if (!expected.includes(res.status)) problems.push(`status ${res.status}, expected ${expected.join(' or ')}`);
      if (input.bodyContains !== undefined && !text.includes(input.bodyContains))
        problems.push(`body does not contain '${input.bodyContains}'${within}`);
      if (pattern && !pattern.test(text)) problems.push(`body does not match /${input.bodyMatches}/${within}`);
    } catch (err) {
      // A refusal (egress, a secret's binding) is the step's failure, not the endpoint's problem.
      if (err instanceof ApplicationFailure && err.nonRetryable) throw err;
      problems.push(
        (err as Error).name === 'TimeoutError' ? `no answer within ${input.requestTimeoutMs}ms` : networkErrorText(err),
      );
    }
    const latencyMs = Math.round(now() - started);
    if (input.latencyBudgetMs !== undefined && latencyMs > input.latencyBudgetMs) {
      problems.push(`latency ${latencyMs}ms over budget ${input.latencyBudgetMs}ms`);
    }
    const result: HttpCheckResult = { ok: problems.length === 0, status, latencyMs, problems };
    if (input.require && !result.ok) {
      throw ApplicationFailure.create({
        message: `check failed: ${problems.join('; ')}`,
        type: FAILURE.CheckFailed,
        details: [result],
      });
    }
    return result;
  }

  return { httpRequest, httpCheck };
}

/** fetch says only "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND, bad port) is in `cause`. */
export function networkErrorText(err: unknown): string {
  const e = err as Error & { cause?: Error & { code?: string } };
  const cause = e.cause?.code ?? e.cause?.message;
  return cause && !e.message.includes(cause) ? `${e.message}: ${cause}` : e.message;
}

/** Linear time, whatever the body (up to 1 MiB) and the pattern: no backtracking. */
function safeRegExp(src: string): LinearRegex {
  try {
    return compileLinearRegex(src);
  } catch (err) {
    throw permanent(`bodyMatches is not a valid regular expression: ${(err as Error).message}`, FAILURE.InvalidInput);
  }
}
