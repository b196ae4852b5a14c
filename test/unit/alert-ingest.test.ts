/**
 * Ingest's own logic with a stand-in for the Temporal client (the real one is exercised in
 * test/integration/alerts.test.ts): `maxInFlight` bounds Temporal calls, not deliveries; overload
 * answers "retry", never drops, never 4xx; what no Temporal payload can carry is journalled.
 */
import type { Client } from '@temporalio/client';
import { createAlertIngest, type AlertIngestDeps } from '../../src/alerts/ingest';
import type { AlertJournal, JournalEntry } from '../../src/alerts/journal';
import { createRouter } from '../../src/alerts/router';
import { RunError } from '../../src/runs/errors';
import { ALERT_TTL_MS, type AlertInstance } from '../../src/shared/alert';
import { verifySigned, type SignedAlert } from '../../src/shared/signed';
import { libraryOf, runbookFromYaml } from '../support/runbook-worker';
import { TEST_KEYS } from '../support/signing';

const library = libraryOf(
  runbookFromYaml('id: rb\ntitle: RB\nparams:\n  service: { type: string }\nsteps:\n  - id: w\n    wait: 1s\n'),
);
const routes = [
  {
    id: 'r',
    match: { labels: { alertname: 'A' } },
    runbook: 'rb',
    params: { service: '${{ alert.labels.service }}' },
    owner: 'bot',
  },
];

type SignalWithStart = (
  type: string,
  o: { workflowId: string; signalArgs: unknown[]; args: unknown[] },
) => Promise<void>;

function journalled(fail?: Error) {
  const entries: Array<Omit<JournalEntry, 'at'>> = [];
  const journal: AlertJournal = {
    record: async (e) => {
      if (fail) throw fail;
      entries.push(e);
    },
    list: async () => [],
  };
  return { entries, journal };
}

function ingestWith(
  signalWithStart: SignalWithStart,
  maxInFlight: number,
  o: Partial<Pick<AlertIngestDeps, 'maxBacklog' | 'slotWaitMs' | 'journal'>> = {},
) {
  return createAlertIngest({
    client: { workflow: { signalWithStart } } as unknown as Client,
    config: {
      taskQueue: 'q',
      approverGroups: {},
      alerts: { routes, maxInFlight, coalesceMs: 0, journalDir: '' },
      signingKeys: () => TEST_KEYS,
    },
    library: () => library,
    router: createRouter(routes, () => true),
    journal: o.journal ?? journalled().journal,
    call: (fn) => fn(),
    ...o,
  });
}

function alert(fingerprint: string, more: Partial<AlertInstance> = {}): AlertInstance {
  return {
    source: 'alertmanager',
    status: 'firing',
    fingerprint,
    startsAt: '2026-11-23T10:00:00.000Z',
    labels: { alertname: 'A', service: 'x', n: fingerprint },
    annotations: {},
    links: [],
    ...more,
  };
}

const alerts = (n: number, prefix = 'a'): AlertInstance[] =>
  Array.from({ length: n }, (_, i) => alert(`${prefix}${i}`));

/** A client whose calls each take a turn of the event loop, counting how many run at once. */
function concurrencyCounter() {
  const c = { now: 0, max: 0, calls: 0 };
  const signalWithStart: SignalWithStart = async () => {
    c.calls += 1;
    c.now += 1;
    c.max = Math.max(c.max, c.now);
    await new Promise((r) => setImmediate(r));
    c.now -= 1;
  };
  return { c, signalWithStart };
}

/** A client whose calls wait until released. */
function gatedClient() {
  const waiting: Array<() => void> = [];
  const signalWithStart: SignalWithStart = () => new Promise<void>((r) => waiting.push(r));
  return { waiting, signalWithStart, releaseAll: () => waiting.splice(0).forEach((r) => r()) };
}

const turns = async (n = 5): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

