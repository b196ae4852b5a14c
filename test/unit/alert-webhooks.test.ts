/**
 * The alert webhooks' answers to hostile input, through the HTTP app (Fastify's inject) with a
 * stand-in for the Temporal client: too large is 413 and kept, never 503 for ever; a journal
 * that cannot write is 503 with Retry-After, never 500.
 */
import { mkdtempSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import type { AlertTrigger } from '../../src/alerts';
import { createAlertIngest } from '../../src/alerts/ingest';
import { createFileJournal, type AlertJournal } from '../../src/alerts/journal';
import { createRouter } from '../../src/alerts/router';
import { signGeneric } from '../../src/alerts/signature';
import { buildApp } from '../../src/api/app';
import { sha256 } from '../../src/config/load';
import type { JsonLinesFs } from '../../src/platform/json-lines';
import type { RunService } from '../../src/runs/service';
import { libraryOf, runbookFromYaml } from '../support/runbook-worker';
import { TEST_KEYS } from '../support/signing';

const TOKEN = 'unit-alertmanager-token';
const GENERIC_KEY = Buffer.from('unit-generic-key');
const library = libraryOf(runbookFromYaml('id: rb\ntitle: RB\nsteps:\n  - id: w\n    wait: 1s\n'));
const routes = [{ id: 'r', match: { labels: { alertname: 'A' } }, runbook: 'rb', params: {}, owner: 'bot' }];

function appWith(journal: AlertJournal): { app: FastifyInstance; calls: string[] } {
  const calls: string[] = [];
  const client = {
    workflow: { signalWithStart: async (_t: string, o: { workflowId: string }) => void calls.push(o.workflowId) },
  } as unknown as Client;
  const ingest = createAlertIngest({
    client,
    config: {
      taskQueue: 'q',
      approverGroups: {},
      alerts: { routes, maxInFlight: 4, coalesceMs: 0, journalDir: '' },
      signingKeys: () => TEST_KEYS,
    },
    library: () => library,
    router: createRouter(routes, () => true),
    journal,
    call: (fn) => fn(),
  });
  const trigger: AlertTrigger = { ingest, journal, routes, genericSecret: GENERIC_KEY };
  const app = buildApp({
    runs: {} as RunService,
    alerts: trigger,
    library: () => library,
    tokens: [
      { identity: 'alertmanager', roles: ['alerts'], sha256: sha256(TOKEN) },
      { identity: 'viewer', roles: ['viewer'], sha256: sha256('unit-viewer-token') },
    ],
    registry: new Registry(),
  });
  return { app, calls };
}

const fileJournal = (fs?: JsonLinesFs) => createFileJournal(mkdtempSync(join(tmpdir(), 'journal-')), undefined, fs);

function amAlert(fingerprint: string, labels: Record<string, string> = {}) {
  return {
    status: 'firing',
    labels: { alertname: 'A', ...labels },
    annotations: {},
    startsAt: '2026-12-01T10:00:00Z',
    fingerprint,
  };
}
const amBody = (alerts: unknown[]) =>
  JSON.stringify({ version: '4', groupKey: 'g', status: 'firing', receiver: 'runbooks', alerts });

const post = (app: FastifyInstance, url: string, payload: string | Readable, headers: Record<string, string> = {}) =>
  app.inject({ method: 'POST', url, payload, headers: { 'content-type': 'application/json', ...headers } });
const AM = { authorization: `Bearer ${TOKEN}` };
const VIEWER = { authorization: 'Bearer unit-viewer-token' };

describe('too large', () => {
  const huge = amBody([amAlert('aaaa', { filler: 'x'.repeat(5 * 1024 * 1024) })]);

  test('a body over 4 MiB is answered 413 with a JSON error, its head kept in the journal', async () => {
    const journal = fileJournal();
    const { app, calls } = appWith(journal);
    const res = await post(app, '/v1/alerts/alertmanager', huge, AM);
    expect(res.statusCode).toBe(413);
    expect(res.json()).toEqual({
      error: `body: the body is ${Buffer.byteLength(huge)} bytes; an alert webhook takes at most 4194304; its head is kept in the journal`,
      field: 'body',
    });
    const [kept] = await journal.list('oversized', 10);
    expect(kept).toMatchObject({ kind: 'oversized', source: 'alertmanager', reason: expect.stringMatching(/^body: /) });
    expect(kept?.body?.length).toBe(64 * 1024);
    expect(huge.startsWith(kept?.body as string)).toBe(true);
    expect(calls).toEqual([]);
  });

  test('a body sent in chunks without a length is refused the same way once it passes the bound', async () => {
    const journal = fileJournal();
    const { app } = appWith(journal);
    const chunks = Array.from({ length: 6 }, (_, i) => huge.slice(i * 1024 * 1024, (i + 1) * 1024 * 1024));
    const res = await post(app, '/v1/alerts/alertmanager', Readable.from(chunks), AM);
    expect(res.statusCode).toBe(413);
    expect(res.json().error).toBe(
      'body: the body is over 4194304 bytes, the most an alert webhook takes; its head is kept in the journal',
    );
    expect((await journal.list('oversized', 10)).map((e) => e.body?.slice(0, 20))).toEqual([huge.slice(0, 20)]);
  });

  test('an unauthenticated huge body is refused 401 and not journalled', async () => {
    const journal = fileJournal();
    const { app } = appWith(journal);
    expect((await post(app, '/v1/alerts/alertmanager', huge)).statusCode).toBe(401);
    expect(await journal.list('oversized', 10)).toEqual([]);
  });

  test('a signed webhook too large to check its signature on is kept as unchecked', async () => {
    const journal = fileJournal();
    const { app } = appWith(journal);
    const res = await post(app, '/v1/alerts/generic', huge, {
      'x-runbooks-timestamp': '1',
      'x-runbooks-signature': 'x',
    });
    expect(res.statusCode).toBe(413);
    expect((await journal.list('oversized', 1))[0]?.reason).toMatch(/\(signature not checked\)$/);
  });

  test('one alert too large for a Temporal payload: 413 naming it, the others delivered', async () => {
    const journal = fileJournal();
    const { app, calls } = appWith(journal);
    const heavy = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`l${i}`, 'v'.repeat(4000)]));
    const res = await post(app, '/v1/alerts/alertmanager', amBody([amAlert('a1'), amAlert('a2', heavy)]), AM);
    expect(res.statusCode).toBe(413);
    const body = res.json();
    expect(body).toMatchObject({
      error: expect.stringMatching(
        /^alerts\[1\]: too large for one Temporal payload: \d+ bytes once cut, more than 262144; kept in the journal$/,
      ),
      field: 'alerts[1]',
      accepted: 2,
    });
    expect(body.results.map((r: { outcome: string }) => r.outcome)).toEqual(['accepted', 'oversized']);
    expect(calls).toHaveLength(1);
    const [kept] = await journal.list('oversized', 1);
    // The alert as received, cut at the journal's cap.
    expect(kept).toMatchObject({ route: 'r', cut: true, body: expect.stringContaining('"fingerprint":"a2"') });
    expect(kept?.body).toHaveLength(64 * 1024);
  });
});

