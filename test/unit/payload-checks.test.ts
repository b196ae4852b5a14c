/** Message payload checks name what is wrong, and bound what they accept. */
import {
  boundAlert,
  checkAlertNotice,
  checkLockAnswer,
  checkLockRequest,
  checkRelease,
} from '../../src/shared/payload-checks';
import type { AlertInstance } from '../../src/shared/alert';

const notice = {
  route: 'r',
  receivedAt: '2026-12-01T10:00:00.000Z',
  alert: {
    source: 'alertmanager',
    status: 'firing',
    fingerprint: 'f',
    startsAt: '2026-12-01T09:00:00.000Z',
    labels: { service: 'web' },
    annotations: {},
    links: [{ name: 'dash', url: 'http://d' }],
  },
};

test('a well-formed alert notice passes as it is', () => {
  expect(checkAlertNotice(notice)).toEqual({ ok: notice });
});

test.each([
  [{}, /route/],
  [{ ...notice, alert: { ...notice.alert, status: 'maybe' } }, /alert.status/],
  [{ ...notice, alert: { ...notice.alert, labels: { a: 1 } } }, /alert.labels.a/],
  [{ ...notice, alert: { ...notice.alert, annotations: { a: 'x'.repeat(5000) } } }, /alert.annotations.a/],
  [{ ...notice, alert: { ...notice.alert, links: Array(51).fill({ name: 'n', url: 'u' }) } }, /alert.links/],
  [{ ...notice, repeats: 0 }, /repeats/],
  [null, /must be an object/],
])('%#: a malformed notice is refused, naming the field', (v, why) => {
  expect(checkAlertNotice(v)).toEqual({ error: expect.stringMatching(why) });
});

test('lock messages', () => {
  expect(checkLockRequest({ holder: 'h', onBusy: 'wait', capacity: 1 })).toHaveProperty('ok');
  expect(checkLockRequest({ holder: 'h', onBusy: 'wait', capacity: Number.NaN })).toEqual({
    error: 'capacity must be a whole number from 1',
  });
  expect(checkRelease(null)).toEqual({ error: 'a release names its holder' });
  expect(checkLockAnswer({ target: 't', outcome: 'granted', heldBy: [] })).toHaveProperty('ok');
  expect(checkLockAnswer({ target: 't', outcome: 'mine', heldBy: [] })).toEqual({
    error: 'outcome is not a lock outcome',
  });
});

test('what the API sends of a verbose alert is within what a run accepts, cut with a marker', () => {
  const verbose = {
    ...notice.alert,
    annotations: { description: 'd'.repeat(10_000) },
    labels: Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`l${i}`, 'v'])),
  } as AlertInstance;
  const a = boundAlert(verbose);
  expect(a.annotations.description).toMatch(/… \[cut: \d+ more characters\]$/);
  expect(a.annotations.description!.length).toBeLessThanOrEqual(4096);
  expect(Object.keys(a.labels)).toHaveLength(200);
  expect(checkAlertNotice({ ...notice, alert: a })).toHaveProperty('ok');
});