test('one notification of 300 alerts with maxInFlight 4: never more than 4 calls at once, all 300 accepted', async () => {
  const { c, signalWithStart } = concurrencyCounter();
  const ingest = ingestWith(signalWithStart, 4);
  const results = await ingest.ingest('alertmanager', alerts(300));
  expect(results).toHaveLength(300);
  expect(results.every((r) => r.outcome === 'accepted')).toBe(true);
  expect(new Set(results.map((r) => r.workflowId)).size).toBe(300);
  expect(c.calls).toBe(300);
  expect(c.max).toBe(4);
});

test('the bound holds across requests: three notifications at once share maxInFlight calls', async () => {
  const { c, signalWithStart } = concurrencyCounter();
  const ingest = ingestWith(signalWithStart, 3);
  const all = await Promise.all(['x', 'y', 'z'].map((p) => ingest.ingest('alertmanager', alerts(40, p))));
  expect(all.flat().filter((r) => r.outcome === 'accepted')).toHaveLength(120);
  expect(c.max).toBe(3);
});

test('a notification larger than the backlog bound is taken when the backlog is short, and waits its turn', async () => {
  const { c, signalWithStart } = concurrencyCounter();
  const ingest = ingestWith(signalWithStart, 2, { maxBacklog: 8 });
  const results = await ingest.ingest('alertmanager', alerts(50));
  expect(results.filter((r) => r.outcome === 'accepted')).toHaveLength(50);
  expect(c.max).toBe(2);
  expect(ingest.backlog()).toBe(0);
});

test('beyond the backlog bound, notifications are refused as unavailable (503, retried by the sender)', async () => {
  const gate = gatedClient();
  const ingest = ingestWith(gate.signalWithStart, 1, { maxBacklog: 2 });
  const first = ingest.ingest('alertmanager', [alert('b1')]);
  const second = ingest.ingest('alertmanager', [alert('b2')]);
  await turns();
  expect(ingest.inFlight()).toBe(1);
  expect(ingest.backlog()).toBe(2);
  await expect(ingest.ingest('alertmanager', [alert('b3')])).rejects.toEqual(
    new RunError('unavailable', 'overloaded: 2 alerts wait for 1 Temporal calls (at most 2); retry'),
  );
  // The first call ends: the waiting one takes its slot.
  gate.releaseAll();
  expect(await first).toEqual([expect.objectContaining({ outcome: 'accepted', route: 'r' })]);
  await turns();
  gate.releaseAll();
  expect(await second).toEqual([expect.objectContaining({ outcome: 'accepted' })]);
  const third = ingest.ingest('alertmanager', [alert('b3')]);
  await turns();
  gate.releaseAll();
  expect(await third).toEqual([expect.objectContaining({ outcome: 'accepted' })]);
  expect(ingest.backlog()).toBe(0);
});

test('a call that cannot get a slot in time makes the notification retry (503), its slot never taken', async () => {
  const gate = gatedClient();
  const ingest = ingestWith(gate.signalWithStart, 1, { slotWaitMs: 5 });
  const first = ingest.ingest('alertmanager', [alert('c1')]);
  await turns();
  await expect(ingest.ingest('alertmanager', [alert('c2')])).rejects.toThrow(
    /^overloaded: waited 0.005 s for one of 1 Temporal calls; retry$/,
  );
  gate.releaseAll();
  await first;
  expect(ingest.inFlight()).toBe(0);
  expect(ingest.backlog()).toBe(0);
});

test('the signal is signed for its run with when it was signed and an expiry; the input carries the notice', async () => {
  const sent: Array<{ args: Array<{ params: unknown; alert: unknown; trigger: unknown }>; signalArgs: unknown[] }> = [];
  const ingest = ingestWith(async (_t, o) => void sent.push(o as (typeof sent)[number]), 10);
  const before = Date.now();
  await ingest.ingest('alertmanager', [alert('d1')]);
  const o = sent[0] as (typeof sent)[number];
  // The signal carries the same notice, signed for this run (a raw client's changes nothing).
  const signal = o.signalArgs[0] as SignedAlert & { payload: { issuedAt: string; expiresAt: string } };
  expect(signal.payload).toMatchObject({ purpose: 'alert', notice: o.args[0]?.alert });
  expect(verifySigned(TEST_KEYS, signal, 'alert', Date.now()).ok).toBe(true);
  const issued = Date.parse(signal.payload.issuedAt);
  expect(issued).toBeGreaterThanOrEqual(before);
  expect(Date.parse(signal.payload.expiresAt) - issued).toBe(ALERT_TTL_MS);
  expect(verifySigned(TEST_KEYS, signal, 'alert', issued + ALERT_TTL_MS + 1)).toEqual({
    ok: false,
    reason: `expired at ${signal.payload.expiresAt}`,
  });
  expect(o.args[0]).toMatchObject({
    params: { service: 'x' },
    trigger: { source: 'alert', requestedBy: 'bot' },
    signed: { payload: { trigger: { source: 'alert', requestedBy: 'bot' }, params: { service: 'x' } } },
  });
});

