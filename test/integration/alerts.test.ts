/**
 * Alert webhooks against a real Temporal and a real worker: start, join, resolve; journal of
 * what did not become a run; PagerDuty and generic signatures; 503 when Temporal is unreachable;
 * hostile input (a body too large, a notification of hundreds of alerts with few Temporal calls
 * allowed, a label against a route regex that backtracks).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHmac } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Client, Connection } from '@temporalio/client';
import { buildProductApi } from '../../src/api/wire';
import type { RunbookLibrary } from '../../src/runbooks/library';
import { signGeneric } from '../../src/alerts/signature';
import type { RunStatus } from '../../src/shared/status';
import { startApiStack, TOKENS, type ApiStack } from '../support/api-stack';
import { startReceiver, type Receiver } from '../support/http-receiver';
import { libraryOf, runbookFromYaml } from '../support/runbook-worker';
import { connectTestEnv } from '../support/temporal';
import { waitFor } from '../support/wait';
import type { RunResult } from '../../src/shared/status';

let env: TestWorkflowEnvironment;
let stack: ApiStack;
let target: Receiver;
let library: RunbookLibrary;
const PD_SECRET = 'pd-signing-secret-for-tests';
const GENERIC_SECRET = 'generic-hmac-key-for-tests';
const journalDir = mkdtempSync(join(tmpdir(), 'alert-journal-'));

async function post(
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  const res = await fetch(`${stack.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: raw,
  });
  const text = await res.text();
  return {
    status: res.status,
    body: text.startsWith('{') ? (JSON.parse(text) as Record<string, unknown>) : { text },
    headers: res.headers,
  };
}

async function get(path: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${stack.url}${path}`, { headers: { authorization: `Bearer ${TOKENS.viewer}` } });
  return (await res.json()) as Record<string, unknown>;
}

const AM = { authorization: `Bearer ${TOKENS.alertmanager}` };

/** An Alertmanager webhook (payload version 4) carrying the given alerts. */
function amPayload(alerts: Array<Record<string, unknown>>): Record<string, unknown> {
  const firing = alerts.some((a) => a.status === 'firing');
  return {
    version: '4',
    groupKey: '{}:{alertname="ServiceDown"}',
    truncatedAlerts: 0,
    status: firing ? 'firing' : 'resolved',
    receiver: 'runbooks',
    groupLabels: { alertname: 'ServiceDown' },
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://alertmanager.example:9093',
    alerts,
  };
}

function amAlert(o: {
  status?: 'firing' | 'resolved';
  service?: string;
  fingerprint: string;
  startsAt: string;
  summary?: string;
  alertname?: string;
}): Record<string, unknown> {
  return {
    status: o.status ?? 'firing',
    labels: { alertname: o.alertname ?? 'ServiceDown', service: o.service ?? 'checkout', severity: 'critical' },
    annotations: { summary: o.summary ?? `${o.service ?? 'checkout'} is down` },
    startsAt: o.startsAt,
    endsAt: o.status === 'resolved' ? new Date().toISOString() : '0001-01-01T00:00:00Z',
    generatorURL: 'http://prometheus.example:9090/graph?g0.expr=up%3D%3D0',
    fingerprint: o.fingerprint,
  };
}

async function status(workflowId: string): Promise<RunStatus> {
  const r = await get(`/v1/runs/${workflowId}`);
  return r.run as RunStatus;
}

/** Polls the run's status over the API until `ok` holds; a run not yet readable counts as not yet. */
async function until(workflowId: string, ok: (s: RunStatus) => boolean): Promise<RunStatus> {
  let last: RunStatus | undefined;
  return waitFor(
    `run ${workflowId} to reach a status where ${ok.toString()}`,
    async () => {
      last = await status(workflowId);
      return last && ok(last) && last;
    },
    { detail: () => `last status: ${JSON.stringify(last)?.slice(0, 1000)}` },
  );
}

/** Waits for the run to close; its result. */
function finished(workflowId: string): Promise<RunResult> {
  return env.client.workflow.getHandle(workflowId).result() as Promise<RunResult>;
}

