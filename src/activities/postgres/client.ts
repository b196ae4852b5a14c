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

/** Opens a connection to a configured database by its name. */
export type PgConnect = (database: string) => Promise<PgClient>;

/** How long connecting may take, and any statement of ours (not a smoke query's own timeout). */
const CONNECT_TIMEOUT_MS = 10_000;
const STATEMENT_TIMEOUT_MS = 30_000;

/** Real connections from `databases.<name>`; the password resolved by the worker's secret resolver. */
export function createPgConnect(deps: {
  databases: Readonly<Record<string, DatabaseConfig>>;
  secrets: Pick<SecretResolver, 'resolveFor'>;
}): PgConnect {
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
    const client = new Client({
      host: db.host,
      port: db.port,
      database: db.database,
      user: db.user,
      ...(password !== undefined ? { password } : {}),
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
      return pgFailure(err, `connect to database ${name} (${db.host}:${db.port})`);
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
): Promise<T> {
  const c = await connect(database);
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
