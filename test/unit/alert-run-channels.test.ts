/**
 * The run-channel memory keeps its size in a storm of distinct runs, also while its oldest
 * entry has a call that hangs: idle runs are forgotten first, then waiting coalesced changes,
 * never a call in flight.
 */
import { RunChannels, type Send } from '../../src/alerts/run-channels';
import type { AlertNotice } from '../../src/shared/alert';

function notice(summary: string): AlertNotice {
  return {
    route: 'r',
    receivedAt: new Date().toISOString(),
    alert: {
      source: 'alertmanager',
      status: 'firing',
      fingerprint: 'f',
      startsAt: 't',
      labels: { a: 'b' },
      annotations: { summary },
      links: [],
    },
  };
}

const accept: Send = async () => 'accepted';

test('the cap holds while the oldest run has a call that hangs', async () => {
  const ch = new RunChannels({ windowMs: 0, memoryMs: 60_000, size: 10 });
  let release: () => void = () => undefined;
  const hanging: Send = () => new Promise((r) => (release = () => r('accepted')));
  const stuck = ch.deliver('stuck', notice('x'), 'h', hanging);
  for (let i = 0; i < 1000; i++) expect(await ch.deliver(`run-${i}`, notice('x'), 'h', accept)).toBe('accepted');
  // The hanging run is kept (its callers wait on it), the rest within the cap.
  expect(ch.size()).toBe(10);
  // Its next notification still waits for the call in flight: one call at a time per run.
  const next = ch.deliver('stuck', notice('x'), 'h', accept);
  release();
  expect(await stuck).toBe('accepted');
  expect(await next).toBe('duplicate');
});

test('when every remembered run has a call in flight, the overflow is the calls in flight, no more', async () => {
  const ch = new RunChannels({ windowMs: 0, memoryMs: 60_000, size: 4 });
  const releases: Array<() => void> = [];
  const hanging: Send = () => new Promise((r) => releases.push(() => r('accepted')));
  const calls = Array.from({ length: 8 }, (_, i) => ch.deliver(`busy-${i}`, notice('x'), 'h', hanging));
  expect(ch.size()).toBe(8);
  releases.forEach((r) => r());
  expect(await Promise.all(calls)).toEqual(Array(8).fill('accepted'));
  for (let i = 0; i < 20; i++) await ch.deliver(`idle-${i}`, notice('x'), 'h', accept);
  expect(ch.size()).toBe(4);
});

test('runs whose coalesced change waits are forgotten before the cap breaks; their change is dropped, said so', async () => {
  let clock = 1_000_000;
  const dropped: string[] = [];
  const ch = new RunChannels({
    windowMs: 60_000,
    memoryMs: 600_000,
    size: 3,
    now: () => clock,
    onFlushError: (id, err) => dropped.push(`${id}: ${err.message}`),
  });
  const sent: string[] = [];
  const send: Send = async (n) => {
    sent.push(n.alert.annotations.summary as string);
    return 'accepted';
  };
  for (const id of ['w1', 'w2', 'w3']) {
    await ch.deliver(id, notice(`${id} v0`), 'h0', send);
    expect(await ch.deliver(id, notice(`${id} v1`), 'h1', send)).toBe('coalesced');
  }
  expect(ch.pending()).toBe(3);
  clock += 1;
  await ch.deliver('w4', notice('w4 v0'), 'h0', send);
  expect(ch.size()).toBe(3);
  expect(ch.pending()).toBe(2);
  expect(dropped).toEqual(['w1: forgotten to keep the memory within its size']);
  // w1 is no longer known: its next notification goes to Temporal with the newest content.
  expect(await ch.deliver('w1', notice('w1 v2'), 'h2', send)).toBe('accepted');
  expect(sent).toEqual(['w1 v0', 'w2 v0', 'w3 v0', 'w4 v0', 'w1 v2']);
});
