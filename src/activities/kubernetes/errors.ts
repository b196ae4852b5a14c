/**
 * Kubernetes API errors at the activity boundary: not found, forbidden and invalid input are
 * permanent, with their type; conflicts (a concurrent writer) and server errors are retried.
 */
import { FAILURE } from '../../shared/failures';
import { ApplicationFailure } from '@temporalio/common';

interface StatusBody {
  message?: string;
  reason?: string;
}

/** The HTTP status and the server's message of a client-node error; undefined for others. */
export function statusOf(err: unknown): { code: number; message: string } | undefined {
  const e = err as { code?: unknown; body?: unknown; message?: string };
  if (typeof e?.code !== 'number' || e.code < 100) return undefined;
  let body: StatusBody | undefined;
  try {
    body = typeof e.body === 'string' ? (JSON.parse(e.body) as StatusBody) : (e.body as StatusBody | undefined);
  } catch {
    body = undefined;
  }
  return { code: e.code, message: body?.message ?? e.message ?? `HTTP ${e.code}` };
}

/** Rethrows a client-node error as the failure the workflow understands. */
export function kubeFailure(err: unknown, what: string): never {
  const s = statusOf(err);
  if (!s) throw err;
  const msg = `${what}: ${s.message}`;
  if (s.code === 404) throw ApplicationFailure.nonRetryable(msg, FAILURE.NotFound);
  if (s.code === 401 || s.code === 403) throw ApplicationFailure.nonRetryable(msg, FAILURE.Forbidden);
  if (s.code === 400 || s.code === 422) throw ApplicationFailure.nonRetryable(msg, FAILURE.InvalidInput);
  // A server-side apply conflict (a field another manager owns) stays until someone decides: not retried.
  if (s.code === 409 && /^Apply failed with/.test(s.message))
    throw ApplicationFailure.nonRetryable(msg, FAILURE.ApplyConflict);
  if (s.code === 409) throw ApplicationFailure.retryable(msg, FAILURE.Conflict);
  throw ApplicationFailure.retryable(msg, s.code >= 500 ? FAILURE.HttpServerError : FAILURE.HttpUnexpectedStatus);
}

/** Runs one API call, mapping its failure. */
export async function kube<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    return kubeFailure(err, what);
  }
}