beforeAll(async () => {
  env = await connectTestEnv();
  target = await startReceiver();
  target.on('/health', () => ({ status: 200, body: { ok: true } }));
  target.on('/restart', () => ({ status: 202, body: { restarted: true } }));
  target.on('/oncall', () => ({ status: 200, body: 'ok' }));
  const restart = runbookFromYaml(`
id: alert-restart
title: Restart on alert
service: \${{ params.service }}
params:
  service: { type: string }
  namespace: { type: string, default: production }
alertResolved: { notify: oncall }
steps:
  - id: probe
    action: http:endpoint:check
    with: { url: "${target.url}/health" }
  - id: approve
    approval: { message: "Restart \${{ params.service }}? \${{ alert.annotations.summary }}" }
  - id: restart
    action: http:request:send
    with: { method: POST, url: "${target.url}/restart", body: { service: "\${{ params.service }}", alert: "\${{ alert.labels.alertname }}" } }
`);
  const finish = runbookFromYaml(`
id: alert-finish
title: Report even when resolved
params:
  service: { type: string }
alertResolved: { action: finish }
steps:
  - id: approve
    approval: { message: "Report on \${{ params.service }}?" }
  - id: report
    action: http:request:send
    with: { method: POST, url: "${target.url}/restart", body: { report: "\${{ params.service }}" } }
`);
  const quick = runbookFromYaml(`
id: alert-quick
title: Done at once
params:
  instance: { type: string }
steps:
  - id: note
    wait: 1s
`);
  library = libraryOf(restart, finish, quick);
  stack = await startApiStack(env, library, {
    webhookTargets: { oncall: { url: `${target.url}/oncall` } },
    alerts: {
      journalDir,
      coalesceMs: 1000,
      pagerdutySecret: Buffer.from(PD_SECRET),
      genericSecret: Buffer.from(GENERIC_SECRET),
      routes: [
        {
          id: 'bulk',
          match: { labels: { alertname: 'Bulk' } },
          runbook: 'alert-quick',
          params: { instance: '${{ alert.labels.instance }}' },
          owner: 'alert-bot',
        },
        {
          // A plausible pattern that made RegExp backtrack for seconds on a 35-character label.
          id: 'regex',
          match: { labels: { alertname: 'Regex' }, labelsRegex: { instance: '(a+)+b|(x+x+)+y' } },
          runbook: 'alert-quick',
          params: { instance: '${{ alert.labels.instance }}' },
          owner: 'alert-bot',
        },
        {
          id: 'report',
          match: { labels: { alertname: 'Report' } },
          runbook: 'alert-finish',
          params: { service: '${{ alert.labels.service }}' },
          owner: 'alert-bot',
        },
        {
          id: 'service-down',
          match: { labelsRegex: { alertname: 'ServiceDown|PagerDuty.*' }, severity: ['critical'] },
          runbook: 'alert-restart',
          params: { service: '${{ alert.labels.service }}', namespace: "${{ default(alert.labels.namespace, '') }}" },
          owner: 'alert-bot',
        },
        {
          id: 'pd',
          match: { source: ['pagerduty'] },
          runbook: 'alert-restart',
          params: { service: '${{ alert.labels.service }}' },
          owner: 'alert-bot',
        },
        {
          id: 'generic',
          match: { source: ['generic'] },
          runbook: 'alert-restart',
          params: { service: '${{ alert.labels.service }}' },
          owner: 'alert-bot',
        },
      ],
    },
  });
});

afterAll(async () => {
  await stack?.close();
  await target?.close();
  await env?.teardown();
});

