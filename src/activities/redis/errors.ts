/**
 * Redis errors at the activity boundary, by the reply's error code: failed or missing
 * authentication and ACL refusals are Forbidden, a database index the server lacks NotFound, a
 * write on a replica or a command the server does not know InvalidInput (none worth retrying).
 * Everything else (LOADING, BUSY, MASTERDOWN, a dropped connection, a timeout) is retried; network
 * errors keep Node's code (ECONNREFUSED, ...).
 */
import { ApplicationFailure, TemporalFailure } from '@temporalio/common';
import { FAILURE, type FailureType } from '../../shared/failures';
import { permanent } from '../errors';

const PERMANENT: ReadonlyArray<[RegExp, FailureType]> = [
  [/^(NOAUTH|WRONGPASS|NOPERM)\b/, FAILURE.Forbidden],
  [/^ERR AUTH\b.*without any password configured/, FAILURE.Forbidden],
  [/^ERR (invalid password|Client sent AUTH)/, FAILURE.Forbidden],
  [/^ERR (DB index is out of range|invalid DB index)/, FAILURE.NotFound],
  [/^READONLY\b/, FAILURE.InvalidInput],
  [/^ERR unknown (sub)?command\b/i, FAILURE.InvalidInput],
];

/** Rethrows an ioredis (or network) error as the failure the workflow understands. */
export function redisFailure(err: unknown, what: string): never {
  // Already a failure (ours, the store's) or the activity's cancellation: as it is.
  if (err instanceof TemporalFailure) throw err;
  const e = err as { code?: unknown; message?: unknown; name?: unknown };
  const said = typeof e?.message === 'string' ? e.message : String(err);
  const message = `${what}: ${said}`;
  // RESTORE without REPLACE found the key (a writer got there first): the retry reads the state again.
  if (/^BUSYKEY\b/.test(said)) throw ApplicationFailure.retryable(message, FAILURE.Conflict);
  const code = typeof e?.code === 'string' && /^E[A-Z0-9_]+$/.test(e.code) ? e.code : undefined;
  if (code === 'ETIMEDOUT' || /^Command timed out$/.test(said))
    throw ApplicationFailure.retryable(message, FAILURE.Timeout);
  const type = PERMANENT.find(([re]) => re.test(said))?.[1];
  if (type) throw permanent(message, type);
  throw ApplicationFailure.create({ message, type: code ?? 'Error', nonRetryable: false });
}
