/**
 * Slack's request signing (v0): `X-Slack-Signature: v0=<hex HMAC-SHA256 of "v0:{timestamp}:{raw
 * body}">` with the app's signing secret, `X-Slack-Request-Timestamp` within five minutes of now
 * either way, compared in constant time; and a signature seen before within that window is a
 * replay. (Each API replica remembers its own; a shared store comes with the cluster.)
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Slack's window, both ways (a clock ahead is as wrong as one behind). */
export const SLACK_WINDOW_S = 300;
/** Signatures remembered for replay checks; beyond this the oldest are forgotten early. */
const MAX_REMEMBERED = 50_000;

export type SlackRefusal = 'unsigned' | 'stale' | 'bad-signature' | 'replayed';

export interface SlackVerifier {
  /** Undefined when the request is Slack's, else why not. */
  check(headers: Record<string, unknown>, raw: string, nowMs?: number): SlackRefusal | undefined;
}

export function slackSignature(secret: Buffer | string, timestamp: string, raw: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${raw}`).digest('hex')}`;
}

export function createSlackVerifier(secret: Buffer): SlackVerifier {
  // Signature -> when it stops mattering (its timestamp plus the window).
  const seen = new Map<string, number>();
  const forget = (nowS: number): void => {
    for (const [sig, until] of seen) {
      if (until >= nowS && seen.size < MAX_REMEMBERED) break;
      seen.delete(sig);
    }
  };
  return {
    check(headers, raw, nowMs = Date.now()) {
      const ts = headers['x-slack-request-timestamp'];
      const sig = headers['x-slack-signature'];
      if (typeof ts !== 'string' || typeof sig !== 'string' || !/^\d{1,12}$/.test(ts)) return 'unsigned';
      const nowS = Math.floor(nowMs / 1000);
      if (Math.abs(nowS - Number(ts)) > SLACK_WINDOW_S) return 'stale';
      const want = Buffer.from(slackSignature(secret, ts, raw));
      const got = Buffer.from(sig);
      // timingSafeEqual throws on unequal lengths: a length mismatch is simply wrong.
      if (got.length !== want.length || !timingSafeEqual(got, want)) return 'bad-signature';
      forget(nowS);
      if (seen.has(sig)) return 'replayed';
      seen.set(sig, Number(ts) + SLACK_WINDOW_S);
      return undefined;
    },
  };
}
