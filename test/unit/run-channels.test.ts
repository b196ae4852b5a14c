/** RunChannels: what reaches Temporal in a storm, with a recording send in place of the client. */
import { RunChannels, type Send } from '../../src/alerts/run-channels';
import type { AlertNotice } from '../../src/shared/alert';
import { waitFor } from '../support/wait';

function notice(status: 'firing' | 'resolved', summary: string, at = new Date().toISOString()): AlertNotice {
  return {
    route: 'r',
    receivedAt: at,
    alert: {
      source: 'alertmanager',
      status,
      fingerprint: 'f',
      startsAt: 't',
      labels: { a: 'b' },
      annotations: { summary },
      links: [],
    },
  };
}

function recorder(o: { delayMs?: number; fail?: () => boolean } = {}) {
  const sent: AlertNotice[] = [];
  const send: Send = async (n) => {
    if (o.delayMs) await new Promise((r) => setTimeout(r, o.delayMs));
    if (o.fail?.()) throw new Error('unavailable');
    sent.push(n);
    return 'accepted';
  };
  return { sent, send };
}

const opts = { windowMs: 50, memoryMs: 60_000, size: 100 };

test('identical repeats are answered from memory; the next sent notice counts them', async () => {
  const ch = new RunChannels(opts);
  const r = recorder();
  expect(await ch.deliver('w', notice('firing', 'x'), 'h1', r.send)).toBe('accepted');
  expect(await ch.deliver('w', notice('firing', 'x'), 'h1', r.send)).toBe('duplicate');
  expect(await ch.deliver('w', notice('firing', 'x'), 'h1', r.send)).toBe('duplicate');
  expect(await ch.deliver('w', notice('resolved', 'x'), 'h2', r.send)).toBe('accepted');
  expect(r.sent.map((n) => [n.alert.status, n.repeats ?? 1])).toEqual([
    ['firing', 1],
    ['resolved', 3],
  ]);
});

test('concurrent notifications of one run make one call at a time; a status change always waits for Temporal', async () => {
  const ch = new RunChannels(opts);
  const r = recorder({ delayMs: 20 });
  const outcomes = await Promise.all([
    ch.deliver('w', notice('firing', 'x'), 'h1', r.send),
    ch.deliver('w', notice('firing', 'x'), 'h1', r.send),
    ch.deliver('w', notice('firing', 'x'), 'h1', r.send),
  ]);
  expect(outcomes).toEqual(['accepted', 'duplicate', 'duplicate']);
  expect(r.sent).toHaveLength(1);
});

test('content changes of a firing alert are coalesced and the newest is sent when the window ends', async () => {
  let clock = 1_000_000;
  const ch = new RunChannels({ ...opts, now: () => clock });
  const r = recorder();
  await ch.deliver('w', notice('firing', 'v0'), 'h0', r.send);
  expect(await ch.deliver('w', notice('firing', 'v1'), 'h1', r.send)).toBe('coalesced');
  expect(await ch.deliver('w', notice('firing', 'v2'), 'h2', r.send)).toBe('coalesced');
  expect(ch.pending()).toBe(1);
  // The window's timer (a real one) sends the newest change.
  await waitFor('the coalesced change to be sent when the window ends', () => r.sent.length >= 2);
  expect(r.sent.map((n) => [n.alert.annotations.summary, n.repeats ?? 1])).toEqual([
    ['v0', 1],
    ['v2', 2],
  ]);
  expect(ch.pending()).toBe(0);
  // v0 again after v2 is a change, not a duplicate of the first: once the window after v2 has
  // ended it goes to Temporal.
  clock += opts.windowMs;
  expect(await ch.deliver('w', notice('firing', 'v0'), 'h0', r.send)).toBe('accepted');
});

test('a failed call is not remembered: the next notification goes to Temporal again', async () => {
  const ch = new RunChannels(opts);
  let down = true;
  const r = recorder({ fail: () => down });
  await expect(ch.deliver('w', notice('firing', 'x'), 'h1', r.send)).rejects.toThrow('unavailable');
  down = false;
  expect(await ch.deliver('w', notice('firing', 'x'), 'h1', r.send)).toBe('accepted');
  expect(r.sent).toHaveLength(1);
});

test('a run that ended is remembered as ended', async () => {
  const ch = new RunChannels(opts);
  const send: Send = async () => 'run-ended';
  expect(await ch.deliver('w', notice('firing', 'x'), 'h1', send)).toBe('run-ended');
  expect(await ch.deliver('w', notice('firing', 'y'), 'h2', send)).toBe('run-ended');
});