describe('what no Temporal payload can carry', () => {
  const big = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`l${i}`, 'v'.repeat(4000)]));

  test('an alert heavier than the bound once cut is journalled whole and answered oversized, never sent', async () => {
    const { c, signalWithStart } = concurrencyCounter();
    const { entries, journal } = journalled();
    const ingest = ingestWith(signalWithStart, 4, { journal });
    const heavy = alert('e1', { labels: { alertname: 'A', ...big(150) } });
    const results = await ingest.ingest('alertmanager', [alert('e0'), heavy]);
    expect(results.map((r) => r.outcome)).toEqual(['accepted', 'oversized']);
    expect(results[1]?.reason).toMatch(/^too large for one Temporal payload: \d+ bytes once cut, more than 262144$/);
    expect(c.calls).toBe(1);
    expect(entries).toEqual([
      expect.objectContaining({ kind: 'oversized', source: 'alertmanager', route: 'r', alert: heavy }),
    ]);
  });

  test('what Temporal refuses for its size is journalled and answered oversized, not retried for ever', async () => {
    const { entries, journal } = journalled();
    const refusing: SignalWithStart = async () => {
      throw Object.assign(new Error('Failed to signalWithStart Workflow'), {
        cause: Object.assign(new Error('3 INVALID_ARGUMENT: Blob data size exceeds limit.'), { code: 3 }),
      });
    };
    const ingest = ingestWith(refusing, 4, { journal });
    const results = await ingest.ingest('alertmanager', [alert('f1')]);
    expect(results).toEqual([
      expect.objectContaining({
        outcome: 'oversized',
        reason: 'too large for one Temporal payload: Temporal refused it: Failed to signalWithStart Workflow',
      }),
    ]);
    expect(entries.map((e) => e.kind)).toEqual(['oversized']);
  });

  test('long annotations are cut with a marker for the run, and the whole alert kept in the journal', async () => {
    const sent: Array<{ signalArgs: Array<{ payload: { notice: { alert: AlertInstance } } }> }> = [];
    const { entries, journal } = journalled();
    const ingest = ingestWith(async (_t, o) => void sent.push(o as (typeof sent)[number]), 4, { journal });
    const verbose = alert('g1', { annotations: { description: 'd'.repeat(50_000) } });
    expect(await ingest.ingest('alertmanager', [verbose])).toEqual([expect.objectContaining({ outcome: 'accepted' })]);
    const got = sent[0]?.signalArgs[0]?.payload.notice.alert;
    expect(got?.annotations.description).toMatch(/… \[cut: \d+ more characters\]$/);
    expect(entries).toEqual([expect.objectContaining({ kind: 'cut', alert: verbose })]);
    // Nothing cut: nothing journalled.
    await ingest.ingest('alertmanager', [alert('g2')]);
    expect(entries).toHaveLength(1);
  });
});

test('a journal that cannot write makes the notification retry (unavailable), never a 500', async () => {
  const { journal } = journalled(new RunError('unavailable', 'the alert journal cannot be written (ENOSPC); retry'));
  const ingest = ingestWith(concurrencyCounter().signalWithStart, 4, { journal });
  await expect(
    ingest.ingest('alertmanager', [alert('h1', { labels: { alertname: 'NoRoute' } })]),
  ).rejects.toMatchObject({ kind: 'unavailable', message: 'the alert journal cannot be written (ENOSPC); retry' });
  expect(ingest.backlog()).toBe(0);
});
