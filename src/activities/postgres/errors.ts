/**
 * PostgreSQL errors at the activity boundary, by SQLSTATE class: bad credentials and missing
 * privileges are Forbidden, a missing database NotFound, a query that is wrong or writes in a
 * read-only transaction InvalidInput (none worth retrying); a statement timeout is a Timeout and
 * everything else (the server starting up, shutting down, out of connections, a dropped
 * connection) is retried. Network errors keep Node's code (ECONNREFUSED, ...) and are retried.
 */
import { ApplicationFailure } from '@temporalio/common';
import { FAILURE } from '../../shared/failures';
import { permanent } from '../errors';

const PERMANENT: ReadonlyArray<[RegExp, (typeof FAILURE)[keyof typeof FAILURE]]> = [
  [/^28/, FAILURE.Forbidden], // invalid authorization
  [/^42501$/, FAILURE.Forbidden], // insufficient privilege
  [/^3D000$/, FAILURE.NotFound], // database does not exist
  [/^25006$/, FAILURE.InvalidInput], // read-only transaction: the query writes
  [/^(42|22|0A|21|2B|3F)/, FAILURE.InvalidInput], // syntax, names, data, unsupported
];

/** Rethrows a node-postgres (or network) error as the failure the workflow understands. */
export function pgFailure(err: unknown, what: string): never {
  if (err instanceof ApplicationFailure) throw err;
  const e = err as { code?: unknown; message?: unknown };
  const said = typeof e?.message === 'string' ? e.message : String(err);
  const message = `${what}: ${said}`;
  const code = typeof e?.code === 'string' ? e.code : undefined;
  // SQLSTATE classes are digits or F0, HV, P0, XX: never Node's E... codes (EPIPE is five letters too).
  const sqlState = code && /^([0-9][0-9A-Z]|F0|HV|P0|XX)[0-9A-Z]{3}$/.test(code) ? code : undefined;
  // node-postgres' own connect timeout carries no code.
  const timedOut = sqlState === '57014' || (!code && /timeout/i.test(said));
  if (timedOut) throw ApplicationFailure.retryable(message, FAILURE.Timeout);
  if (!sqlState) throw ApplicationFailure.create({ message, type: code ?? 'Error', nonRetryable: false });
  const type = PERMANENT.find(([re]) => re.test(sqlState))?.[1];
  if (!type)
    throw ApplicationFailure.create({
      message: `${message} (SQLSTATE ${sqlState})`,
      type: 'Error',
      nonRetryable: false,
    });
  throw permanent(`${message} (SQLSTATE ${sqlState})`, type);
}