test('a firing alert starts one run; repeats join it; resolving it stops the run before its change', async () => {
  const startsAt = new Date(Date.now() - 60_000).toISOString();
  const first = await post(
    '/v1/alerts/alertmanager',
    amPayload([amAlert({ fingerprint: 'aaaa000000000001', startsAt })]),
    AM,
  );
  expect(first.status).toBe(200);
  const [r] = first.body.results as Array<{ outcome: string; workflowId: string; route: string }>;
  expect(r).toMatchObject({
    outcome: 'accepted',
    route: 'service-down',
    workflowId: expect.stringMatching(/^alert-service-down-[0-9a-f]{24}$/),
  });
  const id = (r as { workflowId: string }).workflowId;

  const waiting = await until(id, (s) => s.phase === 'waiting_approval');
  expect(waiting.trigger).toMatchObject({ source: 'alert', requestedBy: 'alert-bot' });
  expect(waiting.params).toEqual({ service: 'checkout', namespace: 'production' });
  expect(waiting.alert).toMatchObject({
    source: 'alertmanager',
    route: 'service-down',
    status: 'firing',
    notifications: 1,
    labels: { service: 'checkout' },
  });
  expect(waiting.alert?.links).toEqual([
    { name: 'source', url: 'http://prometheus.example:9090/graph?g0.expr=up%3D%3D0' },
  ]);
  expect(waiting.pendingApprovals[0]?.message).toBe('Restart checkout? checkout is down');

  // The identical notification again (Alertmanager's repeat): recognised without a new signal.
  const dup = await post(
    '/v1/alerts/alertmanager',
    amPayload([amAlert({ fingerprint: 'aaaa000000000001', startsAt })]),
    AM,
  );
  expect(dup.body.results).toEqual([expect.objectContaining({ outcome: 'duplicate', workflowId: id })]);
  // A repeat with new content joins the same run: coalesced (the run knows it fires), its content
  // delivered when the coalescing window (1 s here) ends, counting the repeat answered before it.
  const again = await post(
    '/v1/alerts/alertmanager',
    amPayload([amAlert({ fingerprint: 'aaaa000000000001', startsAt, summary: 'still down' })]),
    AM,
  );
  expect(again.body.results).toEqual([expect.objectContaining({ outcome: 'coalesced', workflowId: id })]);
  await until(id, (s) => s.alert?.annotations.summary === 'still down');
  expect((await status(id)).alert?.notifications).toBe(3);

  const resolved = await post(
    '/v1/alerts/alertmanager',
    amPayload([amAlert({ status: 'resolved', fingerprint: 'aaaa000000000001', startsAt })]),
    AM,
  );
  expect(resolved.body.results).toEqual([
    expect.objectContaining({ outcome: 'accepted', workflowId: id, status: 'resolved' }),
  ]);
  expect(await finished(id)).toMatchObject({ phase: 'auto_resolved' });
  const s = await status(id);
  expect(s.phase).toBe('auto_resolved');
  expect(s.alert).toMatchObject({ status: 'resolved', notifications: 4, resolvedAt: expect.any(String) });
  expect(s.steps.map((x) => [x.id, x.state])).toEqual([
    ['probe', 'succeeded'],
    ['approve', 'skipped'],
    ['restart', 'skipped'],
  ]);
  expect(target.received.filter((x) => x.path === '/restart')).toHaveLength(0);
  const notice = target.received.find((x) => x.path === '/oncall');
  expect(notice && JSON.parse(notice.body)).toMatchObject({ text: expect.stringContaining('alert resolved') });

  // Alertmanager repeats the firing after the run ended: nothing new starts.
  const late = await post(
    '/v1/alerts/alertmanager',
    amPayload([amAlert({ fingerprint: 'aaaa000000000001', startsAt, summary: 'late repeat' })]),
    AM,
  );
  expect(late.body.results).toEqual([expect.objectContaining({ outcome: 'run-ended', workflowId: id })]);
  // A new firing (a new start time) is a new episode: a new run.
  const refire = await post(
    '/v1/alerts/alertmanager',
    amPayload([amAlert({ fingerprint: 'aaaa000000000001', startsAt: new Date().toISOString() })]),
    AM,
  );
  const [r2] = refire.body.results as Array<{ outcome: string; workflowId: string }>;
  expect(r2?.outcome).toBe('accepted');
  expect(r2?.workflowId).not.toBe(id);
  await env.client.workflow.getHandle((r2 as { workflowId: string }).workflowId).cancel();
});

