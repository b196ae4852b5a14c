/** What the PostgreSQL catalog entries share: the database and backup store by their configuration names, key prefixes, backup ids, permanent failures. */
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

/** A backup store by its configuration name (each entry describes what it keeps there). */
export const storeName = z
  .string()
  .regex(/^[a-z][a-z0-9-]*$/, 'a backup store name from configuration (backupStores.<name>)');
/** A folder in a store: path segments each ending in `/` (each entry says its default). */
export const keyPrefix = z
  .string()
  .regex(/^([A-Za-z0-9][A-Za-z0-9._=+-]*\/)*$/, 'a key prefix: path segments each ending in /')
  .max(200);
/** A backup's id: its folder under the prefix. */
export const backupIdText = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$/, 'letters, digits, . _ - (at most 80)');
