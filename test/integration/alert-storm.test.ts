/**
 * Alert storms. 10,000 Alertmanager notifications for 1,000 distinct alerts, shuffled, 50 at a
 * time, one in ten on a new connection, sent to the standalone API process: exactly 1,000 runs,
 * none lost, no 4xx. Then again with the API killed (-9) and restarted in the middle, the sender
 * retrying 5xx and refused connections as Alertmanager does: still exactly 1,000 runs.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { freePort } from '../../src/platform/ports';
import { SA } from '../../src/shared/constants';
import { closeSenderConnections, deliver, pool, type SendResult } from '../support/alert-sender';
import { startApiProcess, type ApiProcess } from '../support/api-process';
import { makeWorkspace, type Workspace } from '../support/crash-processes';
import { createTestWorker, libraryOf, runbookFromYaml, type TestWorker } from '../support/runbook-worker';
import { connectTestEnv } from '../support/temporal';
import { waitFor } from '../support/wait';

jest.setTimeout(300_000);

const TOKEN = 'storm-alertmanager-token';
const ALERTS = 1000;
const REPEATS = 10;

let env: TestWorkflowEnvironment;
let ws: Workspace;
let worker: TestWorker;
let running: Promise<void>;
let api: ApiProcess | undefined;
let port: number;

const runbookYaml = (id: string): string => `
id: ${id}
title: Storm ${id}
params:
  instance: { type: string }
steps:
  - id: settle
    wait: 1s
`;

beforeAll(async () => {
  env = await connectTestEnv();
  ws = makeWorkspace('alert-storm');
  ws.writeRunbook('storm-a.yaml', runbookYaml('storm-a'));
  ws.writeRunbook('storm-b.yaml', runbookYaml('storm-b'));
  worker = await createTestWorker(env, {
    library: libraryOf(runbookFromYaml(runbookYaml('storm-a')), runbookFromYaml(runbookYaml('storm-b'))),
  });
  running = worker.worker.run();
  writeFileSync(
    ws.configPath,
    [
      'auth:',
      '  tokens:',
      `    - { identity: alertmanager, roles: [alerts], token: ${TOKEN} }`,
      '    - { identity: viewer, roles: [viewer], token: storm-viewer-token }',
      'alerts:',
      '  routes:',
      ...['a', 'b'].map(
        (x) =>
          `    - { id: storm-${x}, match: { labels: { alertname: Storm${x.toUpperCase()} } }, runbook: storm-${x}, params: { instance: "\${{ alert.labels.instance }}" }, owner: alertmanager }`,
      ),
      '',
    ].join('\n'),
  );
  port = await freePort();
});

afterAll(async () => {
  closeSenderConnections();
  await api?.kill9();
  worker?.worker.shutdown();
  await running;
  ws?.remove();
  await env?.teardown();
});

async function startApi(): Promise<ApiProcess> {
  return startApiProcess({
    address: env.address,
    port,
    env: {
      RUNBOOKS_CONFIG: ws.configPath,
      RUNBOOKS_DIR: ws.runbooksDir,
      RUNBOOKS_TASK_QUEUE: worker.taskQueue,
      RUNBOOKS_DATA_DIR: join(ws.dir, 'data'),
    },
  });
}

/** The storm: every alert REPEATS times (some repeats with a changed annotation), shuffled. */
function notifications(alertname: string, startsAt: string): Array<{ payload: unknown; newConnection: boolean }> {
  const out: Array<{ payload: unknown; newConnection: boolean }> = [];
  for (let i = 0; i < ALERTS; i++) {
    const fingerprint = `${alertname.toLowerCase()}${i.toString(16).padStart(10, '0')}`;
    for (let r = 0; r < REPEATS; r++) {
      out.push({
        newConnection: out.length % 10 === 0,
        payload: {
          version: '4',
          groupKey: `{}:{alertname="${alertname}",instance="i-${i}"}`,
          truncatedAlerts: 0,
          status: 'firing',
          receiver: 'runbooks',
          groupLabels: { alertname },
          commonLabels: { alertname },
          commonAnnotations: {},
          externalURL: 'http://alertmanager:9093',
          alerts: [
            {
              status: 'firing',
              labels: { alertname, instance: `i-${i}`, severity: 'warning' },
              annotations: { summary: `instance ${i} is unhappy`, value: String(r % 3) },
              startsAt,
              endsAt: '0001-01-01T00:00:00Z',
              generatorURL: 'http://prometheus:9090/graph',
              fingerprint,
            },
          ],
        },
      });
    }
  }
  // Fisher-Yates with a fixed seed: repeats interleave with first notifications, reproducibly.
  let seed = 42;
  const rand = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j] as (typeof out)[number], out[i] as (typeof out)[number]];
  }
  return out;
}

