/**
 * The shipped `service-down` runbook against the real control plane: a deployment broken by a bad
 * image (its new pods cannot pull it), the run finds the pull errors, asks on-call, rolls the
 * deployment back after the approval, and the rollout completes. Real Temporal, real worker.
 */
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { connectKube, type KubeClients } from '../../src/activities/kubernetes/client';
import { loadLibrary } from '../../src/runbooks/library';
import { prepareStart } from '../../src/runs/start-options';
import { RUNBOOK_WORKFLOW } from '../../src/shared/constants';
import { decideApprovalUpdate, statusQuery } from '../../src/shared/messages';
import type { RunResult, RunStatus } from '../../src/shared/status';
import { startReceiver, type Receiver } from '../support/http-receiver';
import { createTestWorker, type TestWorker } from '../support/runbook-worker';
import { connectTestEnv, waitForStatus } from '../support/temporal';
import { kubectl, testKubeconfig, waitFor } from './cluster';
import { signed, signedDecision } from '../support/signing';

const namespace = `sd-${Date.now().toString(36)}`;
const GOOD = 'registry.example/web:1.0.0';
const BAD = 'registry.example/web:does-not-exist';
let env: TestWorkflowEnvironment;
let k: KubeClients;
let hooks: Receiver;
let worker: TestWorker;
let running: Promise<void>;

beforeAll(async () => {
  env = await connectTestEnv();
  k = await connectKube({ kubeconfig: testKubeconfig() });
  hooks = await startReceiver();
  hooks.on('/notify', () => ({ status: 200, body: 'ok' }));
  hooks.on('/api/v1/query', () => ({
    status: 200,
    body: { status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [0, '0'] }] } },
  }));
  worker = await createTestWorker(env, {
    library: loadLibrary(join(__dirname, '../../runbooks')),
    webhookTargets: Object.fromEntries(
      ['oncall', 'oncall-secondary', 'incidents', 'default'].map((t) => [t, { url: `${hooks.url}/notify` }]),
    ),
    kube: async () => k,
  });
  running = worker.worker.run();
  await kubectl(['create', 'namespace', namespace]);
  await kubectl(['-n', namespace, 'create', 'deployment', 'web', `--image=${GOOD}`, '--replicas=3']);
  await kubectl(['-n', namespace, 'rollout', 'status', 'deployment/web', '--timeout=90s']);
});

afterAll(async () => {
  worker?.worker.shutdown();
  await running;
  await hooks?.close();
  await kubectl(['delete', 'namespace', namespace, '--wait=false']).catch(() => undefined);
  await env?.teardown();
});

test('a bad image: the run finds the pull errors, rolls back after approval, and the rollout completes', async () => {
  await kubectl(['-n', namespace, 'set', 'image', 'deployment/web', `web=${BAD}`]);
  await waitFor({
    what: 'new pods failing to pull their image',
    read: () => k.core.listNamespacedPod({ namespace, labelSelector: 'app=web' }),
    until: (l) => l.items.some((p) => /ImagePull|ErrImage/.test(JSON.stringify(p.status?.containerStatuses ?? []))),
    timeoutMs: 60_000,
  });

  const library = loadLibrary(join(__dirname, '../../runbooks'));
  const p = prepareStart(
    library,
    { approverGroups: { oncall: ['bob'], 'oncall-secondary': ['carol'] } },
    {
      runbookId: 'service-down',
      params: { service: 'web', namespace, prometheusUrl: hooks.url },
      trigger: { source: 'alert', requestedBy: 'alertmanager' },
    },
  );
  const handle = await env.client.workflow.start(RUNBOOK_WORKFLOW, {
    taskQueue: worker.taskQueue,
    workflowId: `service-down-${namespace}`,
    args: [signed(p.input, `service-down-${namespace}`)],
  });
  const waiting = await waitForStatus(handle, (s) => s.phase === 'waiting_approval');
  const gate = waiting.pendingApprovals[0];
  expect(gate?.message).toMatch(new RegExp(`^Roll back deployment ${namespace}/web\\?`));
  expect(gate?.message).toMatch(/ImagePull|ErrImage/);
  expect(gate?.guards?.map((g) => g.stepId)).toEqual(['rollback', 'restart']);

  await handle.executeUpdate(decideApprovalUpdate, {
    args: [
      await signedDecision(handle, {
        stepId: 'approve-fix',
        decision: 'approve',
        actor: 'bob',
        comment: 'bad deploy, roll back',
      }),
    ],
  });
  const result = (await handle.result()) as RunResult;
  expect(result.phase).toBe('succeeded');
  const s: RunStatus = await handle.query(statusQuery);
  const state = Object.fromEntries(s.steps.map((x) => [x.id, x.state]));
  expect(state).toMatchObject({
    pods: 'succeeded',
    'approve-fix': 'succeeded',
    rollback: 'succeeded',
    restart: 'skipped',
    'rolled-out': 'succeeded',
    resolved: 'succeeded',
  });

  const d = await k.apps.readNamespacedDeployment({ namespace, name: 'web' });
  expect(d.spec?.template.spec?.containers[0]?.image).toBe(GOOD);
  expect(d.status).toMatchObject({ replicas: 3, updatedReplicas: 3, availableReplicas: 3 });
  expect(hooks.received.filter((r) => r.path === '/notify').map((r) => JSON.parse(r.body).title)).toEqual(
    expect.arrayContaining(['DOWN: web', 'Recovered: web']),
  );
});
