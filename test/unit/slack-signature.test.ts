/**
 * Slack request signing (v0): Slack's own documented vector, then each way a request is refused:
 * stale (either way), tampered, replayed, unsigned, a signature of the wrong length.
 */
import { createSlackVerifier, slackSignature } from '../../src/api/slack-signature';

// docs.slack.dev/authentication/verifying-requests-from-slack (checked in shared/notes/channels.md 1.7).
const DOC_SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const DOC_TS = '1531420618';
const DOC_BODY =
  'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';

test("Slack's documented vector signs to Slack's documented signature", () => {
  expect(slackSignature(DOC_SECRET, DOC_TS, DOC_BODY)).toBe(
    'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
  );
  const v = createSlackVerifier(Buffer.from(DOC_SECRET));
  const headers = {
    'x-slack-request-timestamp': DOC_TS,
    'x-slack-signature': 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
  };
  expect(v.check(headers, DOC_BODY, Number(DOC_TS) * 1000 + 10_000)).toBeUndefined();
});

describe('refusals', () => {
  const secret = Buffer.from('test-signing-secret');
  const now = 1_800_000_000_000;
  const ts = String(now / 1000);
  const body = 'payload=%7B%7D';
  const good = { 'x-slack-request-timestamp': ts, 'x-slack-signature': slackSignature(secret, ts, body) };

  test('a good request passes once; the same signature again is a replay', () => {
    const v = createSlackVerifier(secret);
    expect(v.check(good, body, now)).toBeUndefined();
    expect(v.check(good, body, now + 1000)).toBe('replayed');
  });

  test('older or newer than five minutes is stale, at the edge it passes', () => {
    const v = createSlackVerifier(secret);
    expect(v.check(good, body, now + 301_000)).toBe('stale');
    expect(v.check(good, body, now - 301_000)).toBe('stale');
    expect(v.check(good, body, now + 300_000)).toBeUndefined();
  });

  test('a changed body, a wrong secret or a short signature is a bad signature', () => {
    const v = createSlackVerifier(secret);
    expect(v.check(good, 'payload=%7B%22x%22%7D', now)).toBe('bad-signature');
    const other = { ...good, 'x-slack-signature': slackSignature('another-secret', ts, body) };
    expect(v.check(other, body, now)).toBe('bad-signature');
    expect(v.check({ ...good, 'x-slack-signature': 'v0=abc' }, body, now)).toBe('bad-signature');
  });

  test('missing headers, or a timestamp that is not a number, is unsigned', () => {
    const v = createSlackVerifier(secret);
    expect(v.check({}, body, now)).toBe('unsigned');
    expect(v.check({ 'x-slack-signature': good['x-slack-signature'] }, body, now)).toBe('unsigned');
    expect(v.check({ ...good, 'x-slack-request-timestamp': '1e9' }, body, now)).toBe('unsigned');
  });
});