async function countRuns(runbookId: string): Promise<number> {
  return (await env.client.workflow.count(`${SA.runbookId.name} = '${runbookId}'`)).count;
}

function workflowIdsOf(results: SendResult[]): Set<string> {
  const ids = new Set<string>();
  for (const r of results)
    for (const a of (JSON.parse(r.body) as { results: Array<{ workflowId: string }> }).results) ids.add(a.workflowId);
  return ids;
}

async function expectExactlyOneRunPerAlert(runbookId: string, results: SendResult[]): Promise<void> {
  const statuses = results.map((r) => r.status);
  expect(statuses.filter((s) => s >= 400 && s < 500)).toEqual([]);
  expect(statuses.filter((s) => s !== 200)).toEqual([]);
  const ids = workflowIdsOf(results);
  expect(ids.size).toBe(ALERTS);
  // Visibility is eventually consistent: wait for it to settle at the expected count, then check none beyond.
  await waitFor(`${ALERTS} runs of ${runbookId} in visibility`, async () => (await countRuns(runbookId)) === ALERTS, {
    timeoutMs: 60_000,
    detail: () => api?.output().slice(-2000) ?? '',
  });
  // Every one of them exists (none lost): describe each.
  const missing: string[] = [];
  await pool(
    [...ids].map((id) => async () => {
      await env.client.workflow
        .getHandle(id)
        .describe()
        .catch(() => missing.push(id));
    }),
    20,
  );
  expect(missing).toEqual([]);
}

test('10,000 notifications for 1,000 alerts: exactly 1,000 runs, none lost, no 4xx', async () => {
  api = await startApi();
  const storm = notifications('StormA', new Date().toISOString());
  const results = await pool(
    storm.map(
      (n) => () => deliver(`${api?.url}/v1/alerts/alertmanager`, TOKEN, n.payload, { newConnection: n.newConnection }),
    ),
    50,
  );
  await expectExactlyOneRunPerAlert('storm-a', results);
  const metrics = await (await fetch(`${api.url}/metrics`)).text();
  // Most repeats never reached Temporal: recognised as already accepted, or shared a call in flight.
  const dup = Number(/runbook_api_alerts_total\{[^}]*outcome="duplicate"[^}]*\} (\d+)/.exec(metrics)?.[1] ?? 0);
  expect(dup).toBeGreaterThan(0);
});

test('the same storm with the API killed and restarted in the middle: still exactly 1,000 runs', async () => {
  const storm = notifications('StormB', new Date().toISOString());
  let sent = 0;
  const restarted = (async () => {
    await waitFor('a third of the storm sent', () => sent >= storm.length / 3, { timeoutMs: 120_000 });
    await api?.kill9();
    api = await startApi();
  })();
  const url = `http://127.0.0.1:${port}/v1/alerts/alertmanager`;
  const results = await pool(
    storm.map((n) => async () => {
      const r = await deliver(url, TOKEN, n.payload, { newConnection: n.newConnection });
      sent += 1;
      return r;
    }),
    50,
  );
  await restarted;
  expect(results.filter((r) => r.attempts > 1).length).toBeGreaterThan(0); // the restart was felt
  await expectExactlyOneRunPerAlert('storm-b', results);
});
