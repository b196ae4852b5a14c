/**
 * Reaching Temporal at start (src/config/temporal.ts): the backoff, the one-line reasons, what
 * /readyz says meanwhile, and the retry loop (each failure logged once, stop at once on SIGTERM).
 * The processes themselves are tested in test/e2e/temporal-down.test.ts.
 */
import { Registry } from 'prom-client';
import { buildApp, reportTemporalStartup } from '../../src/api/app';
import {
  backoffDelay,
  isTemporalUnreachable,
  reasonOf,
  retryUntilConnected,
  START_BACKOFF,
  TemporalStartup,
} from '../../src/config/temporal';
import { loadConfig } from '../../src/config/load';
import type { RunService } from '../../src/runs/service';
import { libraryOf } from '../support/runbook-worker';

test('backoff: 0.5 s doubling to 30 s, each wait in the upper half of its ceiling', () => {
  const ceilings = [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000];
  ceilings.forEach((c, i) => {
    expect(backoffDelay(i + 1, START_BACKOFF, () => 0)).toBe(c / 2);
    expect(backoffDelay(i + 1, START_BACKOFF, () => 1)).toBe(c);
  });
  expect(backoffDelay(10_000, START_BACKOFF, () => 0.5)).toBe(22_500);
});

test.each([
  [
    '14 UNAVAILABLE: No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:7233. Resolution note: ',
    'connect ECONNREFUSED 127.0.0.1:7233',
  ],
  [
    '14 UNAVAILABLE: Name resolution failed for target dns:temporal:7233',
    'Name resolution failed for target dns:temporal:7233',
  ],
  [
    'tonic::transport::Error(Transport, ConnectError(ConnectError("tcp connect error", 127.0.0.1:7233, Os { code: 111, kind: ConnectionRefused, message: "Connection refused" })))',
    'tcp connect error: Connection refused',
  ],
  [
    'tonic::transport::Error(Transport, ConnectError(ConnectError("dns error", Custom { kind: Uncategorized, error: "failed to lookup address information: Name or service not known" })))',
    'dns error: failed to lookup address information: Name or service not known',
  ],
  [
    'Namespace nope was not found or otherwise could not be described: Status { code: NotFound, message: "Namespace nope is not found.", details: b"\\x08", metadata: MetadataMap { headers: {} }, source: None }',
    'Namespace nope is not found. (NotFound)',
  ],
  ['line one\n    at Object.<anonymous> (x.js:1:1)', 'line one'],
])('reasonOf %j', (message, reason) => {
  expect(reasonOf(new Error(message))).toBe(reason);
});

test('a deadline reads as such, whatever gRPC appends', () => {
  expect(reasonOf(Object.assign(new Error('4 DEADLINE_EXCEEDED: Deadline exceeded after 5.001s'), { code: 4 }))).toBe(
    'no answer before the deadline',
  );
});

test('which errors mean Temporal is away (retried) and which are the worker itself (fatal)', () => {
  expect(isTemporalUnreachable(Object.assign(new Error('x'), { name: 'TransportError' }))).toBe(true);
  expect(isTemporalUnreachable(Object.assign(new Error('x'), { code: 14 }))).toBe(true);
  expect(isTemporalUnreachable(new Error('no signing key: set RUNBOOK_SIGNING_KEYS'))).toBe(false);
  expect(isTemporalUnreachable(Object.assign(new Error('ENOENT'), { code: 'ENOENT' }))).toBe(false);
});

test('what the start-up state says, from connecting to ready', () => {
  let now = 1_000_000;
  const s = new TemporalStartup('temporal:7233', () => now);
  expect(s.problem()).toBe('connecting to temporal:7233');
  s.failed(3, 'connect ECONNREFUSED 10.0.0.5:7233', 4000);
  now += 1500;
  expect(s.problem()).toBe('unreachable: connect ECONNREFUSED 10.0.0.5:7233, retrying (attempt 3, next in 2.5s)');
  now += 9000;
  expect(s.problem()).toBe('unreachable: connect ECONNREFUSED 10.0.0.5:7233, retrying (attempt 3, next in 0.0s)');
  s.connected('syncing schedules');
  expect(s.problem()).toBe('connected to temporal:7233, syncing schedules');
  s.ready();
  expect(s.problem()).toBeUndefined();
});

const fast = { initialMs: 1, maxMs: 4 };

