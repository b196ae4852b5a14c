/** Operational events configuration from the environment: the seed's defaults, and refusals that name the variable. */
import { eventsActive, readEventsConfig } from '../../src/config/events';
import { ConfigError } from '../../src/config/errors';
import { openEventPublisher } from '../../src/events/open';
import { Registry } from 'prom-client';

test('with nothing set, events are off and the defaults are the seed contract', () => {
  const c = readEventsConfig({});
  expect(c).toEqual({
    enabled: false,
    db: 0,
    channel: 'operational_events',
    streamKey: 'operational_events:stream',
    streamMaxLen: 10_000,
    bufferLimit: 1000,
  });
  expect(eventsActive(c)).toBe(false);
});

test('every variable is read', () => {
  const c = readEventsConfig({
    OPERATIONAL_EVENT_STREAM_ENABLED: 'TRUE',
    REDIS_URL: 'rediss://:secret@redis.internal:6380',
    OPERATIONAL_EVENT_REDIS_DB: '2',
    OPERATIONAL_EVENT_CHANNEL: 'ops',
    OPERATIONAL_EVENT_STREAM_KEY: 'ops:stream',
    OPERATIONAL_EVENT_STREAM_MAXLEN: '500',
    OPERATIONAL_EVENT_BUFFER_LIMIT: '50',
  });
  expect(c).toEqual({
    enabled: true,
    redisUrl: 'rediss://:secret@redis.internal:6380',
    db: 2,
    channel: 'ops',
    streamKey: 'ops:stream',
    streamMaxLen: 500,
    bufferLimit: 50,
  });
  expect(eventsActive(c)).toBe(true);
});

test('enabled without a Redis URL, or a URL without enabling, stays off', () => {
  expect(eventsActive(readEventsConfig({ OPERATIONAL_EVENT_STREAM_ENABLED: 'true' }))).toBe(false);
  expect(eventsActive(readEventsConfig({ REDIS_URL: 'redis://r:6379' }))).toBe(false);
  expect(eventsActive(readEventsConfig({ OPERATIONAL_EVENT_STREAM_ENABLED: 'false', REDIS_URL: 'redis://r' }))).toBe(
    false,
  );
});

test.each([
  [{ OPERATIONAL_EVENT_STREAM_ENABLED: 'yes' }, 'OPERATIONAL_EVENT_STREAM_ENABLED: "yes" is neither true nor false'],
  [{ OPERATIONAL_EVENT_REDIS_DB: '-1' }, 'OPERATIONAL_EVENT_REDIS_DB: "-1" is not a whole number of at least 0'],
  [{ OPERATIONAL_EVENT_REDIS_DB: '1.5' }, 'OPERATIONAL_EVENT_REDIS_DB: "1.5" is not a whole number of at least 0'],
  [{ OPERATIONAL_EVENT_BUFFER_LIMIT: '0' }, 'OPERATIONAL_EVENT_BUFFER_LIMIT: "0" is not a whole number of at least 1'],
  [
    { OPERATIONAL_EVENT_STREAM_MAXLEN: 'lots' },
    'OPERATIONAL_EVENT_STREAM_MAXLEN: "lots" is not a whole number of at least 1',
  ],
  [{ REDIS_URL: 'http://r:6379' }, 'REDIS_URL: scheme http: is not redis: or rediss:'],
  [{ REDIS_URL: 'redis://r:6379/4' }, 'REDIS_URL: names a database (/4); set OPERATIONAL_EVENT_REDIS_DB instead'],
])('%j is refused, naming the variable', (env, message) => {
  expect(() => readEventsConfig(env)).toThrow(new ConfigError(message));
});

test('a URL that does not parse is refused without echoing it (it may hold a password)', () => {
  let message = '';
  try {
    readEventsConfig({ REDIS_URL: 'redis://:hunter2@[bad' });
  } catch (err) {
    message = (err as Error).message;
  }
  expect(message).toBe('REDIS_URL: not a URL (redis://[:password@]host[:port])');
});

test('events off: the publisher is a no-op that opens no connection and registers nothing', async () => {
  const registry = new Registry();
  const p = openEventPublisher({ config: readEventsConfig({ REDIS_URL: 'redis://127.0.0.1:1' }), registry });
  expect(
    p.publish({
      event_type: 'freeze_changed',
      payload: { frozen: true, freezeId: 'f-1', scope: { kind: 'all' }, reason: 'drill', changedBy: 'ops' },
    }),
  ).toBeUndefined();
  expect(p.health()).toEqual({ connected: false, buffered: 0 });
  expect(await p.close()).toEqual({ delivered: 0, dropped: 0 });
  expect(registry.getMetricsAsArray()).toEqual([]);
});
