/** What the PostgreSQL catalog entries share: the database by its configuration name, permanent failures. */
import { FAILURE } from '../../shared/failures';
import { z } from 'zod';

export const database = z
  .string()
  .regex(/^[a-z][a-z0-9-]*$/, 'a database name from configuration (databases.<name>)')
  .describe('The database by its configuration name (`databases.<name>`); never a connection string.');
export const NON_RETRYABLE = [
  FAILURE.InvalidInput,
  FAILURE.UnknownTarget,
  FAILURE.MissingSecret,
  FAILURE.Forbidden,
  FAILURE.NotFound,
];
