/**
 * Operational events against a real redis-server (test/support/redis.ts): the exact Pub/Sub
 * payload of each event type, the stream read across a restart, the buffer bound and its
 * counter, and a publish that neither throws nor waits while Redis is down.
 */
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { EVENT_TYPES, STREAM_FIELD, type EventInput } from '../../src/events/contract';
import { readEventsConfig, type EventsConfig } from '../../src/config/events';
import { openEventPublisher } from '../../src/events/open';
import type { EventPublisher } from '../../src/events/publisher';
import { startRedis, type RedisServer } from '../support/redis';
import { waitFor } from '../support/wait';

let server: RedisServer;
const clients: Redis[] = [];
const publishers: EventPublisher[] = [];

beforeAll(async () => {
  server = await startRedis();
});
afterEach(async () => {
  await Promise.all(publishers.splice(0).map((p) => p.close({ deadlineMs: 100 })));
  for (const c of clients.splice(0)) c.disconnect();
});
afterAll(async () => {
  await server?.dispose();
});

const client = (db = 0): Redis => {
  const c = new Redis(server.url, { db, lazyConnect: true });
  c.on('error', () => undefined); // while the server restarts
  clients.push(c);
  return c;
};

function open(env: Record<string, string>, registry = new Registry(), now?: () => Date): EventPublisher {
  const config: EventsConfig = readEventsConfig({
    OPERATIONAL_EVENT_STREAM_ENABLED: 'true',
    REDIS_URL: server.url,
    ...env,
  });
  const p = openEventPublisher({ config, registry, reconnectMaxDelayMs: 100, ...(now ? { now } : {}) });
  publishers.push(p);
  return p;
}

const run = { workflowId: 'runbook-restart-api-42', runbook: 'restart-api' };
const EXAMPLES: EventInput[] = [
  {
    event_type: 'alert_sent',
    payload: { channel: 'slack', target: 'oncall', reason: 'approval requested', event_type: 'approval_requested' },
  },
  { event_type: 'alert_sent', payload: { channel: 'pagerduty', target: 'pd', reason: 'run failed', ...run } },
  { event_type: 'run_started', payload: { ...run, trigger: 'api', requestedBy: 'alice' } },
  { event_type: 'run_finished', payload: { ...run, trigger: 'api', outcome: 'succeeded' } },
  { event_type: 'approval_requested', payload: { ...run, stepId: 'restart', approvers: ['group:sre'], required: 2 } },
  {
    event_type: 'approval_decided',
    payload: { ...run, stepId: 'restart', outcome: 'approved', decidedBy: ['bob', 'dana'] },
  },
  { event_type: 'step_paused', payload: { ...run, stepId: 'verify', reason: 'http:endpoint:check failed' } },
  {
    event_type: 'freeze_changed',
    payload: {
      frozen: true,
      freezeId: 'f-1',
      scope: { kind: 'service', value: 'api' },
      reason: 'release',
      changedBy: 'carol',
    },
  },
  {
    event_type: 'runbook_event',
    payload: { ...run, step: 'verify', name: 'deploy_verified', severity: 'info', data: { version: '1.4.2' } },
  },
];

const numbered = (i: number): EventInput => ({
  event_type: 'step_paused',
  payload: { ...run, stepId: `step-${i}`, reason: 'numbered' },
});

async function readStream(c: Redis, key: string): Promise<string[]> {
  const r = (await c.xrange(key, '-', '+')) as Array<[string, string[]]>;
  return r.map(([, fields]) => fields[fields.indexOf(STREAM_FIELD) + 1] as string);
}

const stepIds = (texts: string[]): string[] =>
  texts.map((t) => (JSON.parse(t) as { payload: { stepId: string } }).payload.stepId);

async function metric(registry: Registry, name: string, reason?: string): Promise<number> {
  const m = await registry.getSingleMetric(name)?.get();
  return m?.values.find((v) => reason === undefined || v.labels.reason === reason)?.value ?? 0;
}

test('a subscriber receives the exact payload of every event type; the stream goes to the configured database', async () => {
  const at = new Date('2026-12-01T13:37:00.123Z');
  const sub = client();
  const received: Array<{ channel: string; message: string }> = [];
  sub.on('message', (channel: string, message: string) => received.push({ channel, message }));
  await sub.subscribe('operational_events');

  const p = open({ OPERATIONAL_EVENT_REDIS_DB: '3' }, new Registry(), () => at);
  for (const e of EXAMPLES) expect(p.publish(e)).toBeUndefined();
  await waitFor('every event on the channel', () => received.length >= EXAMPLES.length);

  expect(received).toEqual(
    EXAMPLES.map((e) => ({
      channel: 'operational_events',
      message: JSON.stringify({ event_type: e.event_type, timestamp: '2026-12-01T13:37:00.123Z', payload: e.payload }),
    })),
  );
  expect(new Set(EXAMPLES.map((e) => e.event_type))).toEqual(new Set(Object.values(EVENT_TYPES)));
  // Pub/Sub ignores the database; the stream is a key, so it lives in database 3 only.
  const db3 = client(3);
  // Each PUBLISH goes out before its XADD runs: wait for the last append too.
  await waitFor(
    'every event on the stream',
    async () => (await readStream(db3, 'operational_events:stream')).length === EXAMPLES.length,
  );
  expect(await readStream(db3, 'operational_events:stream')).toEqual(received.map((r) => r.message));
  expect(await client(0).exists('operational_events:stream')).toBe(0);
});

