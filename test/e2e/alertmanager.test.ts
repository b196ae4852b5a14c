/**
 * Real clients end to end: Prometheus Alertmanager (alerts pushed with amtool) and Prometheus
 * (a rule on a target the test stops) deliver to the product's API; runs start, repeats join
 * them, resolutions reach them.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { SA } from '../../src/shared/constants';
import { statusQuery } from '../../src/shared/messages';
import type { RunStatus } from '../../src/shared/status';
import { startApiStack, TOKENS, type ApiStack } from '../support/api-stack';
import { startReceiver, type Receiver } from '../support/http-receiver';
import { startAlertmanager, startPrometheus, type Alertmanager, type Service } from '../support/monitoring';
import { libraryOf, runbookFromYaml } from '../support/runbook-worker';
import { connectTestEnv } from '../support/temporal';
import { waitFor } from '../support/wait';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

jest.setTimeout(120_000);

let env: TestWorkflowEnvironment;
let stack: ApiStack;
let target: Receiver;
let am: Alertmanager | undefined;
let prom: Service | undefined;

beforeAll(async () => {
  env = await connectTestEnv();
  target = await startReceiver();
  target.on('/restart', () => ({ status: 202, body: { restarted: true } }));
  target.on('/notices', () => ({ status: 200, body: 'ok' }));
  const runbook = (id: string) =>
    runbookFromYaml(`
id: ${id}
title: Restart a down service (${id})
service: \${{ params.service }}
params:
  service: { type: string }
steps:
  - id: approve
    approval: { message: "Restart \${{ params.service }}? \${{ alert.annotations.summary }}" }
  - id: restart
    action: http:request:send
    with: { method: POST, url: "${target.url}/restart", body: { service: "\${{ params.service }}" } }
`);
  stack = await startApiStack(env, libraryOf(runbook('e2e-amtool'), runbook('e2e-prometheus')), {
    webhookTargets: { default: { url: `${target.url}/notices` } },
    alerts: {
      journalDir: mkdtempSync(join(tmpdir(), 'alert-journal-')),
      coalesceMs: 1000,
      routes: [
        {
          id: 'amtool',
          match: { labels: { alertname: 'E2eServiceDown' } },
          runbook: 'e2e-amtool',
          params: { service: '${{ alert.labels.service }}' },
          owner: 'alertmanager',
        },
        {
          id: 'prom',
          match: { labels: { alertname: 'E2eTargetDown' }, severity: ['critical'] },
          runbook: 'e2e-prometheus',
          params: { service: '${{ alert.labels.service }}' },
          owner: 'alertmanager',
        },
      ],
    },
  });
});

afterAll(async () => {
  await prom?.stop();
  await am?.stop();
  await stack?.close();
  await target?.close();
  await env?.teardown();
});

async function runsOf(runbookId: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const wf of env.client.workflow.list({ query: `${SA.runbookId.name} = '${runbookId}'` }))
    ids.push(wf.workflowId);
  return ids;
}

function status(id: string): Promise<RunStatus> {
  return env.client.workflow.getHandle(id).query(statusQuery);
}

async function metric(name: string, labels: string): Promise<number> {
  const text = await (await fetch(`${stack.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && labels.split(',').every((p) => l.includes(p)));
  return line ? Number(line.split(' ').pop()) : 0;
}

test('amtool: an alert starts a run, repeats join it, resolving it reaches the run', async () => {
  am = await startAlertmanager({
    webhookUrl: `${stack.url}/v1/alerts/alertmanager`,
    token: TOKENS.alertmanager,
    repeatInterval: '2s',
  });
  const startsAt = new Date(Date.now() - 5000).toISOString();
  const labels = ['alertname=E2eServiceDown', 'service=checkout', 'severity=critical'];
  am.amtool(['alert', 'add', ...labels, '--annotation=summary=checkout is down', `--start=${startsAt}`]);

  const [id] = await waitFor(
    'a run of e2e-amtool',
    async () => {
      const ids = await runsOf('e2e-amtool');
      return ids.length > 0 ? ids : undefined;
    },
    { detail: () => am?.output() ?? '' },
  );
  const waiting = await waitFor('the run waiting for approval', async () => {
    const s = await status(id as string);
    return s.phase === 'waiting_approval' ? s : undefined;
  });
  expect(waiting.alert).toMatchObject({
    source: 'alertmanager',
    route: 'amtool',
    status: 'firing',
    labels: { service: 'checkout' },
  });
  expect(waiting.pendingApprovals[0]?.message).toBe('Restart checkout? checkout is down');

  // Alertmanager repeats the notification (repeat_interval 2s): recognised, joined, no second run.
  await waitFor(
    'a repeated notification',
    async () => (await metric('runbook_api_alerts_total', 'outcome="duplicate",source="alertmanager"')) >= 1,
    { detail: () => am?.output() ?? '' },
  );
  // The alert changes (new annotation): the run sees it.
  am.amtool(['alert', 'add', ...labels, '--annotation=summary=checkout is still down', `--start=${startsAt}`]);
  await waitFor(
    'the changed alert in the run',
    async () => (await status(id as string)).alert?.annotations.summary === 'checkout is still down',
  );
  expect(await runsOf('e2e-amtool')).toEqual([id]);

  // Resolve: the same alert with an end time now.
  am.amtool([
    'alert',
    'add',
    ...labels,
    '--annotation=summary=checkout is still down',
    `--start=${startsAt}`,
    `--end=${new Date().toISOString()}`,
  ]);
  const result = await env.client.workflow.getHandle(id as string).result();
  expect(result).toMatchObject({ phase: 'auto_resolved' });
  const s = await status(id as string);
  expect(s.alert).toMatchObject({ status: 'resolved', resolvedAt: expect.any(String) });
  expect(s.alert?.notifications).toBeGreaterThanOrEqual(2);
  expect(target.received.filter((r) => r.path === '/restart')).toHaveLength(0);
  expect(await runsOf('e2e-amtool')).toEqual([id]);
});

test('Prometheus: a scrape target goes down, the rule fires, a run starts; it comes back, the run resolves', async () => {
  am ??= await startAlertmanager({ webhookUrl: `${stack.url}/v1/alerts/alertmanager`, token: TOKENS.alertmanager });
  // The service Prometheus watches: a /metrics endpoint the test stops and starts again.
  let server: Server = createServer((_req, res) =>
    res.writeHead(200, { 'content-type': 'text/plain' }).end('checkout_requests_total 1\n'),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  prom = await startPrometheus({
    target: `127.0.0.1:${port}`,
    job: 'checkout',
    alertmanager: am.url,
    rule: {
      alert: 'E2eTargetDown',
      expr: 'up{job="checkout"} == 0',
      labels: { severity: 'critical', service: 'checkout' },
      annotations: { summary: 'checkout target is down' },
    },
  });
  await waitFor('Prometheus scraping the target', async () => {
    const r = (await (
      await fetch(`${prom?.url}/api/v1/query?query=${encodeURIComponent('up{job="checkout"}')}`)
    ).json()) as { data: { result: Array<{ value: [number, string] }> } };
    return r.data.result[0]?.value[1] === '1';
  });
  expect(await runsOf('e2e-prometheus')).toEqual([]);

  await new Promise<void>((r) => server.close(() => r()));
  server.closeAllConnections();
  const [id] = await waitFor(
    'a run of e2e-prometheus',
    async () => {
      const ids = await runsOf('e2e-prometheus');
      return ids.length > 0 ? ids : undefined;
    },
    { timeoutMs: 60_000, detail: () => `${prom?.output()}\n${am?.output()}` },
  );
  const waiting = await waitFor('the run waiting for approval', async () => {
    const s = await status(id as string);
    return s.phase === 'waiting_approval' ? s : undefined;
  });
  expect(waiting.alert).toMatchObject({
    labels: { alertname: 'E2eTargetDown', job: 'checkout', service: 'checkout' },
    annotations: { summary: 'checkout target is down' },
  });
  expect(waiting.alert?.links[0]?.url).toContain('/graph?g0.expr=');

  server = createServer((_req, res) =>
    res.writeHead(200, { 'content-type': 'text/plain' }).end('checkout_requests_total 2\n'),
  );
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  try {
    const result = await env.client.workflow.getHandle(id as string).result();
    expect(result).toMatchObject({ phase: 'auto_resolved' });
    expect(await runsOf('e2e-prometheus')).toEqual([id]);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
});
