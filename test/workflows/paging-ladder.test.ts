/**
 * The kit's paging ladder over hours, in seconds, on the time-skipping test server with the
 * seeds' default rules: nobody acknowledges a sev1 (primary, backup at 15m, manager at 2h,
 * executive at 4h); an acknowledgement at 5m stops the backup's page but not the 30-minute
 * escalation; a resolution stops the rest; a severity change re-plans from the opening time.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { loadConfig } from '../../src/config/load';
import { uniqueQueue } from '../support/temporal';
import { createTimeSkippingEnv } from '../support/time-skipping';
import { ackSignal, pagesQuery, resolveSignal, severitySignal } from './kit/paging-workflow';

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;
const policy = loadConfig({ RUNBOOKS_CONFIG: '' }, process.cwd(), { tokens: false }).incidents;
const M = 60_000;

beforeAll(async () => {
  env = await createTimeSkippingEnv();
  const noop = (): void => undefined;
  bundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('./kit/paging-workflow'),
    logger: { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: noop },
  });
});
afterAll(() => env?.teardown());

async function ladder(
  severity: 'sev1' | 'sev2' | 'sev3',
  act: (h: Awaited<ReturnType<TestWorkflowEnvironment['client']['workflow']['start']>>) => Promise<void>,
): Promise<{ pages: Array<[number, string]>; sent: string[] }> {
  const taskQueue = uniqueQueue();
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle });
  return worker.runUntil(async () => {
    const h = await env.client.workflow.start('pagingWorkflow', {
      taskQueue,
      workflowId: `paging-${taskQueue}`,
      args: [{ policy, severity }],
      workflowExecutionTimeout: '2d',
    });
    await act(h);
    const sent = (await h.result()) as string[];
    const pages = (await h.query(pagesQuery)).map((p): [number, string] => [Math.round(p.atMs / M), p.level]);
    return { pages, sent };
  });
}

test('sev1 nobody answers: primary, backup at 15m, manager at 2h, executive at 4h', async () => {
  const { pages } = await ladder('sev1', async () => undefined);
  expect(pages).toEqual([
    [0, 'primary'],
    [15, 'secondary'],
    [120, 'manager'],
    [240, 'executive'],
  ]);
});

test('acknowledged at 5m: no backup page at 15m, the secondary at 30m unresolved; resolved at 1h: nothing more', async () => {
  const { pages } = await ladder('sev1', async (h) => {
    await env.sleep(5 * M);
    await h.signal(ackSignal);
    await env.sleep(55 * M);
    await h.signal(resolveSignal);
  });
  expect(pages).toEqual([
    [0, 'primary'],
    [30, 'secondary'],
  ]);
});

test('a sev3 raised to sev1 after 3h is re-planned from its opening: the overdue manager paged at once', async () => {
  const { pages } = await ladder('sev3', async (h) => {
    await env.sleep(3 * 60 * M);
    await h.signal(severitySignal, 'sev1');
    await env.sleep(30 * M);
    await h.signal(resolveSignal);
  });
  // sev3: primary at 0, backup at 15m; at 3h as a sev1 the manager is overdue (2h) and pages at once.
  expect(pages).toEqual([
    [0, 'primary'],
    [15, 'secondary'],
    [180, 'manager'],
  ]);
});
