/**
 * Signed webhooks, checked on the raw body (a re-serialised body would not match).
 * - PagerDuty v3: `X-PagerDuty-Signature: v1=<hex HMAC-SHA256(secret, body)>`, several
 *   comma-separated while a secret is being rotated; any one valid suffices.
 * - Generic: `X-Runbooks-Timestamp: <unix seconds>` and `X-Runbooks-Signature: sha256=<hex
 *   HMAC-SHA256(secret, "<timestamp>.<body>")>`; older than the tolerance is refused (replay).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

function hmacHex(secret: Buffer, text: string): Buffer {
  return Buffer.from(createHmac('sha256', secret).update(text, 'utf8').digest('hex'), 'utf8');
}

function sameHex(expected: Buffer, given: string): boolean {
  const g = Buffer.from(given.toLowerCase(), 'utf8');
  return g.length === expected.length && timingSafeEqual(g, expected);
}

export function verifyPagerduty(secret: Buffer, rawBody: string, header: string | undefined): boolean {
  if (!header) return false;
  const expected = hmacHex(secret, rawBody);
  let ok = false;
  for (const part of header.split(',')) {
    const m = /^\s*v1=([0-9a-fA-F]+)\s*$/.exec(part);
    if (m && sameHex(expected, m[1] as string)) ok = true;
  }
  return ok;
}

export const GENERIC_TOLERANCE_S = 300;

export function signGeneric(secret: Buffer, rawBody: string, timestamp: number): string {
  return `sha256=${hmacHex(secret, `${timestamp}.${rawBody}`).toString('utf8')}`;
}

/** Undefined when valid, else why not (for the 401 answer). */
export function verifyGeneric(
  secret: Buffer,
  rawBody: string,
  timestamp: string | undefined,
  signature: string | undefined,
  nowMs = Date.now(),
): string | undefined {
  if (!timestamp || !/^\d{1,12}$/.test(timestamp)) return 'x-runbooks-timestamp (unix seconds) is required';
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > GENERIC_TOLERANCE_S)
    return `x-runbooks-timestamp is more than ${GENERIC_TOLERANCE_S} s from now`;
  const m = /^sha256=([0-9a-fA-F]+)$/.exec(signature ?? '');
  if (!m) return 'x-runbooks-signature: sha256=<hex> is required';
  return sameHex(hmacHex(secret, `${timestamp}.${rawBody}`), m[1] as string)
    ? undefined
    : 'x-runbooks-signature does not match the body';
}
