/**
 * Both metrics outputs, the API's and the worker's (ours plus the Temporal SDK's), after real
 * runs, pass `promtool check metrics` from Debian's prometheus package.
 */
import { spawnSync } from 'node:child_process';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { freePort } from '../../src/platform/ports';
import { startWorkerMetricsServer } from '../../src/worker/metrics-server';
import { sdkTelemetry } from '../../src/worker/telemetry';
import { startApiStack, TOKENS, type ApiStack } from '../support/api-stack';
import { startReceiver, type Receiver } from '../support/http-receiver';
import { libraryOf, runbookFromYaml } from '../support/runbook-worker';
import { testAddress } from '../support/temporal';
import { waitFor } from '../support/wait';

let env: TestWorkflowEnvironment;
let stack: ApiStack;
let target: Receiver;
let metricsServer: Server;

function promtool(text: string): { status: number | null; output: string } {
  const which = spawnSync('sh', ['-c', 'command -v promtool']);
  if (which.status !== 0)
    throw new Error('promtool is missing: `npm test` installs it (Debian package prometheus) in its pretest step');
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

beforeAll(async () => {
  const sdkPort = await freePort();
  Runtime.install({
    logger: new DefaultLogger('WARN'),
    shutdownSignals: [],
    telemetryOptions: sdkTelemetry(sdkPort),
  });
  env = await TestWorkflowEnvironment.createFromExistingServer({ address: testAddress() });
  target = await startReceiver();
  target.on('/health', () => ({ status: 200, body: 'ok' }));
  const rb = runbookFromYaml(`
id: metrics-demo
title: Metrics demo
steps:
  - id: probe
    action: http:endpoint:check
    with: { url: "${target.url}/health" }
`);
  stack = await startApiStack(env, libraryOf(rb));
  metricsServer = await startWorkerMetricsServer({
    registry: stack.worker.metrics.registry,
    port: 0,
    host: '127.0.0.1',
    sdkMetricsUrl: `http://127.0.0.1:${sdkPort}/metrics`,
  });
  const res = await fetch(`${stack.url}/v1/runs`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKENS.alice}`, 'content-type': 'application/json' },
    body: JSON.stringify({ runbook: 'metrics-demo' }),
  });
  const { workflowId } = (await res.json()) as { workflowId: string };
  await env.client.workflow.getHandle(workflowId).result();
  // The in-progress gauge reads visibility, which lags the run's close by a moment.
  await waitFor('visibility to show the run closed', async () => {
    const { count } = await env.client.workflow.count(`WorkflowId = '${workflowId}' AND ExecutionStatus = 'Running'`);
    return count === 0;
  });
});

afterAll(async () => {
  metricsServer?.close();
  await stack?.close();
  await target?.close();
  await env?.teardown();
});

test('the API /metrics passes promtool and counts the run started', async () => {
  const text = await (await fetch(`${stack.url}/metrics`)).text();
  expect(text).toMatch(/runbook_api_runs_started_total\{runbook="metrics-demo",trigger="api",dry_run="false"\} 1/);
  expect(text).toMatch(/runbook_runs_in_progress\{runbook="metrics-demo"\} 0/);
  const r = promtool(text);
  expect(r.output).toBe('');
  expect(r.status).toBe(0);
});

test('the worker /metrics holds product and SDK metrics and passes promtool', async () => {
  const { port } = metricsServer.address() as AddressInfo;
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  expect(text).toMatch(/runbook_runs_started_total\{runbook="metrics-demo",trigger="api"\} 1/);
  expect(text).toMatch(/runbook_executions_total\{runbook="metrics-demo"\} 1/);
  expect(text).toMatch(/runbook_runs_finished_total\{runbook="metrics-demo",trigger="api",outcome="succeeded"\} 1/);
  expect(text).toMatch(/runbook_step_duration_seconds_count\{action="http:endpoint:check",outcome="success"\} 1/);
  expect(text).toMatch(/^temporal_\w+/m); // the SDK's own
  const r = promtool(text);
  expect(r.output).toBe('');
  expect(r.status).toBe(0);
});
