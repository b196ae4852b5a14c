/**
 * The deployment actions against the real control plane, each next to what the machine's kubectl
 * does to an identical twin deployment: same revisions, same templates. Also the "already as
 * asked" paths, retries of the same step (no second restart, no undo of the undo), and typed errors.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { KubeConfig, type V1Deployment } from '@kubernetes/client-node';
import { connectKube, type KubeClients } from '../../src/activities/kubernetes/client';
import { createDeploymentActions, KEY_ANNOTATION } from '../../src/activities/kubernetes/deployments';
import type { StepContext } from '../../src/shared/activity-types';
import { kubectl, testKubeconfig, waitFor } from './cluster';

const namespace = `deploy-${Date.now().toString(36)}`;
let k: KubeClients;
const actions = createDeploymentActions(async () => k);

function step(stepId: string): StepContext {
  return {
    workflowId: `wf-${namespace}`,
    runId: 'r1',
    stepId,
    runbookId: 'rb',
    idempotencyKey: `wf-${namespace}/${stepId}`,
    dryRun: false,
  };
}

function manifest(name: string): V1Deployment {
  const labels = { app: name };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, labels },
    spec: {
      replicas: 3,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          containers: [{ name: 'web', image: 'registry.example/web:1.0.0', env: [{ name: 'KEEP', value: 'x' }] }],
        },
      },
    },
  };
}

const read = (name: string): Promise<V1Deployment> => k.apps.readNamespacedDeployment({ name, namespace });

/** Waits (as the activity does, in an activity context) until the deployment is rolled out. */
async function rolledOut(name: string): Promise<void> {
  await new MockActivityEnvironment().run(() =>
    actions.rolloutStatus({ namespace, name, timeoutSeconds: 90, intervalSeconds: 1 }),
  );
}

async function revisions(name: string): Promise<number[]> {
  return (await actions.history({ namespace, name })).revisions.map((r) => r.revision);
}

/** The pod template without what differs by design (the twins' own labels, our change marker, the restart time). */
function template(d: V1Deployment): unknown {
  const t = structuredClone(d.spec?.template);
  delete t?.metadata?.labels;
  delete t?.metadata?.annotations?.[KEY_ANNOTATION];
  delete t?.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt'];
  if (t?.metadata?.annotations && Object.keys(t.metadata.annotations).length === 0) delete t.metadata.annotations;
  return t;
}

beforeAll(async () => {
  k = await connectKube({ kubeconfig: testKubeconfig() });
  await kubectl(['create', 'namespace', namespace]);
  const file = join(mkdtempSync(join(tmpdir(), 'deploy-')), 'deployments.json');
  writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [manifest('ours'), manifest('twin')] }));
  await kubectl(['apply', '-f', file]);
  await rolledOut('ours');
  await rolledOut('twin');
});

afterAll(async () => {
  await kubectl(['delete', 'namespace', namespace, '--wait=false']).catch(() => undefined);
});

test('rollout status waits for the rollout; restart makes revision 2 as kubectl rollout restart does, once per step', async () => {
  const r = await actions.restart({ namespace, name: 'ours' }, step('restart'));
  expect(r).toMatchObject({ changed: true, restartedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/) });
  // The same step again (a retry after a crash): no second restart.
  expect(await actions.restart({ namespace, name: 'ours' }, step('restart'))).toMatchObject({
    changed: false,
    reason: 'already restarted by this step',
  });
  await kubectl(['-n', namespace, 'rollout', 'restart', 'deployment/twin']);
  await rolledOut('ours');
  await rolledOut('twin');
  expect(await revisions('ours')).toEqual([1, 2]);
  expect(await revisions('twin')).toEqual([1, 2]);
  expect(template(await read('ours'))).toEqual(template(await read('twin')));
  expect((await read('ours')).spec?.template.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt']).toBe(
    r.restartedAt,
  );
});

test('set image and set env change what kubectl set image / set env change, and nothing when already so', async () => {
  // Each change rolls out before the next, on both twins: the controller may fold quick changes
  // into one revision, which would make the revision histories differ by timing alone.
  const both = async (ours: () => Promise<unknown>, twin: string[]): Promise<void> => {
    await ours();
    await kubectl(['-n', namespace, ...twin]);
    await rolledOut('ours');
    await rolledOut('twin');
  };
  await both(async () => {
    expect(await actions.setImage({ namespace, name: 'ours', image: 'registry.example/web:1.1.0' })).toMatchObject({
      changed: true,
      container: 'web',
      from: 'registry.example/web:1.0.0',
    });
    expect(await actions.setImage({ namespace, name: 'ours', image: 'registry.example/web:1.1.0' })).toMatchObject({
      changed: false,
    });
  }, ['set', 'image', 'deployment/twin', 'web=registry.example/web:1.1.0']);
  await both(async () => {
    expect(await actions.setEnv({ namespace, name: 'ours', env: { A: '1', B: '2' } })).toMatchObject({
      changed: true,
      set: ['A', 'B'],
    });
  }, ['set', 'env', 'deployment/twin', 'A=1', 'B=2']);
  await both(async () => {
    expect(await actions.setEnv({ namespace, name: 'ours', env: { A: null, B: '3', KEEP: 'x' } })).toMatchObject({
      changed: true,
      set: ['B'],
      removed: ['A'],
    });
  }, ['set', 'env', 'deployment/twin', 'A-', 'B=3']);
  expect(await actions.setEnv({ namespace, name: 'ours', env: { B: '3' } })).toMatchObject({ changed: false });
  expect(template(await read('ours'))).toEqual(template(await read('twin')));
  expect((await read('ours')).spec?.template.spec?.containers[0]?.env).toEqual([
    { name: 'KEEP', value: 'x' },
    { name: 'B', value: '3' },
  ]);
  expect(await revisions('ours')).toEqual(await revisions('twin'));
});

