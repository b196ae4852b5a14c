/** The development inbox: notifications from local runs are kept and readable, never in production config. */
import { Registry } from 'prom-client';
import { buildApp } from '../../src/api/app';
import { loadConfig } from '../../src/config/load';
import type { RunService } from '../../src/runs/service';
import { libraryOf } from '../support/runbook-worker';

const config = loadConfig({ RUNBOOKS_API_PORT: '18080' }, process.cwd());

function app(devInbox: boolean) {
  return buildApp({
    runs: {} as RunService,
    library: () => libraryOf(),
    tokens: config.tokens,
    registry: new Registry(),
    devInbox,
  });
}

test('dev targets post to the API inbox at the port the API listens on', () => {
  expect(config.api.devInbox).toBe(true);
  expect(config.webhookTargets.oncall).toEqual({ url: 'http://127.0.0.1:18080/v1/dev/inbox/oncall' });
});

test('the inbox keeps what was posted, newest first, for viewers', async () => {
  const a = app(true);
  await a.inject({ method: 'POST', url: '/v1/dev/inbox/oncall', payload: { text: 'first' } });
  await a.inject({ method: 'POST', url: '/v1/dev/inbox/status-page', payload: { text: 'second' } });
  expect((await a.inject({ method: 'GET', url: '/v1/dev/inbox' })).statusCode).toBe(401);
  const r = await a.inject({
    method: 'GET',
    url: '/v1/dev/inbox',
    headers: { authorization: 'Bearer dev-viewer-token' },
  });
  expect(r.json()).toEqual({
    notifications: [
      { target: 'status-page', receivedAt: expect.any(String), body: { text: 'second' } },
      { target: 'oncall', receivedAt: expect.any(String), body: { text: 'first' } },
    ],
  });
  await a.close();
});

test('without api.devInbox there is no inbox', async () => {
  const a = app(false);
  expect((await a.inject({ method: 'POST', url: '/v1/dev/inbox/oncall', payload: {} })).statusCode).toBe(404);
  await a.close();
});
