/**
 * Authentication runs before the body is read (issue 10, item 10): a caller without a valid token,
 * or without the role, is refused before the API starts reading what it sends. Routes
 * still write `preHandler: role(...)`; the app moves those checks to onRequest.
 */
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { buildApp } from '../../src/api/app';
import type { AuditEntry } from '../../src/api/audit';
import type { AlertTrigger } from '../../src/alerts';
import { loadConfig } from '../../src/config/load';
import type { JsonLines } from '../../src/platform/json-lines';
import type { ControlService } from '../../src/runs/control';
import type { RunService } from '../../src/runs/service';
import type { ScheduleService } from '../../src/schedules/service';
import { libraryOf } from '../support/runbook-worker';

const config = loadConfig({}, process.cwd());
const BIG = 50 * 1024 * 1024;

function app() {
  const audited: AuditEntry[] = [];
  const started: unknown[] = [];
  const audit: JsonLines<AuditEntry> = { append: async (e) => void audited.push(e), newest: async () => [] };
  const a = buildApp({
    runs: { start: async (r: unknown) => started.push(r) } as unknown as RunService,
    control: {} as ControlService,
    schedules: {} as ScheduleService,
    alerts: { routes: [], ingest: { inFlight: () => 0, backlog: () => 0 } } as unknown as AlertTrigger,
    library: () => libraryOf(),
    tokens: config.tokens,
    registry: new Registry(),
    audit,
  });
  // preParsing is where Fastify hands a body to its parser (every route's, the alert routes' raw
  // one too): counted here, a body that was never started on.
  let parsed = 0;
  a.addHook('preParsing', async (_req, _reply, payload) => {
    parsed++;
    return payload;
  });
  return { a, audited, started, parsed: () => parsed };
}

const huge = JSON.stringify({ runbook: 'x', params: { pad: 'x'.repeat(BIG) } });

test.each([
  ['POST', '/v1/runs'],
  ['POST', '/v1/runs/r-1/cancel'],
  ['POST', '/v1/freezes'],
  ['POST', '/v1/schedules/sync'],
  ['POST', '/v1/alerts/alertmanager'],
  ['POST', '/v1/alerts/test'],
  ['POST', '/v1/runbooks/hello/plan'],
])('%s %s without a token: 401, and the body is never read', async (method, url) => {
  const { a, parsed } = app();
  const r = await a.inject({
    method: method as 'POST',
    url,
    headers: { 'content-type': 'application/json' },
    payload: huge,
  });
  expect(r.statusCode).toBe(401);
  expect(r.json()).toEqual({ error: 'a valid bearer token is required', field: 'authorization' });
  expect(r.headers['www-authenticate']).toBe('Bearer');
  expect(parsed()).toBe(0);
  await a.close();
});

test('the wrong role: 403 before the body is read, audited under who asked; the right role reads it', async () => {
  const { a, audited, started, parsed } = app();
  const viewer = { authorization: 'Bearer dev-viewer-token', 'content-type': 'application/json' };
  const r = await a.inject({ method: 'POST', url: '/v1/runs', headers: viewer, payload: huge });
  expect(r.statusCode).toBe(403);
  expect(r.json()).toEqual({ error: 'viewer lacks the operator role', field: 'authorization' });
  expect(parsed()).toBe(0);
  expect(audited).toEqual([
    expect.objectContaining({ identity: 'viewer', action: 'POST /v1/runs', status: 403, outcome: 'refused' }),
  ]);

  const ok = await a.inject({
    method: 'POST',
    url: '/v1/runs',
    headers: { ...viewer, authorization: 'Bearer dev-alice-operator' },
    payload: { runbook: 'x' },
  });
  expect(parsed()).toBe(1);
  expect(started).toEqual([
    expect.objectContaining({ runbookId: 'x', trigger: expect.objectContaining({ requestedBy: 'alice' }) }),
  ]);
  expect(ok.statusCode).toBeLessThan(500);
  await a.close();
});

test('over a socket: the 401 comes back while the 50 MB body is still unsent', async () => {
  const { a, parsed } = app();
  await a.listen({ host: '127.0.0.1', port: 0 });
  const { port } = a.server.address() as AddressInfo;
  const socket = connect(port, '127.0.0.1');
  try {
    let answer = '';
    const answered = new Promise<string>((resolve) => {
      socket.on('data', (d: Buffer) => {
        answer += d.toString();
        if (answer.includes('\r\n\r\n')) resolve(answer);
      });
    });
    socket.write(
      `POST /v1/runs HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${BIG}\r\n\r\n`,
    );
    socket.write('{"runbook":"x","params":{"pad":"' + 'x'.repeat(64 * 1024)); // a first chunk, and no more
    expect((await answered).split('\r\n')[0]).toBe('HTTP/1.1 401 Unauthorized');
    expect(parsed()).toBe(0);
  } finally {
    socket.destroy();
    await a.close();
  }
});