test('undo goes back as kubectl rollout undo does; the same step again does not undo its undo; to a named revision', async () => {
  const before = await revisions('ours');
  const u = await actions.undo({ namespace, name: 'ours' }, step('undo'));
  expect(u.changed).toBe(true);
  expect(await actions.undo({ namespace, name: 'ours' }, step('undo'))).toMatchObject({
    changed: false,
    reason: 'already rolled back by this step',
  });
  await kubectl(['-n', namespace, 'rollout', 'undo', 'deployment/twin']);
  await rolledOut('ours');
  await rolledOut('twin');
  expect(template(await read('ours'))).toEqual(template(await read('twin')));
  expect(await revisions('ours')).toEqual(await revisions('twin'));
  expect((await revisions('ours')).length).toBe(before.length); // the target revision was renumbered, not copied

  const to1 = await actions.undo({ namespace, name: 'ours', toRevision: 1 }, step('undo-to-1'));
  expect(to1).toMatchObject({ changed: true, toRevision: 1 });
  await kubectl(['-n', namespace, 'rollout', 'undo', 'deployment/twin', '--to-revision=1']);
  await rolledOut('ours');
  await rolledOut('twin');
  expect((await read('ours')).spec?.template.spec?.containers[0]?.image).toBe('registry.example/web:1.0.0');
  expect(template(await read('ours'))).toEqual(template(await read('twin')));
  await expect(actions.undo({ namespace, name: 'ours', toRevision: 99 }, step('undo-99'))).rejects.toMatchObject({
    type: 'NotFound',
    nonRetryable: true,
  });
});

test('scale: relative within bounds, once per step; absolute as kubectl scale', async () => {
  expect(await actions.scale({ namespace, name: 'ours', by: 2, max: 4 }, step('scale-up'))).toEqual({
    changed: true,
    from: 3,
    to: 4,
  });
  expect(await actions.scale({ namespace, name: 'ours', by: 2, max: 4 }, step('scale-up'))).toMatchObject({
    changed: false,
    to: 4,
  });
  expect(await actions.scale({ namespace, name: 'ours', replicas: 2 }, step('scale-down'))).toEqual({
    changed: true,
    from: 4,
    to: 2,
  });
  await kubectl(['-n', namespace, 'scale', 'deployment/twin', '--replicas=2']);
  expect(await actions.scale({ namespace, name: 'ours', replicas: 2 }, step('scale-again'))).toMatchObject({
    changed: false,
    reason: 'already at 2 replicas',
  });
  await rolledOut('ours');
  // The controller reports the rollout done a moment before it counts the scaled-down pods away.
  for (const name of ['twin', 'ours'])
    await waitFor({
      what: `${name} at 2 available`,
      read: () => read(name),
      until: (d) => d.status?.availableReplicas === 2 && d.status.replicas === 2,
    });
});

test('errors are typed: a missing deployment is NotFound, a missing container InvalidInput, neither retried', async () => {
  await expect(actions.restart({ namespace, name: 'nope' }, step('missing'))).rejects.toMatchObject({
    type: 'NotFound',
    nonRetryable: true,
  });
  await expect(actions.setImage({ namespace, name: 'ours', container: 'sidecar', image: 'x:1' })).rejects.toMatchObject(
    { type: 'InvalidInput', nonRetryable: true, message: expect.stringContaining("no container 'sidecar' (has: web)") },
  );
  await expect(
    new MockActivityEnvironment().run(() =>
      actions.rolloutStatus({ namespace, name: 'nope', timeoutSeconds: 5, intervalSeconds: 1 }),
    ),
  ).rejects.toMatchObject({ type: 'NotFound' });
});

test('a caller without the rights gets Forbidden, not retried', async () => {
  // A service account with no role: its token reaches the API server, which refuses it.
  await kubectl(['-n', namespace, 'create', 'serviceaccount', 'nobody']);
  const token = (await kubectl(['-n', namespace, 'create', 'token', 'nobody'])).trim();
  const admin = new KubeConfig();
  admin.loadFromFile(testKubeconfig());
  const cluster = admin.getCurrentCluster();
  if (!cluster) throw new Error('the test kubeconfig names no cluster');
  const limited = new KubeConfig();
  limited.loadFromOptions({
    clusters: [cluster],
    users: [{ name: 'nobody', token }],
    contexts: [{ name: 'nobody', cluster: cluster.name, user: 'nobody' }],
    currentContext: 'nobody',
  });
  const file = join(mkdtempSync(join(tmpdir(), 'nobody-')), 'kubeconfig');
  writeFileSync(file, limited.exportConfig());
  const asNobody = createDeploymentActions(() => connectKube({ kubeconfig: file }));
  await expect(asNobody.restart({ namespace, name: 'ours' }, step('forbidden'))).rejects.toMatchObject({
    type: 'Forbidden',
    nonRetryable: true,
  });
});