test('approved before the resolution: the change is made; alertResolved finish runs to the end', async () => {
  const startsAt = new Date().toISOString();
  const alert = {
    ...amAlert({ fingerprint: 'bbbb000000000002', startsAt, alertname: 'Report' }),
    silenceURL: 'http://grafana/silence',
    dashboardURL: 'http://grafana/d/1',
  };
  const r = await post('/v1/alerts/grafana', { status: 'firing', receiver: 'runbooks', orgId: 1, alerts: [alert] }, AM);
  expect(r.status).toBe(200);
  const id = (r.body.results as Array<{ workflowId: string }>)[0]?.workflowId as string;
  await until(id, (s) => s.phase === 'waiting_approval');
  await post(
    '/v1/alerts/grafana',
    { status: 'resolved', alerts: [{ ...alert, status: 'resolved', endsAt: new Date().toISOString() }] },
    AM,
  );
  await until(id, (s) => s.alert?.status === 'resolved');
  const res = await fetch(`${stack.url}/v1/runs/${id}/approvals`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKENS.bob}`, 'content-type': 'application/json' },
    body: JSON.stringify({ stepId: 'approve', decision: 'approve' }),
  });
  expect(res.status).toBe(200);
  await finished(id);
  const s = await status(id);
  expect(s.phase).toBe('succeeded');
  expect(s.alert?.links.map((l) => l.name)).toEqual(['source', 'silence', 'dashboard']);
  expect(target.received.filter((x) => x.path === '/restart').map((x) => JSON.parse(x.body))).toContainEqual({
    report: 'checkout',
  });
});

test('a resolution that arrives first reserves the run: it does nothing, and a late firing starts nothing', async () => {
  const startsAt = new Date().toISOString();
  const resolvedFirst = await post(
    '/v1/alerts/alertmanager',
    amPayload([amAlert({ status: 'resolved', fingerprint: 'cccc000000000003', startsAt })]),
    AM,
  );
  const id = (resolvedFirst.body.results as Array<{ workflowId: string }>)[0]?.workflowId as string;
  await finished(id);
  const s = await status(id);
  expect(s.phase).toBe('auto_resolved');
  expect(s.steps.every((x) => x.state === 'skipped')).toBe(true);
  const firing = await post(
    '/v1/alerts/alertmanager',
    amPayload([amAlert({ fingerprint: 'cccc000000000003', startsAt })]),
    AM,
  );
  expect(firing.body.results).toEqual([expect.objectContaining({ outcome: 'run-ended', workflowId: id })]);
});

test('unrouted and malformed alerts are answered and kept in the journal', async () => {
  const unrouted = await post(
    '/v1/alerts/alertmanager',
    amPayload([
      {
        ...amAlert({ fingerprint: 'dddd000000000004', startsAt: new Date().toISOString(), alertname: 'DiskFull' }),
        labels: { alertname: 'DiskFull', severity: 'warning' },
      },
    ]),
    AM,
  );
  expect(unrouted.status).toBe(200);
  expect(unrouted.body.results).toEqual([expect.objectContaining({ outcome: 'unrouted' })]);
  const j = await get('/v1/alerts/journal?kind=unrouted');
  expect((j.entries as Array<{ alert: { fingerprint: string } }>)[0]?.alert.fingerprint).toBe('dddd000000000004');

  const notJson = await post('/v1/alerts/alertmanager', '{"version": "4", "alerts": [', AM);
  expect(notJson.status).toBe(400);
  expect(notJson.body).toMatchObject({ field: 'body', error: expect.stringContaining('not JSON') });
  const noStart = await post(
    '/v1/alerts/alertmanager',
    amPayload([{ ...amAlert({ fingerprint: 'eeee000000000005', startsAt: 'yesterday' }) }]),
    AM,
  );
  expect(noStart).toMatchObject({ status: 400, body: { field: 'alerts[0].startsAt' } });
  const wrongVersion = await post(
    '/v1/alerts/alertmanager',
    { ...amPayload([amAlert({ fingerprint: 'ffff000000000006', startsAt: new Date().toISOString() })]), version: '3' },
    AM,
  );
  expect(wrongVersion).toMatchObject({ status: 400, body: { field: 'version' } });
  const kept = (await get('/v1/alerts/journal?kind=malformed&limit=3')).entries as Array<{
    body: string;
    reason: string;
    source: string;
  }>;
  expect(kept.map((e) => e.reason)).toEqual([
    expect.stringMatching(/^version: /),
    expect.stringMatching(/^alerts\[0\]\.startsAt: /),
    expect.stringMatching(/^body: not JSON/),
  ]);
  expect(kept[2]?.body).toBe('{"version": "4", "alerts": [');
  // On disk, one JSON line per entry.
  expect(readFileSync(join(journalDir, 'malformed.jsonl'), 'utf8').trim().split('\n')).toHaveLength(3);

  expect(
    (await post('/v1/alerts/alertmanager', amPayload([]), { authorization: `Bearer ${TOKENS.viewer}` })).status,
  ).toBe(403);
  expect((await post('/v1/alerts/alertmanager', amPayload([]))).status).toBe(401);
});

test('PagerDuty: signature checked on the raw body, redeliveries recognised, other events ignored', async () => {
  const event = (type: string, id: string) => ({
    event: {
      id,
      event_type: type,
      resource_type: 'incident',
      occurred_at: new Date().toISOString(),
      agent: null,
      client: null,
      data: {
        id: 'PT4KHLK',
        type: 'incident',
        html_url: 'https://acme.pagerduty.com/incidents/PT4KHLK',
        number: 1234,
        status: 'triggered',
        incident_key: 'k1',
        created_at: '2026-11-23T10:00:00Z',
        title: 'checkout down',
        urgency: 'high',
        service: { id: 'PIJ90N7', summary: 'payments' },
      },
    },
  });
  const sign = (raw: string) => `v1=${createHmac('sha256', PD_SECRET).update(raw).digest('hex')}`;
  const raw = JSON.stringify(event('incident.triggered', 'ev-1'));
  expect(
    await post('/v1/alerts/pagerduty', raw, { 'x-pagerduty-signature': 'v1=00ff', 'x-webhook-id': 'wh-1' }),
  ).toMatchObject({ status: 401, body: { field: 'signature' } });
  // A re-serialised body (spaces) does not match the signature of the original.
  expect(
    (
      await post('/v1/alerts/pagerduty', JSON.stringify(JSON.parse(raw), null, 1), {
        'x-pagerduty-signature': sign(raw),
      })
    ).status,
  ).toBe(401);
  const ok = await post('/v1/alerts/pagerduty', raw, {
    'x-pagerduty-signature': `v1=deadbeef, ${sign(raw)}`,
    'x-webhook-id': 'wh-1',
  });
  expect(ok.status).toBe(200);
  const id = (ok.body.results as Array<{ workflowId: string }>)[0]?.workflowId as string;
  const s = await until(id, (x) => x.phase === 'waiting_approval');
  expect(s.alert).toMatchObject({
    source: 'pagerduty',
    fingerprint: 'PT4KHLK',
    startsAt: '2026-11-23T10:00:00.000Z',
    labels: { service: 'payments', urgency: 'high' },
  });
  expect(s.params.service).toBe('payments');
  expect(
    await post('/v1/alerts/pagerduty', raw, { 'x-pagerduty-signature': sign(raw), 'x-webhook-id': 'wh-1' }),
  ).toMatchObject({ status: 200, body: { duplicate: 'wh-1' } });
  const ack = JSON.stringify(event('incident.acknowledged', 'ev-2'));
  expect(
    await post('/v1/alerts/pagerduty', ack, { 'x-pagerduty-signature': sign(ack), 'x-webhook-id': 'wh-2' }),
  ).toMatchObject({ status: 200, body: { ignored: expect.stringContaining('incident.acknowledged') } });
  const resolve = JSON.stringify(event('incident.resolved', 'ev-3'));
  await post('/v1/alerts/pagerduty', resolve, { 'x-pagerduty-signature': sign(resolve), 'x-webhook-id': 'wh-3' });
  await finished(id);
  expect((await status(id)).phase).toBe('auto_resolved');
});

test('generic: HMAC over timestamp and body; stale or wrong signatures refused', async () => {
  const body = JSON.stringify({
    status: 'firing',
    startsAt: new Date().toISOString(),
    labels: { alertname: 'QueueBacklog', service: 'billing' },
    annotations: { summary: 'backlog' },
  });
  const now = Math.floor(Date.now() / 1000);
  const key = Buffer.from(GENERIC_SECRET);
  expect(
    await post('/v1/alerts/generic', body, {
      'x-runbooks-timestamp': String(now),
      'x-runbooks-signature': signGeneric(Buffer.from('wrong-key-wrong'), body, now),
    }),
  ).toMatchObject({ status: 401 });
  expect(
    await post('/v1/alerts/generic', body, {
      'x-runbooks-timestamp': String(now - 3600),
      'x-runbooks-signature': signGeneric(key, body, now - 3600),
    }),
  ).toMatchObject({ status: 401, body: { error: expect.stringContaining('300 s') } });
  const ok = await post('/v1/alerts/generic', body, {
    'x-runbooks-timestamp': String(now),
    'x-runbooks-signature': signGeneric(key, body, now),
  });
  expect(ok.status).toBe(200);
  const id = (ok.body.results as Array<{ workflowId: string }>)[0]?.workflowId as string;
  const s = await until(id, (x) => x.phase === 'waiting_approval');
  expect(s.alert).toMatchObject({
    source: 'generic',
    fingerprint: expect.stringMatching(/^[0-9a-f]{16}$/),
    labels: { service: 'billing' },
  });
  await env.client.workflow.getHandle(id).cancel();
  const bad = JSON.stringify({ status: 'firing', labels: {} });
  expect(
    await post('/v1/alerts/generic', bad, {
      'x-runbooks-timestamp': String(now),
      'x-runbooks-signature': signGeneric(key, bad, now),
    }),
  ).toMatchObject({ status: 400 });
});

test('Temporal unreachable: 503 with Retry-After, so the sender retries', async () => {
  const dead = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });
  const { app } = buildProductApi({ client: dead, config: stack.config, library: () => library, deadlineMs: 1500 });
  try {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/alerts/alertmanager',
      headers: { ...AM, 'content-type': 'application/json' },
      payload: JSON.stringify(
        amPayload([amAlert({ fingerprint: 'abab000000000007', startsAt: new Date().toISOString() })]),
      ),
    });
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(JSON.parse(res.body)).toMatchObject({ error: expect.stringContaining('Temporal is unreachable') });
  } finally {
    await app.close();
  }
});

describe('hostile input', () => {
  test('one notification of 300 alerts with maxInFlight 4: one 200, every alert a run', async () => {
    const config = { ...stack.config, alerts: { ...stack.config.alerts, maxInFlight: 4 } };
    const { app } = buildProductApi({ client: env.client, config, library: () => library });
    try {
      const startsAt = new Date().toISOString();
      const alerts = Array.from({ length: 300 }, (_, i) => ({
        ...amAlert({ fingerprint: `bulk${i.toString(16).padStart(12, '0')}`, startsAt, alertname: 'Bulk' }),
        labels: { alertname: 'Bulk', instance: `i-${i}` },
      }));
      const res = await app.inject({
        method: 'POST',
        url: '/v1/alerts/alertmanager',
        headers: { ...AM, 'content-type': 'application/json' },
        payload: JSON.stringify(amPayload(alerts)),
      });
      expect(res.statusCode).toBe(200);
      const results = (JSON.parse(res.body) as { results: Array<{ outcome: string; workflowId: string }> }).results;
      expect(results.filter((r) => r.outcome === 'accepted')).toHaveLength(300);
      const ids = new Set(results.map((r) => r.workflowId));
      expect(ids.size).toBe(300);
      // Temporal holds every one of them.
      const missing: string[] = [];
      for (const id of ids)
        await env.client.workflow
          .getHandle(id)
          .describe()
          .catch(() => missing.push(id));
      expect(missing).toEqual([]);
    } finally {
      await app.close();
    }
  });

  test('a body over 4 MiB: 413 with a JSON error over real HTTP, its head kept in the journal', async () => {
    const alert = { ...amAlert({ fingerprint: 'abcd000000000008', startsAt: new Date().toISOString() }) };
    const huge = JSON.stringify(amPayload([{ ...alert, annotations: { dump: 'x'.repeat(5 * 1024 * 1024) } }]));
    const res = await post('/v1/alerts/alertmanager', huge, AM);
    expect(res.status).toBe(413);
    expect(res.body).toEqual({
      error: `body: the body is ${huge.length} bytes; an alert webhook takes at most 4194304; its head is kept in the journal`,
      field: 'body',
    });
    const [kept] = (await get('/v1/alerts/journal?kind=oversized&limit=1')).entries as Array<{ body: string }>;
    expect(huge.startsWith(kept?.body ?? '-')).toBe(true);
  });

  test('a label against a route regex that backtracks is answered at once, routed or not', async () => {
    const startsAt = new Date().toISOString();
    const regexAlert = (fingerprint: string, instance: string) => ({
      ...amAlert({ fingerprint, startsAt, alertname: 'Regex' }),
      labels: { alertname: 'Regex', instance },
    });
    const res = await post(
      '/v1/alerts/alertmanager',
      amPayload([regexAlert('feed000000000009', `${'a'.repeat(35)}c`), regexAlert('feed00000000000a', 'aaab')]),
      AM,
    );
    expect(res.status).toBe(200);
    expect((res.body.results as Array<{ outcome: string; route?: string }>).map((r) => [r.outcome, r.route])).toEqual([
      ['unrouted', undefined],
      ['accepted', 'regex'],
    ]);
  });
});