test('retries until an attempt succeeds, one log line per failure', async () => {
  const startup = new TemporalStartup('t:7233');
  const lines: string[] = [];
  let calls = 0;
  const got = await retryUntilConnected({
    startup,
    backoff: fast,
    log: (l) => lines.push(l),
    attempt: async () => {
      if (++calls < 3)
        throw new Error('14 UNAVAILABLE: No connection established. Last error: Error: connect ECONNREFUSED t:7233');
      return 'connected';
    },
  });
  expect(got).toBe('connected');
  expect(lines).toHaveLength(2);
  expect(lines[0]).toMatch(
    /^Temporal at t:7233 unreachable \(attempt 1\): connect ECONNREFUSED t:7233; retrying in \d+\.\ds$/,
  );
  expect(lines[1]).toMatch(/^Temporal at t:7233 unreachable \(attempt 2\): /);
  expect(startup.problem()).toMatch(/^unreachable: connect ECONNREFUSED t:7233, retrying \(attempt 2, /);
});

test('an error that is not Temporal being away ends the retries', async () => {
  const lines: string[] = [];
  await expect(
    retryUntilConnected({
      startup: new TemporalStartup('t:7233'),
      backoff: fast,
      log: (l) => lines.push(l),
      retryable: isTemporalUnreachable,
      attempt: async () => {
        throw new Error('the workflow bundle is missing');
      },
    }),
  ).rejects.toThrow('the workflow bundle is missing');
  expect(lines).toEqual([]);
});

test('stopping ends the loop at once, even in the middle of an attempt or a long wait', async () => {
  const stop = new AbortController();
  let attempts = 0;
  const hung = retryUntilConnected({
    startup: new TemporalStartup('t:7233'),
    log: () => undefined,
    signal: stop.signal,
    attempt: () => {
      attempts++;
      return new Promise<never>(() => undefined); // never settles
    },
  });
  stop.abort();
  await expect(hung).resolves.toBeUndefined();
  expect(attempts).toBe(1);

  const waiting = new AbortController();
  const lines: string[] = [];
  const sleeping = retryUntilConnected({
    startup: new TemporalStartup('t:7233'),
    backoff: { initialMs: 600_000, maxMs: 600_000 },
    log: (l) => {
      lines.push(l);
      waiting.abort(); // during the ten-minute wait that follows
    },
    signal: waiting.signal,
    attempt: async () => {
      throw new Error('refused');
    },
  });
  await expect(sleeping).resolves.toBeUndefined();
  expect(lines).toHaveLength(1);
});

test('/readyz answers 503 with the reason while starting; Temporal routes 503 at once; the rest serve', async () => {
  let problem: string | undefined = 'unreachable: connect ECONNREFUSED t:7233, retrying (attempt 2, next in 1.0s)';
  const calls: string[] = [];
  const app = buildApp({
    runs: {
      ready: async () => true,
      start: async () => calls.push('start'),
      runningByRunbook: async () => (calls.push('count'), {}),
    } as unknown as RunService,
    library: () => libraryOf(),
    tokens: loadConfig({}, process.cwd()).tokens,
    registry: new Registry(),
    inProgress: async () => (calls.push('count'), { x: 1 }),
  });
  reportTemporalStartup(app, () => problem);
  const r = await app.inject({ method: 'GET', url: '/readyz' });
  expect(r.statusCode).toBe(503);
  expect(r.json()).toEqual({ status: 'unavailable', temporal: problem });
  expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  expect((await app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(200);
  const alice = { authorization: 'Bearer dev-alice-operator' };
  const start = await app.inject({ method: 'POST', url: '/v1/runs', headers: alice, payload: { runbook: 'x' } });
  expect(start.statusCode).toBe(503);
  expect(start.json()).toEqual({ error: `not ready yet: Temporal ${problem}` });
  // Authentication still comes first.
  expect((await app.inject({ method: 'POST', url: '/v1/runs', payload: { runbook: 'x' } })).statusCode).toBe(401);
  expect((await app.inject({ method: 'GET', url: '/v1/runbooks', headers: alice })).statusCode).toBe(200);
  expect(calls).toEqual([]); // nothing asked of a Temporal not reached yet, not even a count

  problem = undefined;
  expect((await app.inject({ method: 'GET', url: '/readyz' })).json()).toEqual({ status: 'ready' });
  expect((await app.inject({ method: 'GET', url: '/metrics' })).body).toMatch(
    /^runbook_runs_in_progress\{runbook="x"\} 1$/m,
  );
  await app.close();
});
