/** The API's signature (node:crypto) and the workflow's check (plain TypeScript) agree; keys load as documented. */
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSigningKeys, parseSigningKeys } from '../../src/config/signing-keys';
import { definitionDigest as apiDigest, sign } from '../../src/platform/signing';
import { definitionDigest, verifySigned } from '../../src/shared/signed';
import { OTHER_KEYS, TEST_KEYS } from '../support/signing';

const payload = {
  purpose: 'decision' as const,
  workflowId: 'wf-1',
  stepId: 'gate',
  actor: 'bob',
  decision: 'approve' as const,
  comment: 'ünïcödé \u{1F600}',
  channel: 'api' as const,
  expiresAt: '2030-01-01T00:00:00.000Z',
};
const now = Date.parse('2029-12-31T00:00:00.000Z');

test('what the API signs, the workflow-side check accepts; any change to it is refused', () => {
  const s = sign(TEST_KEYS, payload);
  expect(verifySigned(TEST_KEYS, s, 'decision', now)).toEqual({ ok: true, payload });
  expect(verifySigned(TEST_KEYS, { ...s, payload: { ...payload, actor: 'mallory' } }, 'decision', now)).toEqual({
    ok: false,
    reason: 'the signature does not match',
  });
  expect(verifySigned(OTHER_KEYS, s, 'decision', now)).toEqual({ ok: false, reason: 'the signature does not match' });
  expect(verifySigned(TEST_KEYS, s, 'start', now)).toEqual({ ok: false, reason: 'signed for decision, not start' });
  expect(verifySigned(TEST_KEYS, s, 'decision', Date.parse('2030-01-02T00:00:00.000Z'))).toEqual({
    ok: false,
    reason: 'expired at 2030-01-01T00:00:00.000Z',
  });
  expect(verifySigned(TEST_KEYS, { ...s, kid: 'gone' }, 'decision', now)).toEqual({
    ok: false,
    reason: "signed with an unknown key 'gone'",
  });
  expect(verifySigned(TEST_KEYS, {}, 'decision', now)).toEqual({ ok: false, reason: 'not a signed envelope' });
});

test('rotation: the first key signs, every listed key verifies', () => {
  const next = `k2:${Buffer.alloc(32, 5).toString('base64url')}`;
  const old = `test1:${Buffer.alloc(32, 7).toString('base64url')}`;
  const rotated = parseSigningKeys(`${next},${old}`, 'env');
  expect(rotated.activeKid).toBe('k2');
  expect(sign(rotated, payload).kid).toBe('k2');
  expect(verifySigned(rotated, sign(TEST_KEYS, payload), 'decision', now).ok).toBe(true);
});

test.each([
  ['', /no signing key/],
  ['k1', /each key is <id>:<base64url>/],
  [`k1:${Buffer.alloc(16).toString('base64url')}`, /has 16 bytes; at least 32/],
  [`k1:${Buffer.alloc(32).toString('base64url')},k1:${Buffer.alloc(32).toString('base64url')}`, /appears twice/],
])('a bad key list %j is refused, saying where', (text, why) => {
  expect(() => parseSigningKeys(text, 'RUNBOOK_SIGNING_KEYS')).toThrow(why);
});

test('the embedded default makes its key file once (0600, comments kept); a cluster needs the key given', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keys-'));
  const first = loadSigningKeys({ env: {}, dataDir: dir, embedded: true });
  const file = join(dir, 'signing-keys');
  expect(statSync(file).mode & 0o777).toBe(0o600);
  expect(readFileSync(file, 'utf8')).toMatch(/^# durable-runbooks signing keys/);
  expect(loadSigningKeys({ env: {}, dataDir: dir, embedded: true })).toEqual(first);
  const empty = mkdtempSync(join(tmpdir(), 'keys-'));
  expect(() => loadSigningKeys({ env: {}, dataDir: empty, embedded: false })).toThrow(/set RUNBOOK_SIGNING_KEYS/);
  expect(existsSync(join(empty, 'signing-keys'))).toBe(false);
});

test("the API's definition digest (node:crypto) is the workflow's (plain TypeScript)", () => {
  for (const d of [{ id: 'rb', steps: [{ id: 'é', with: { x: '\u{1F600} \ud800' } }] }, 'text', null, [1, 2]])
    expect(apiDigest(d)).toBe(definitionDigest(d));
});
