/**
 * Connections to Temporal from configuration: address, namespace, TLS files, API key from env.
 * And reaching it at start: a process started before its Temporal answers (compose bringing both
 * up, a cluster restarting) retries with capped backoff and says why meanwhile, instead of exiting
 * and leaving a supervisor to restart it in a loop.
 */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { AppConfig } from './load';

type Addressed = AppConfig & { temporalAddress: string };

function tlsOptions(config: AppConfig) {
  if (!config.tls) return undefined;
  const t = config.tls;
  return {
    ...(t.serverName ? { serverNameOverride: t.serverName } : {}),
    ...(t.caPath ? { serverRootCACertificate: readFileSync(t.caPath) } : {}),
    ...(t.certPath && t.keyPath
      ? { clientCertPair: { crt: readFileSync(t.certPath), key: readFileSync(t.keyPath) } }
      : {}),
  };
}

function apiKey(config: AppConfig): string | undefined {
  return config.apiKeyEnv ? process.env[config.apiKeyEnv] : undefined;
}

/** What both kinds of connection take. TLS files are read here: a missing one fails at once, not in a retry. */
function connectionOptions(config: Addressed) {
  const key = apiKey(config);
  const tls = tlsOptions(config);
  return {
    address: config.temporalAddress,
    ...(tls || key ? { tls: tls ?? true } : {}),
    ...(key ? { apiKey: key } : {}),
  };
}

/**
 * A client that connects on first use, so the API can listen before Temporal answers (calls until
 * then answer 503). gRPC's own reconnect backoff is capped at 5 s: its default grows to two
 * minutes, which would leave a Temporal that came back unused for that long.
 */
export function lazyClient(config: Addressed): Client {
  const connection = Connection.lazy({
    ...connectionOptions(config),
    channelArgs: { 'grpc.max_reconnect_backoff_ms': 5000 },
  });
  return new Client({ connection, namespace: config.namespace });
}

/**
 * One attempt to reach Temporal as a client: a fresh channel without the SDK's retries, so a
 * failure names its cause (`connect ECONNREFUSED 127.0.0.1:7233`), not just "deadline exceeded".
 */
export async function probeTemporal(config: Addressed, timeoutMs = 5000): Promise<void> {
  const connection = Connection.lazy({ ...connectionOptions(config), interceptors: [] });
  try {
    await connection.withDeadline(Date.now() + timeoutMs, () => connection.workflowService.getSystemInfo({}));
  } finally {
    await connection.close();
  }
}

export async function connectWorker(config: Addressed): Promise<NativeConnection> {
  return NativeConnection.connect(connectionOptions(config));
}

/** Errors that mean "Temporal is not there (yet)", as the worker's connection and Worker.create throw them. */
export function isTemporalUnreachable(err: unknown): boolean {
  const e = err as { name?: unknown; code?: unknown } | undefined;
  return e?.name === 'TransportError' || e?.name === 'ServiceError' || typeof e?.code === 'number';
}

/** Capped exponential backoff: the ceiling doubles from `initialMs` to `maxMs`. */
export interface Backoff {
  initialMs: number;
  maxMs: number;
}

/** 0.5 s doubling to 30 s. */
export const START_BACKOFF: Backoff = { initialMs: 500, maxMs: 30_000 };

/**
 * The wait after failed attempt `attempt` (1-based): drawn from the upper half of its ceiling, so
 * replicas restarted together do not knock in step, and no wait is shorter than half the ceiling.
 */
