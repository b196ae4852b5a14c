/**
 * The workflow kit without the runbook interpreter: a ~40-line hand-written workflow
 * (kit/kit-workflow.ts) runs an approval gate (no self-approval), a target lock and a
 * compensation, against the real server, worker and activities.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createActivities } from '../../src/activities';
import { createSecretResolver } from '../../src/activities/secrets';
import { lockStateQuery, lockWorkflowId } from '../../src/shared/coordination';
import { approvalDecisionSignal, decideApprovalUpdate } from '../../src/shared/messages';
import { signedDecision, TEST_KEYS } from '../support/signing';
import { createWorkerMetrics } from '../../src/worker/metrics';
import { startReceiver, type Receiver } from '../support/http-receiver';
import { libraryOf } from '../support/runbook-worker';
import { connectTestEnv, uniqueQueue } from '../support/temporal';
import { waitFor } from '../support/wait';
import { kitStateQuery } from './kit/kit-workflow';
import { withSigningKeys } from '../../src/worker/signing-bundle';

let env: TestWorkflowEnvironment;
let target: Receiver;
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  env = await connectTestEnv();
  target = await startReceiver();
  for (const p of ['/change', '/revert']) target.on(p, () => ({ status: 200, body: { ok: true } }));
  target.on('/broken', () => ({ status: 400, body: 'no' }));
  const noop = (): void => undefined;
  bundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('./kit/kit-workflow'),
    logger: { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: noop },
  });
});
afterAll(async () => {
  await target?.close();
  await env?.teardown();
});

async function runKit(
  fail: boolean,
): Promise<{ result: unknown; undone: string[]; paths: string[]; holders: string[] }> {
  const taskQueue = uniqueQueue('kit');
  const from = target.received.length;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: { code: withSigningKeys(bundle.code, TEST_KEYS) },
    activities: createActivities({
      fetch: globalThis.fetch,
      secrets: createSecretResolver({ env: {} }),
      webhookTargets: {},
      runUrl: (id) => `http://ui.test/${id}`,
      library: () => libraryOf(),
      metrics: createWorkerMetrics(),
    }),
  });
  const lockTarget = `service:kit-${taskQueue}`;
  return worker.runUntil(async () => {
    const h = await env.client.workflow.start('kitWorkflow', {
      taskQueue,
      workflowId: `kit-${taskQueue}`,
      args: [{ target: lockTarget, url: target.url, requester: 'alice', fail }],
      workflowExecutionTimeout: '1m',
    });
    await waitFor('the gate to open', async () => (await h.query(kitStateQuery)).phase === 'waiting_approval');
    // The person who started it cannot approve it; a decision not signed by the API decides
    // nothing (and a signal of one is noted as unverified); someone else, signed, can.
    const opening = (await h.query(kitStateQuery)).open[0]?.requestedAt;
    const vote = async (actor: string) =>
      h.executeUpdate(decideApprovalUpdate, {
        args: [await signedDecision(h, { stepId: 'go', decision: 'approve', actor, ...(opening ? { opening } : {}) })],
      });
    await expect(vote('alice')).rejects.toMatchObject({
      cause: { message: 'alice started this run and cannot approve it' },
    });
    await expect(
      h.executeUpdate(decideApprovalUpdate, { args: [{ stepId: 'go', decision: 'approve', actor: 'bob' }] }),
    ).rejects.toMatchObject({ cause: { message: expect.stringMatching(/^decisions come signed through the API/) } });
    await h.signal(approvalDecisionSignal, { stepId: 'go', decision: 'approve', actor: 'bob' });
    await waitFor('the signal to be noted', async () => (await h.query(kitStateQuery)).notes.length === 1);
    expect((await h.query(kitStateQuery)).waiting).toEqual(['go']);
    await vote('bob');
    const result = await h.result().catch((e: Error) => e);
    const { undone } = await h.query(kitStateQuery);
    // The lock was released: its workflow let go of the run (or ended, having no holder left).
    const lock = env.client.workflow.getHandle(lockWorkflowId(lockTarget));
    const holders = await lock.query(lockStateQuery).then(
      (s) => s.holders,
      () => [] as string[],
    );
    return { result, undone, paths: target.received.slice(from).map((r) => r.path), holders };
  });
}

test('approved: the change is made under the lock, and the lock is released', async () => {
  const r = await runKit(false);
  expect(r.result).toBe('changed');
  expect(r.paths).toEqual(['/change']);
  expect(r.undone).toEqual([]);
  expect(r.holders).toEqual([]);
});

test('a later failure undoes the change and still releases the lock', async () => {
  const r = await runKit(true);
  expect(r.result).toBeInstanceOf(Error);
  expect(r.paths).toEqual(['/change', '/broken', '/revert']);
  expect(r.undone).toEqual(['change']);
  expect(r.holders).toEqual([]);
});

test('the workflow uses the kit alone: no runbook state, and short', () => {
  const text = readFileSync(join(__dirname, 'kit/kit-workflow.ts'), 'utf8');
  expect(text).not.toMatch(/workflows\/runbook/);
  const body = text.slice(text.indexOf('export async function kitWorkflow'));
  expect(body.split('\n').length).toBeLessThanOrEqual(50);
});