describe('a journal that cannot write (disk full)', () => {
  const full: JsonLinesFs = {
    ...fsp,
    appendFile: async () => {
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    },
  };
  const unavailable = {
    error: 'the alert journal cannot be written (ENOSPC); retry',
  };

  test('a malformed body is answered 503 with Retry-After (the sender retries until it is kept), not 500', async () => {
    const { app } = appWith(fileJournal(full));
    const res = await post(app, '/v1/alerts/alertmanager', '{"version": "4", "alerts": [', AM);
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.json()).toEqual(unavailable);
  });

  test('an unrouted alert and a refused signature too', async () => {
    const { app } = appWith(fileJournal(full));
    const unrouted = await post(app, '/v1/alerts/alertmanager', amBody([amAlert('b1', { alertname: 'Other' })]), AM);
    expect([unrouted.statusCode, unrouted.json()]).toEqual([503, unavailable]);
    const now = Math.floor(Date.now() / 1000);
    const refused = await post(app, '/v1/alerts/generic', '{}', {
      'x-runbooks-timestamp': String(now),
      'x-runbooks-signature': signGeneric(Buffer.from('another key'), '{}', now),
    });
    expect([refused.statusCode, refused.json()]).toEqual([503, unavailable]);
  });

  test('what needs no journal is still delivered', async () => {
    const { app, calls } = appWith(fileJournal(full));
    const res = await post(app, '/v1/alerts/alertmanager', amBody([amAlert('c1')]), AM);
    expect(res.statusCode).toBe(200);
    expect(calls).toHaveLength(1);
  });
});

test('the new journal kinds can be listed', async () => {
  const journal = fileJournal();
  const { app } = appWith(journal);
  await journal.record({ kind: 'cut', source: 'generic', reason: 'long fields cut' });
  const res = await app.inject({ method: 'GET', url: '/v1/alerts/journal?kind=cut', headers: VIEWER });
  expect(res.json()).toMatchObject({ kind: 'cut', entries: [{ kind: 'cut', reason: 'long fields cut' }] });
});
