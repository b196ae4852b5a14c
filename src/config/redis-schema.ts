/**
 * `redisServers:` in the configuration file: the Redis servers the `redis:*` actions may reach, by
 * name. A step names a server by its name only; where it is, which database and how to log in stay
 * here, so no address or password ever enters a runbook or workflow history. The password is a
 * secret by name, resolved in the worker and sent only to `redis://host:port` (`rediss://` with
 * TLS) when `secrets.<name>.sendTo` lists it.
 */
import { z } from 'zod';

const secretName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a secret name: letters, digits, . _ -');

export const redisServerConfig = z
  .object({
    /** Host name or address of the server (a primary or a replica). */
    host: z.string().min(1),
    /** @default 6379 */
    port: z.number().int().min(1).max(65535).default(6379),
    /** The logical database the actions work on (`SELECT`); backups copy every database. @default 0 */
    db: z.number().int().min(0).max(10_000).default(0),
    /** The ACL user (Redis 6+); none logs in as `default`. */
    username: z.string().min(1).max(128).optional(),
    /** The secret holding the password (`requirepass` or the ACL user's); none when the server has no auth. */
    passwordSecret: secretName.optional(),
    /** Connect with TLS, checking the server's certificate against the system's CAs. @default false */
    tls: z.boolean().default(false),
  })
  .strict();
export type RedisServerConfig = z.infer<typeof redisServerConfig>;

export const redisServersSection = z.record(
  z.string().regex(/^[a-z][a-z0-9-]*$/, 'lower-case letters, digits and dashes, starting with a letter'),
  redisServerConfig,
);
