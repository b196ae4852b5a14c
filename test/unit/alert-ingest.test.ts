/**
 * Ingest's own logic with a stand-in for the Temporal client (the real one is exercised in
 * test/integration/alerts.test.ts): overload answers "retry", never drops, never 4xx.
 */
import type { Client } from '@temporalio/client';
import { createAlertIngest } from '../../src/alerts/ingest';
import type { AlertJournal } from '../../src/alerts/journal';
import { createRouter } from '../../src/alerts/router';
import { RunError } from '../../src/runs/errors';
import type { AlertInstance } from '../../src/shared/alert';
import { libraryOf, runbookFromYaml } from '../support/runbook-worker';
import { TEST_KEYS } from '../support/signing';
import { verifySigned, type SignedAlert } from '../../src/shared/signed';

const library = libraryOf(
  runbookFromYaml('id: rb\ntitle: RB\nparams:\n  service: { type: string }\nsteps:\n  - id: w\n    wait: 1s\n'),
);
const routes = [
  { id: 'r', match: {}, runbook: 'rb', params: { service: '${{ alert.labels.service }}' }, owner: 'bot' },
];
const journal: AlertJournal = { record: async () => undefined, list: async () => [] };

function ingestWith(client: unknown, maxInFlight: number) {
  return createAlertIngest({
    client: client as Client,
    config: {
      taskQueue: 'q',
      approverGroups: {},
      alerts: { routes, maxInFlight, coalesceMs: 0, journalDir: '' },
      signingKeys: () => TEST_KEYS,
    },
    library: () => library,
    router: createRouter(routes, () => true),
    journal,
    call: (fn) => fn(),
  });
}

function alert(fingerprint: string): AlertInstance {
  return {
    source: 'alertmanager',
    status: 'firing',
    fingerprint,
    startsAt: '2026-11-23T10:00:00.000Z',
    labels: { service: 'x' },
    annotations: {},
    links: [],
  };
}

test('beyond maxInFlight Temporal calls, deliveries are refused as unavailable (503, retried by the sender)', async () => {
  let release: () => void = () => undefined;
  const gate = new Promise<void>((r) => (release = r));
  const calls: string[] = [];
  const ingest = ingestWith(
    {
      workflow: {
        signalWithStart: async (_t: string, o: { workflowId: string }) => {
          calls.push(o.workflowId);
          await gate;
        },
      },
    },
    1,
  );
  const first = ingest.ingest('alertmanager', [alert('a1')]);
  await new Promise((r) => setImmediate(r));
  expect(ingest.inFlight()).toBe(1);
  await expect(ingest.ingest('alertmanager', [alert('a2')])).rejects.toEqual(
    new RunError('unavailable', 'overloaded: 1 alert deliveries in flight; retry'),
  );
  release();
  expect(await first).toEqual([expect.objectContaining({ outcome: 'accepted', route: 'r' })]);
  expect(await ingest.ingest('alertmanager', [alert('a2')])).toEqual([
    expect.objectContaining({ outcome: 'accepted' }),
  ]);
  expect(calls).toHaveLength(2);
});

test('the run input carries the starting notification; params come from the alert', async () => {
  const sent: Array<{ args: Array<{ params: unknown; alert: unknown; trigger: unknown }>; signalArgs: unknown[] }> = [];
  const ingest = ingestWith(
    { workflow: { signalWithStart: async (_t: string, o: (typeof sent)[number]) => void sent.push(o) } },
    10,
  );
  await ingest.ingest('alertmanager', [alert('b1')]);
  const o = sent[0] as (typeof sent)[number];
  // The signal carries the same notice, signed for this run (a raw client's changes nothing).
  const signal = o.signalArgs[0] as SignedAlert;
  expect(signal.payload).toMatchObject({ purpose: 'alert', notice: o.args[0]?.alert });
  expect(verifySigned(TEST_KEYS, signal, 'alert', Date.now()).ok).toBe(true);
  expect(o.args[0]).toMatchObject({
    params: { service: 'x' },
    trigger: { source: 'alert', requestedBy: 'bot' },
    signed: { payload: { trigger: { source: 'alert', requestedBy: 'bot' }, params: { service: 'x' } } },
  });
});
