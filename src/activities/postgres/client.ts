/**
 * PostgreSQL as the activities use it: a narrow client (`query`, `end`) over node-postgres, made
 * from a database's configuration by name. Runbook steps name a database; its host, user and
 * password stay in the worker's configuration and secrets and never enter workflow history.
 *
 * One connection per call, closed when the call ends, rather than a pool per database: these
 * actions are occasional diagnostics, often run while the server is short of connections (a pool
 * would keep holding slots against max_connections on the very server being diagnosed), and a
 * per-call connection needs no shutdown hook in the worker and never hands a step a connection a
 * failover broke.
 */
import { Client, type QueryArrayConfig } from 'pg';
import { FAILURE } from '../../shared/failures';
import type { DatabaseConfig } from '../../config/databases-schema';
import { permanent } from '../errors';
import type { SecretResolver } from '../secrets';
import { pgFailure } from './errors';

export interface PgResult {
  columns: string[];
  /** Each row's values in column order (duplicate column names stay apart). */
  rows: unknown[][];
}

export interface PgClient {
  /** One statement, always through the extended protocol: a text holding several statements is refused. */
  query(sql: string, params?: readonly unknown[]): Promise<PgResult>;
  end(): Promise<void>;
}

/**
 * Opens a connection to a configured database by its name; `dbname` connects to another database
 * on the same server as the same user (a restore's staging copy, the maintenance database).
 */
export type PgConnect = (database: string, o?: { dbname?: string }) => Promise<PgClient>;

/** Where a configured database is and how to log in: for the client tools (pg_dump, pg_restore). */
export interface PgTarget {
  host: string;
  port: number;
  database: string;
  user: string;
  application_name: string;
  /** Resolved in the worker for this server only; passed to tools in their environment, never argv. */
  password?: string;
}

/** Resolves a configured database by name: UnknownTarget, MissingSecret or SecretNotAllowed when it cannot. */
export type PgResolve = (database: string) => Promise<PgTarget>;

/** How long connecting may take, and any statement of ours (not a smoke query's own timeout). */
const CONNECT_TIMEOUT_MS = 10_000;
const STATEMENT_TIMEOUT_MS = 30_000;

export interface PgDeps {
  databases: Readonly<Record<string, DatabaseConfig>>;
  secrets: Pick<SecretResolver, 'resolveFor'>;
}

/** `databases.<name>` with its password resolved by the worker's secret resolver. */
export function createPgResolve(deps: PgDeps): PgResolve {
  return async (name) => {
    const db = Object.prototype.hasOwnProperty.call(deps.databases, name) ? deps.databases[name] : undefined;
    if (!db)
      throw permanent(
        `no database '${name}' in configuration (databases.<name>; known: ${Object.keys(deps.databases).join(', ') || 'none'})`,
        FAILURE.UnknownTarget,
      );
    // Bound like every secret: the password goes only to a server its secrets.<name>.sendTo lists
    // (postgres://host:port), even though the host comes from configuration, not from the step.
    const password = db.passwordSecret
      ? await deps.secrets.resolveFor(db.passwordSecret, `postgres://${hostForUrl(db.host)}:${db.port}`)
      : undefined;
    return {
      host: db.host,
      port: db.port,
      database: db.database,
      user: db.user,
      application_name: db.application_name,
      ...(password !== undefined ? { password } : {}),
    };
  };
}

/** Real connections from `databases.<name>`, one per call. */
export function createPgConnect(deps: PgDeps | { resolve: PgResolve }): PgConnect {
  const resolve = 'resolve' in deps ? deps.resolve : createPgResolve(deps);
  return async (name, o = {}) => {
    const db = await resolve(name);
    const client = new Client({
      host: db.host,
      port: db.port,
      database: o.dbname ?? db.database,
      user: db.user,
      ...(db.password !== undefined ? { password: db.password } : {}),
      application_name: db.application_name,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      statement_timeout: STATEMENT_TIMEOUT_MS,
    });
    // A server that goes away later emits 'error' on the client: without a listener it would crash the worker.
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (err) {
      await client.end().catch(() => undefined);
      const which =
        o.dbname && o.dbname !== db.database ? `${name}'s server, database ${o.dbname}` : `database ${name}`;
      return pgFailure(err, `connect to ${which} (${db.host}:${db.port})`);
    }
    return {
      async query(sql, params = []) {
        // queryMode is node-postgres' (8.x), missing from its types: extended even without params.
        const config: QueryArrayConfig & { queryMode: 'extended' } = {
          text: sql,
          values: [...params],
          rowMode: 'array',
          queryMode: 'extended',
        };
        const r = await client.query(config);
        return { columns: r.fields.map((f) => f.name), rows: r.rows as unknown[][] };
      },
      end: () => client.end(),
    };
  };
}

/** A host as a URL writes it (an IPv6 address in brackets). */
function hostForUrl(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** Runs `fn` on a fresh connection to the database, closing it however `fn` ends; errors mapped once. */
export async function withDatabase<T>(
  connect: PgConnect,
  database: string,
  fn: (c: PgClient) => Promise<T>,
  o: { dbname?: string } = {},
): Promise<T> {
  const c = await connect(database, o);
  try {
    return await fn(c);
  } catch (err) {
    return pgFailure(err, `database ${database}`);
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** A result's rows as objects by column name (for our own queries, whose columns are distinct). */
export function records(r: PgResult): Array<Record<string, unknown>> {
  return r.rows.map((row) => Object.fromEntries(r.columns.map((c, i) => [c, row[i]])));
}
