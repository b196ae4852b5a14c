/**
 * The development inbox: notifications from local runs are kept and readable by viewers, never in
 * production config. Only the worker may post (the inbox token, derived from the signing key).
 */
import { Registry } from 'prom-client';
import { buildApp } from '../../src/api/app';
import { devInboxToken } from '../../src/api/routes/dev-inbox';
import { parseSigningKeys } from '../../src/config/signing-keys';
import { loadConfig } from '../../src/config/load';
import type { RunService } from '../../src/runs/service';
import type { SigningKeys } from '../../src/shared/signed';
import { libraryOf } from '../support/runbook-worker';
import { OTHER_KEYS, TEST_KEYS, TEST_KEYS_ENV } from '../support/signing';

const config = loadConfig({ RUNBOOKS_API_PORT: '18080' }, process.cwd());

function app(devInbox: boolean, keys: SigningKeys | null = TEST_KEYS) {
  return buildApp({
    runs: {} as RunService,
    library: () => libraryOf(),
    tokens: config.tokens,
    registry: new Registry(),
    devInbox,
    ...(keys ? { signingKeys: () => keys } : {}),
  });
}

const poster = (token: string) => ({ authorization: `Bearer ${token}` });
const viewer = { authorization: 'Bearer dev-viewer-token' };

test('dev targets post to the API inbox at the port the API listens on', () => {
  expect(config.api.devInbox).toBe(true);
  expect(config.webhookTargets.oncall).toMatchObject({ url: 'http://127.0.0.1:18080/v1/dev/inbox/oncall' });
  // A target of another kind too: npm start pages nobody, and the inbox shows the event it would send.
  expect(config.notifyTargets.pagerduty).toMatchObject({
    kind: 'webhook',
    inboxFor: 'pagerduty',
    url: 'http://127.0.0.1:18080/v1/dev/inbox/pagerduty',
  });
});

test('the token is HMAC-SHA256 of "dev-inbox" under the signing key, hex', () => {
  // Fixed: the worker (another process, another build) must work out the same value.
  expect(devInboxToken(TEST_KEYS)).toBe(devInboxToken(TEST_KEYS, 'test1'));
  expect(devInboxToken(TEST_KEYS)).toMatch(/^[0-9a-f]{64}$/);
  expect(devInboxToken(TEST_KEYS)).not.toBe(devInboxToken(OTHER_KEYS));
  const k = parseSigningKeys(`k:${Buffer.alloc(32, 1).toString('base64url')}`, 'test');
  expect(devInboxToken(k)).toBe('aafd34f8777b576a75d0a5f7999acd36a3f54eacab931910896dc0b4b150101f');
});

test('the inbox keeps what the worker posted, newest first, for viewers', async () => {
  const a = app(true);
  const token = devInboxToken(TEST_KEYS);
  const first = await a.inject({
    method: 'POST',
    url: '/v1/dev/inbox/oncall',
    headers: poster(token),
    payload: { text: 'first' },
  });
  expect(first.statusCode).toBe(202);
  await a.inject({
    method: 'POST',
    url: '/v1/dev/inbox/status-page',
    headers: poster(token),
    payload: { text: 'second' },
  });
  expect((await a.inject({ method: 'GET', url: '/v1/dev/inbox' })).statusCode).toBe(401);
  const r = await a.inject({ method: 'GET', url: '/v1/dev/inbox', headers: viewer });
  expect(r.json()).toEqual({
    notifications: [
      { target: 'status-page', receivedAt: expect.any(String), body: { text: 'second' } },
      { target: 'oncall', receivedAt: expect.any(String), body: { text: 'first' } },
    ],
  });
  await a.close();
});

test.each([
  ['no token', {}],
  ['an API token, even an admin one', poster('dev-admin-token')],
  ['the token of another key', poster(devInboxToken(OTHER_KEYS))],
  ['a token cut short', poster(devInboxToken(TEST_KEYS).slice(0, 63))],
])('posting with %s is refused and nothing is kept', async (_what, headers) => {
  const a = app(true);
  const r = await a.inject({ method: 'POST', url: '/v1/dev/inbox/oncall', headers, payload: { text: 'forged' } });
  expect(r.statusCode).toBe(401);
  expect(r.json()).toMatchObject({ field: 'authorization' });
  expect((await a.inject({ method: 'GET', url: '/v1/dev/inbox', headers: viewer })).json()).toEqual({
    notifications: [],
  });
  await a.close();
});

test('every key verifies (a worker not yet given a rotated key still delivers)', async () => {
  const keys = parseSigningKeys(
    `new:${Buffer.alloc(32, 3).toString('base64url')},old:${Buffer.alloc(32, 4).toString('base64url')}`,
    'rotation',
  );
  const a = app(true, keys);
  for (const kid of ['new', 'old']) {
    const r = await a.inject({
      method: 'POST',
      url: '/v1/dev/inbox/oncall',
      headers: poster(devInboxToken(keys, kid)),
      payload: { kid },
    });
    expect(r.statusCode).toBe(202);
  }
  await a.close();
});

test('without the signing keys nobody may post', async () => {
  const a = app(true, null);
  const r = await a.inject({
    method: 'POST',
    url: '/v1/dev/inbox/oncall',
    headers: poster(devInboxToken(TEST_KEYS)),
    payload: {},
  });
  expect(r.statusCode).toBe(401);
  await a.close();
});

test('without api.devInbox there is no inbox', async () => {
  const a = app(false);
  const r = await a.inject({
    method: 'POST',
    url: '/v1/dev/inbox/oncall',
    headers: poster(devInboxToken(TEST_KEYS)),
    payload: {},
  });
  expect(r.statusCode).toBe(404);
  await a.close();
});

test('a devInbox target carries the token the inbox accepts, worked out when sent', async () => {
  const c = loadConfig(
    { RUNBOOKS_API_PORT: '18080', RUNBOOK_SIGNING_KEYS: TEST_KEYS_ENV, TEMPORAL_ADDRESS: 'x:1' },
    process.cwd(),
  );
  const headers = { ...c.webhookTargets.oncall?.headers };
  expect(headers).toEqual({ authorization: `Bearer ${devInboxToken(TEST_KEYS)}` });
  const a = app(true);
  const url = new URL(c.webhookTargets.oncall?.url as string);
  const res = await a.inject({ method: 'POST', url: url.pathname, headers, payload: { text: 'from the worker' } });
  expect(res.statusCode).toBe(202);
  await a.close();
});
