/**
 * Operational events configuration, read from the environment (the seed's variables plus our
 * own) as part of `loadConfig` (`AppConfig.events`); a value that does not parse stops the start
 * rather than silently turning events off.
 */
import { ConfigError } from './errors';

/** The seed's default channel (src/events/contract.ts re-exports it as part of the contract). */
export const OPERATIONAL_EVENTS_CHANNEL = 'operational_events';

/** Where the same events are appended so a consumer that was down can catch up (not in the seed). */
export const OPERATIONAL_EVENTS_STREAM = 'operational_events:stream';

/** Where and how operational events go. */
export interface EventsConfig {
  /** `OPERATIONAL_EVENT_STREAM_ENABLED=true` (the seed's switch). @default false */
  enabled: boolean;
  /**
   * `REDIS_URL`, e.g. `redis://:password@redis:6379` (`rediss://` for TLS). It may carry a
   * password, so it is never logged. Events stay off without it, even when enabled.
   */
  redisUrl?: string;
  /** `OPERATIONAL_EVENT_REDIS_DB`: the database the stream is written to (Pub/Sub ignores it). @default 0 */
  db: number;
  /** `OPERATIONAL_EVENT_CHANNEL`: the Pub/Sub channel. @default operational_events */
  channel: string;
  /** `OPERATIONAL_EVENT_STREAM_KEY`: the stream key. @default operational_events:stream */
  streamKey: string;
  /** `OPERATIONAL_EVENT_STREAM_MAXLEN`: entries kept, approximately (`MAXLEN ~`, at least this many). @default 10000 */
  streamMaxLen: number;
  /** `OPERATIONAL_EVENT_BUFFER_LIMIT`: events held in memory while Redis is unreachable; older ones are dropped. @default 1000 */
  bufferLimit: number;
}

/** The one place these names are spelled (docs/events.md lists them). */
export const EVENTS_ENV = {
  enabled: 'OPERATIONAL_EVENT_STREAM_ENABLED',
  redisUrl: 'REDIS_URL',
  db: 'OPERATIONAL_EVENT_REDIS_DB',
  channel: 'OPERATIONAL_EVENT_CHANNEL',
  streamKey: 'OPERATIONAL_EVENT_STREAM_KEY',
  streamMaxLen: 'OPERATIONAL_EVENT_STREAM_MAXLEN',
  bufferLimit: 'OPERATIONAL_EVENT_BUFFER_LIMIT',
} as const;

type Env = Record<string, string | undefined>;

/** Reads the events configuration; throws `ConfigError` naming the first bad variable. */
export function readEventsConfig(env: Env = process.env): EventsConfig {
  const text = (name: string): string | undefined => {
    const v = env[name]?.trim();
    return v === '' ? undefined : v;
  };
  const enabled = text(EVENTS_ENV.enabled)?.toLowerCase();
  // Only true/false: a typo such as `yes` that quietly left events off would go unnoticed.
  if (enabled !== undefined && enabled !== 'true' && enabled !== 'false')
    throw new ConfigError(`${EVENTS_ENV.enabled}: "${enabled}" is neither true nor false`);
  const redisUrl = text(EVENTS_ENV.redisUrl);
  if (redisUrl !== undefined) checkRedisUrl(redisUrl);
  return {
    enabled: enabled === 'true',
    ...(redisUrl !== undefined ? { redisUrl } : {}),
    db: integer(env, EVENTS_ENV.db, 0, 0),
    channel: text(EVENTS_ENV.channel) ?? OPERATIONAL_EVENTS_CHANNEL,
    streamKey: text(EVENTS_ENV.streamKey) ?? OPERATIONAL_EVENTS_STREAM,
    streamMaxLen: integer(env, EVENTS_ENV.streamMaxLen, 10_000, 1),
    bufferLimit: integer(env, EVENTS_ENV.bufferLimit, 1000, 1),
  };
}

/** Whether events go anywhere: enabled and a Redis to send them to. */
export function eventsActive(c: EventsConfig): c is EventsConfig & { redisUrl: string } {
  return c.enabled && c.redisUrl !== undefined;
}

function integer(env: Env, name: string, fallback: number, min: number): number {
  const v = env[name]?.trim();
  if (v === undefined || v === '') return fallback;
  if (!/^\d+$/.test(v) || Number(v) < min || !Number.isSafeInteger(Number(v)))
    throw new ConfigError(`${name}: "${v}" is not a whole number of at least ${min}`);
  return Number(v);
}

function checkRedisUrl(value: string): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    // Not echoed: the text may hold a password.
    throw new ConfigError(`${EVENTS_ENV.redisUrl}: not a URL (redis://[:password@]host[:port])`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:')
    throw new ConfigError(`${EVENTS_ENV.redisUrl}: scheme ${url.protocol} is not redis: or rediss:`);
  // A database in the path would quietly win over OPERATIONAL_EVENT_REDIS_DB; one place says which.
  if (url.pathname !== '' && url.pathname !== '/')
    throw new ConfigError(`${EVENTS_ENV.redisUrl}: names a database (${url.pathname}); set ${EVENTS_ENV.db} instead`);
}
