/**
 * `databases:` in the configuration file: the PostgreSQL databases the `pg:*` actions may reach,
 * by name. A step names a database by its name only; where it is and how to log in stay here, so
 * no connection string or password ever enters a runbook or workflow history. The password is a
 * secret by name, resolved in the worker (env `RUNBOOK_SECRET_<NAME>` or the secrets folder).
 */
import { z } from 'zod';

const secretName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a secret name: letters, digits, . _ -');
const identifier = z.string().regex(/^[A-Za-z_][A-Za-z0-9_$-]{0,62}$/, 'a PostgreSQL name (at most 63 characters)');

export const databaseConfig = z
  .object({
    host: z.string().min(1),
    /** @default 5432 */
    port: z.number().int().min(1).max(65535).default(5432),
    database: identifier,
    user: identifier,
    /** The secret holding the password; none for trust or peer authentication. */
    passwordSecret: secretName.optional(),
    /** What the server shows in pg_stat_activity for our connections. @default durable-runbooks */
    application_name: z.string().min(1).max(63).default('durable-runbooks'),
  })
  .strict();
export type DatabaseConfig = z.infer<typeof databaseConfig>;

export const databasesSection = z.record(
  z.string().regex(/^[a-z][a-z0-9-]*$/, 'lower-case letters, digits and dashes, starting with a letter'),
  databaseConfig,
);