test('a stream consumer reads every event across a Redis restart, published while it was down included', async () => {
  const registry = new Registry();
  const key = 'restart:stream';
  const p = open({ OPERATIONAL_EVENT_STREAM_KEY: key }, registry);
  for (let i = 0; i < 3; i++) p.publish(numbered(i));
  const before = client();
  await waitFor('the first three on the stream', async () => (await readStream(before, key)).length === 3);
  const lastId = ((await before.xrange(key, '-', '+')) as Array<[string, string[]]>)[2]?.[0];
  before.disconnect();

  await server.stop({ save: true });
  await waitFor('the publisher to see Redis gone', () => !p.health().connected);
  const N = 40;
  for (let i = 3; i < 3 + N; i++) expect(p.publish(numbered(i))).toBeUndefined();
  // Returned without waiting for Redis: all still held, nothing sent, nothing dropped.
  expect(p.health()).toEqual({ connected: false, buffered: N });
  expect(await metric(registry, 'runbook_operational_events_buffered')).toBe(N);

  await server.start();
  const after = client();
  await waitFor('all events on the stream', async () => (await readStream(after, key)).length === 3 + N);
  const expected = Array.from({ length: 3 + N }, (_, i) => `step-${i}`);
  expect(stepIds(await readStream(after, key))).toEqual(expected);
  // A consumer that had read up to the third resumes from its last id and misses none of the rest.
  const resumed = (await after.xread('STREAMS', key, lastId as string)) as Array<[string, Array<[string, string[]]>]>;
  expect(resumed[0]?.[1].map(([, f]) => JSON.parse(f[1] as string).payload.stepId)).toEqual(expected.slice(3));
  // Redis has them all; the publisher counts them once their replies are in.
  await waitFor('the buffer empty', () => p.health().buffered === 0);
  expect(p.health()).toEqual({ connected: true, buffered: 0 });
  expect(await metric(registry, 'runbook_operational_events_dropped_total')).toBe(0);
  expect(await metric(registry, 'runbook_operational_events_published_total')).toBe(3 + N);
});

test('beyond the buffer bound the oldest events are dropped and counted', async () => {
  const registry = new Registry();
  const key = 'overflow:stream';
  const p = open({ OPERATIONAL_EVENT_STREAM_KEY: key, OPERATIONAL_EVENT_BUFFER_LIMIT: '10' }, registry);
  await waitFor('the publisher connected', () => p.health().connected);
  await server.stop();
  await waitFor('the publisher to see Redis gone', () => !p.health().connected);

  for (let i = 0; i < 25; i++) expect(p.publish(numbered(i))).toBeUndefined();
  expect(p.health()).toEqual({ connected: false, buffered: 10 });
  expect(await metric(registry, 'runbook_operational_events_dropped_total', 'overflow')).toBe(15);

  await server.start();
  const c = client();
  await waitFor('the ten kept on the stream', async () => (await readStream(c, key)).length === 10);
  expect(stepIds(await readStream(c, key))).toEqual(Array.from({ length: 10 }, (_, i) => `step-${15 + i}`));
});

test('publish never throws: an unencodable event is counted, and close drops what Redis never took', async () => {
  const registry = new Registry();
  const p = open({ OPERATIONAL_EVENT_STREAM_KEY: 'close:stream' }, registry);
  const cyclic: Record<string, unknown> = { ...run, stepId: 's', reason: 'r' };
  cyclic.self = cyclic;
  expect(() => p.publish({ event_type: 'step_paused', payload: cyclic as never })).not.toThrow();
  expect(await metric(registry, 'runbook_operational_events_dropped_total', 'invalid')).toBe(1);

  await waitFor('the publisher connected', () => p.health().connected);
  await server.stop();
  await waitFor('the publisher to see Redis gone', () => !p.health().connected);
  for (let i = 0; i < 5; i++) p.publish(numbered(i));
  expect(await p.close({ deadlineMs: 50 })).toEqual({ delivered: 0, dropped: 5 });
  expect(await metric(registry, 'runbook_operational_events_dropped_total', 'closed')).toBe(5);
  expect(() => p.publish(numbered(5))).not.toThrow();
  expect(await metric(registry, 'runbook_operational_events_dropped_total', 'closed')).toBe(6);
  await server.start();
});

test('an event Redis refuses is dropped and counted, and the ones after it still go', async () => {
  const registry = new Registry();
  const key = 'wrongtype:stream';
  const c = client();
  await c.set(key, 'not a stream');
  const p = open({ OPERATIONAL_EVENT_STREAM_KEY: key }, registry);
  for (let i = 0; i < 3; i++) p.publish(numbered(i));
  await waitFor(
    'three refused',
    async () => (await metric(registry, 'runbook_operational_events_dropped_total', 'rejected')) === 3,
  );
  await c.del(key);
  p.publish(numbered(3));
  await waitFor('the next one on the stream', async () => (await readStream(c, key)).length === 1);
  expect(stepIds(await readStream(c, key))).toEqual(['step-3']);
  await waitFor(
    'the send counted',
    async () => (await metric(registry, 'runbook_operational_events_published_total')) === 1,
  );
});

test('close sends what is buffered before it returns', async () => {
  const p = open({ OPERATIONAL_EVENT_STREAM_KEY: 'flush:stream' });
  for (let i = 0; i < 20; i++) p.publish(numbered(i));
  expect(await p.close({ deadlineMs: 10_000 })).toEqual({ delivered: 20, dropped: 0 });
  expect(await readStream(client(), 'flush:stream')).toHaveLength(20);
});