export function backoffDelay(attempt: number, b: Backoff = START_BACKOFF, random: () => number = Math.random): number {
  const ceiling = Math.min(b.maxMs, b.initialMs * 2 ** Math.min(attempt - 1, 30));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** One line saying why an attempt failed: the cause without gRPC codes, Rust debug text or stack. */
export function reasonOf(err: unknown): string {
  const e = err as { message?: unknown; code?: unknown } | undefined;
  let text = (typeof e?.message === 'string' ? e.message : String(err)).trim().split('\n')[0] ?? '';
  if (e?.code === 4) return 'no answer before the deadline';
  // grpc-js: "14 UNAVAILABLE: No connection established. Last error: Error: connect ECONNREFUSED ...".
  text = text
    .replace(/^\d+ [A-Z_]+: /, '')
    .replace(/^No connection established\. Last error: (Error: )?/, '')
    .replace(/\.? Resolution note: ?$/, '');
  // Core: `ConnectError("tcp connect error", ..., Os { ..., message: "Connection refused" })`.
  const core = /ConnectError\("([^"]+)"[^]*?(?:message|error): "([^"]+)"/.exec(text);
  if (core) return `${core[1]}: ${core[2]}`;
  // Core, from Worker.create: `<what>: Status { code: NotFound, message: "Namespace x is not found.", ... }`.
  const status = /Status \{ code: (\w+), message: "([^"]*)"/.exec(text);
  if (status) return `${status[2]} (${status[1]})`;
  return text.trim().slice(0, 300) || 'unknown error';
}

/** Where a process is in reaching Temporal at start: what its logs, /readyz and the worker's /readyz say. */
export class TemporalStartup {
  private failure: { attempt: number; reason: string; nextAt: number } | undefined;
  private preparing: string | undefined;
  private done = false;

  constructor(
    readonly address: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** Why the process is not ready, in one line (`unreachable: <reason>, retrying (attempt N, next in Xs)`); undefined once ready. */
  problem(): string | undefined {
    if (this.done) return undefined;
    if (this.preparing) return `connected to ${this.address}, ${this.preparing}`;
    if (!this.failure) return `connecting to ${this.address}`;
    const { attempt, reason, nextAt } = this.failure;
    return `unreachable: ${reason}, retrying (attempt ${attempt}, next in ${seconds(Math.max(0, nextAt - this.now()))}s)`;
  }

  failed(attempt: number, reason: string, delayMs: number): void {
    this.failure = { attempt, reason, nextAt: this.now() + delayMs };
  }

  /** Connected; `what` is still being done before the process is ready (`syncing schedules`). */
  connected(what: string): void {
    this.preparing = what;
  }

  ready(): void {
    this.done = true;
  }
}

export interface RetryOptions<T> {
  startup: TemporalStartup;
  /** One attempt: connect, and whatever must succeed with the connection (the worker's Worker.create). */
  attempt: () => Promise<T>;
  /** Errors that are not Temporal being away (a broken bundle, no signing key) end the retries. @default all retry */
  retryable?: (err: unknown) => boolean;
  log: (line: string) => void;
  /** Stops retrying (SIGTERM): the result is then undefined, at once, even mid-attempt. */
  signal?: AbortSignal;
  /** @default START_BACKOFF */
  backoff?: Backoff;
}

/** Attempts until one succeeds, logging each failure once, in one line. Undefined when stopped. */
export async function retryUntilConnected<T>(o: RetryOptions<T>): Promise<T | undefined> {
  const stopped = new Promise<undefined>((resolve) => {
    if (o.signal?.aborted) resolve(undefined);
    o.signal?.addEventListener('abort', () => resolve(undefined), { once: true });
  });
  for (let attempt = 1; !o.signal?.aborted; attempt++) {
    try {
      const attempted = o.attempt();
      attempted.catch(() => undefined); // abandoned when stopped mid-attempt
      return await Promise.race([attempted, stopped]);
    } catch (err) {
      if (o.retryable && !o.retryable(err)) throw err;
      const delayMs = backoffDelay(attempt, o.backoff);
      const reason = reasonOf(err);
      o.startup.failed(attempt, reason, delayMs);
      o.log(
        `Temporal at ${o.startup.address} unreachable (attempt ${attempt}): ${reason}; retrying in ${seconds(delayMs)}s`,
      );
      await sleep(delayMs, undefined, o.signal ? { signal: o.signal } : {}).catch(() => undefined);
    }
  }
  return undefined;
}

const seconds = (ms: number): string => (ms / 1000).toFixed(1);
