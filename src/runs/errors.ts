/** What can go wrong when acting on runs, independent of HTTP; the API maps kinds to statuses. */
export type RunErrorKind = 'invalid' | 'not_found' | 'conflict' | 'unavailable' | 'forbidden';

export class RunError extends Error {
  override name = 'RunError';
  constructor(
    readonly kind: RunErrorKind,
    message: string,
    /** The request field at fault, e.g. `params.service`. */
    readonly field?: string,
  ) {
    super(message);
  }
}

/** True for errors meaning "Temporal cannot be reached now" (retry later), at any cause depth. */
export function isUnavailable(err: unknown): boolean {
  for (
    let e = err as { code?: unknown; message?: unknown; cause?: unknown } | undefined, depth = 0;
    e && depth < 6;
    e = e.cause as typeof e, depth++
  ) {
    // gRPC 14 UNAVAILABLE, 4 DEADLINE_EXCEEDED
    if (e.code === 14 || e.code === 4) return true;
    if (
      typeof e.message === 'string' &&
      /UNAVAILABLE|ECONNREFUSED|DEADLINE_EXCEEDED|Connection refused|connect error|transport error/i.test(e.message)
    )
      return true;
  }
  return false;
}
