/** What the Redis catalog entries share: the server by its configuration name, key patterns, bounds, failures. */
import { FAILURE } from '../../shared/failures';
import { z } from 'zod';

export const server = z
  .string()
  .regex(/^[a-z][a-z0-9-]*$/, 'a Redis server name from configuration (redisServers.<name>)')
  .describe('The server by its configuration name (`redisServers.<name>`); never an address or URL.');

export const match = z
  .string()
  .min(1)
  .max(512)
  .describe('A SCAN MATCH glob (`request:*`): `*`, `?`, `[...]`, backslash escapes.');

/** How many keys one SCAN call is asked for (a hint: Redis may answer more or fewer). */
export const count = z
  .number()
  .int()
  .min(10)
  .max(10_000)
  .default(500)
  .describe('The SCAN COUNT hint per call (default 500).');

export const maxKeys = z
  .number()
  .int()
  .min(1)
  .max(1_000_000)
  .default(10_000)
  .describe('Stop after looking at this many keys (default 10,000); `complete` says whether the scan ended first.');

export const limit = z.number().int().min(0).max(100).default(20).describe('At most this many keys are listed.');

export const NON_RETRYABLE = [
  FAILURE.InvalidInput,
  FAILURE.UnknownTarget,
  FAILURE.MissingSecret,
  FAILURE.SecretNotAllowed,
  FAILURE.Forbidden,
  FAILURE.NotFound,
];
