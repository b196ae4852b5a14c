/** The workflow-safe SHA-256, HMAC, UTF-8 and base64url give node:crypto's answers. */
import { createHash, createHmac } from 'node:crypto';
import { base64url, constantTimeEqual, hex, hmacSha256, sha256, utf8 } from '../../src/shared/sha256';

// Deterministic bytes (a test that passes once passes always).
const bytes = (n: number, seed: number): Buffer =>
  Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed * 7) & 255));

test.each([0, 1, 3, 55, 56, 63, 64, 65, 119, 120, 1000, 100_000])('%i bytes: digest, HMAC and base64url agree', (n) => {
  const d = bytes(n, n);
  expect(hex(sha256(d))).toBe(createHash('sha256').update(d).digest('hex'));
  for (const keyLength of [1, 32, 64, 65, 200]) {
    const k = bytes(keyLength, n + 1);
    expect(base64url(hmacSha256(k, d))).toBe(createHmac('sha256', k).update(d).digest('base64url'));
  }
  expect(base64url(d)).toBe(d.toString('base64url'));
});

test('the standard vector', () => {
  expect(hex(sha256(utf8('abc')))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
});

test('UTF-8 as Node encodes it, astral characters and lone surrogates included', () => {
  for (const s of ['', 'ascii', 'héllo', '\u{1F600}', 'a\u200bb', 'а (Cyrillic)', '\ud800 lone', 'end \udfff'])
    expect(Buffer.from(utf8(s)).toString('hex')).toBe(Buffer.from(s, 'utf8').toString('hex'));
});

test('constant-time comparison says equal only for equal strings', () => {
  expect(constantTimeEqual('abc', 'abc')).toBe(true);
  expect(constantTimeEqual('abc', 'abd')).toBe(false);
  expect(constantTimeEqual('abc', 'abcd')).toBe(false);
});
