/**
 * Cordon, uncordon, drain and manifest delete against the real control plane, through the
 * activity envelope (input defaults, typed failures). The drains run on a node of this file's
 * own, tainted so that only the pods here (which tolerate it) land on it: draining never moves
 * another file's pods.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectKube, type KubeClients } from '../../src/activities/kubernetes/client';
import { createKubernetesActivities } from '../../src/activities/kubernetes';
import type { ActionInput, ActionResult } from '../../src/shared/activity-types';
import { kubectl, testApis, testKubeconfig, waitFor } from './cluster';

const id = Date.now().toString(36);
const namespace = `nodes-${id}`;
const node = `drain-${id}`;
const TAINT = { key: 'durable-runbooks.io/node-actions-test', value: id, effect: 'NoSchedule' };
const placement = {
  nodeSelector: { 'kubernetes.io/hostname': node },
  tolerations: [{ key: TAINT.key, operator: 'Equal', value: id, effect: 'NoSchedule' }],
};

let k: KubeClients;
const activities = createKubernetesActivities({
  kube: async () => k,
  metrics: { observeStep: () => undefined },
}) as unknown as Record<string, (i: ActionInput) => Promise<ActionResult>>;

/** Runs an action as a workflow step would: through its envelope, in an activity context. */
async function run<T>(action: string, input: Record<string, unknown>): Promise<T> {
  const step = {
    workflowId: 'wf-nodes',
    runId: 'r',
    stepId: action.replace(/:/g, '-'),
    runbookId: 'nodes',
    idempotencyKey: `wf-nodes/${action}`,
    dryRun: false,
  };
  const fn = activities[action] as (i: ActionInput) => Promise<ActionResult>;
  const result: ActionResult = await new MockActivityEnvironment().run(fn, {
    step,
    input: input as ActionInput['input'],
  });
  return result.output as T;
}

interface DrainOutput {
  changed: boolean;
  evicted: string[];
  skipped: string[];
}

async function apply(items: object[], flags: string[] = []): Promise<void> {
  const file = join(mkdtempSync(join(tmpdir(), 'node-actions-')), 'objects.json');
  writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items }));
  await kubectl(['apply', '-f', file, ...flags]);
}

const deployment = (name: string, replicas: number) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: { ...placement, containers: [{ name: 'app', image: `registry.example/${name}:1` }] },
    },
  },
});

const unschedulable = async (): Promise<boolean> =>
  (await k.core.readNode({ name: node })).spec?.unschedulable === true;

/** Names (namespace/name) of the running pods of `app` on the node. */
const podsOnNode = async (app: string): Promise<string[]> =>
  (await k.core.listNamespacedPod({ namespace, labelSelector: `app=${app}` })).items
    .filter((p) => p.spec?.nodeName === node && !p.metadata?.deletionTimestamp && p.status?.phase === 'Running')
    .map((p) => `${namespace}/${p.metadata?.name}`)
    .sort();

beforeAll(async () => {
  k = await connectKube({ kubeconfig: testKubeconfig() });
  await kubectl(['create', 'namespace', namespace]);
  // As scripts/k8s/cluster.sh makes its nodes: kwok keeps it Ready, its address stays on loopback.
  await apply(
    [
      {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: {
          name: node,
          annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
          labels: { 'kubernetes.io/hostname': node, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64' },
        },
        spec: { taints: [TAINT] },
        status: {
          addresses: [{ address: '127.0.0.1', type: 'InternalIP' }],
          allocatable: { cpu: '32', memory: '256Gi', pods: '110' },
          capacity: { cpu: '32', memory: '256Gi', pods: '110' },
          nodeInfo: { architecture: 'amd64', operatingSystem: 'linux', kubeletVersion: 'fake' },
        },
      },
      // The client's schema wants every nodeInfo field a kubelet reports; the server does not.
    ],
    ['--validate=false'],
  );
  await kubectl(['wait', '--for=condition=Ready', `node/${node}`, '--timeout=60s']);
});

afterAll(async () => {
  await kubectl(['delete', 'namespace', namespace, '--wait=false']).catch(() => undefined);
  await kubectl(['delete', 'node', node, '--wait=false']).catch(() => undefined);
});

test('cordon marks the node unschedulable, once; uncordon undoes it, once', async () => {
  expect(await run('k8s:node:cordon', { node })).toEqual({ changed: true, wasUnschedulable: false });
  expect(await unschedulable()).toBe(true);
  expect(await run('k8s:node:cordon', { node })).toEqual({
    changed: false,
    wasUnschedulable: true,
    reason: 'already cordoned',
  });
  expect(await run('k8s:node:uncordon', { node })).toEqual({ changed: true, wasUnschedulable: true });
  expect(await unschedulable()).toBe(false);
  expect(await run('k8s:node:uncordon', { node })).toEqual({
    changed: false,
    wasUnschedulable: false,
    reason: 'already schedulable',
  });
  await expect(run('k8s:node:cordon', { node: `missing-${id}` })).rejects.toMatchObject({
    type: 'NotFound',
    nonRetryable: true,
  });
});

test("drain evicts a deployment's pods and leaves a DaemonSet's; a second drain changes nothing", async () => {
  await apply([
    deployment('web', 2),
    {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'agent', namespace },
      spec: {
        selector: { matchLabels: { app: 'agent' } },
        template: {
          metadata: { labels: { app: 'agent' } },
          spec: { ...placement, containers: [{ name: 'agent', image: 'registry.example/agent:1' }] },
        },
      },
    },
  ]);
  const web = await waitFor({
    what: 'web pods running on the node',
    read: () => podsOnNode('web'),
    until: (p) => p.length === 2,
  });
  const agent = await waitFor({ what: 'the agent pod', read: () => podsOnNode('agent'), until: (p) => p.length === 1 });

  // The fields src/experiments/compile.ts gives: the rest are defaults.
  const drained = await run<DrainOutput>('k8s:node:drain', { node, timeoutSeconds: 60 });
  expect({ ...drained, evicted: [...drained.evicted].sort() }).toEqual({ changed: true, evicted: web, skipped: agent });
  expect(await unschedulable()).toBe(true);
  expect(await podsOnNode('web')).toEqual([]);
  // The ReplicaSet recreates them; only this (cordoned) node fits them, so they wait, unscheduled.
  const replacements = await waitFor({
    what: 'two replacement web pods',
    read: async () => (await k.core.listNamespacedPod({ namespace, labelSelector: 'app=web' })).items,
    until: (p) => p.filter((x) => !x.metadata?.deletionTimestamp).length === 2,
  });
  expect(replacements.every((p) => !p.spec?.nodeName && !web.includes(`${namespace}/${p.metadata?.name}`))).toBe(true);
  expect(await podsOnNode('agent')).toEqual(agent);

  expect(await run<DrainOutput>('k8s:node:drain', { node, timeoutSeconds: 60 })).toEqual({
    changed: false,
    evicted: [],
    skipped: agent,
    reason: 'already cordoned, with no pod to evict',
  });
  await kubectl(['-n', namespace, 'delete', 'deployment/web', 'daemonset/agent']);
  expect(await run('k8s:node:uncordon', { node })).toEqual({ changed: true, wasUnschedulable: true });
});

test('a pod no controller recreates refuses the drain before anything changes, unless forced', async () => {
  await apply([
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'bare', namespace, labels: { app: 'bare' } },
      spec: { ...placement, containers: [{ name: 'app', image: 'registry.example/bare:1' }] },
    },
  ]);
  await waitFor({ what: 'the bare pod running', read: () => podsOnNode('bare'), until: (p) => p.length === 1 });
  await expect(run('k8s:node:drain', { node, timeoutSeconds: 10 })).rejects.toMatchObject({
    type: 'InvalidInput',
    nonRetryable: true,
    message: expect.stringContaining(`${namespace}/bare (no controller recreates it`),
  });
  expect(await unschedulable()).toBe(false);
  const forced = await run<DrainOutput>('k8s:node:drain', { node, timeoutSeconds: 60, force: true });
  expect(forced).toMatchObject({ changed: true, evicted: [`${namespace}/bare`] });
  expect(await run('k8s:node:uncordon', { node })).toMatchObject({ changed: true });
});

test('a PodDisruptionBudget that refuses every eviction: the drain times out naming the pods left', async () => {
  await apply([
    deployment('guarded', 2),
    {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'guarded', namespace },
      spec: { minAvailable: 2, selector: { matchLabels: { app: 'guarded' } } },
    },
  ]);
  const guarded = await waitFor({
    what: 'guarded pods running on the node',
    read: () => podsOnNode('guarded'),
    until: (p) => p.length === 2,
  });
  // The disruption controller counts the healthy pods: from then on the budget allows no eviction.
  await waitFor({
    what: 'the budget counting both pods',
    read: () => kubectl(['-n', namespace, 'get', 'pdb/guarded', '-o', 'json']),
    until: (json) => {
      const s = (JSON.parse(json) as { status?: { currentHealthy?: number; disruptionsAllowed?: number } }).status;
      return s?.currentHealthy === 2 && s.disruptionsAllowed === 0;
    },
  });
  const failure = await run('k8s:node:drain', { node, timeoutSeconds: 3, intervalSeconds: 1 }).then(
    () => undefined,
    (err: { type?: string; nonRetryable?: boolean; message: string }) => err,
  );
  expect(failure).toMatchObject({ type: 'DrainTimeout', nonRetryable: true });
  for (const pod of guarded) expect(failure?.message).toContain(pod);
  expect(failure?.message).toMatch(/disruption budget/i);
  // Nothing was evicted: both pods still run there.
  expect(await podsOnNode('guarded')).toEqual(guarded);
  expect(await run('k8s:node:uncordon', { node })).toEqual({ changed: true, wasUnschedulable: true });
  expect(await unschedulable()).toBe(false);
});

test('manifest delete removes an object once; an unknown kind fails naming it', async () => {
  await kubectl(['-n', namespace, 'create', 'configmap', 'flags', '--from-literal=a=b']);
  const ref = { apiVersion: 'v1', kind: 'ConfigMap', namespace, name: 'flags' };
  expect(await run('k8s:manifest:delete', ref)).toEqual({ changed: true });
  await expect(testApis().core.readNamespacedConfigMap({ namespace, name: 'flags' })).rejects.toMatchObject({
    code: 404,
  });
  expect(await run('k8s:manifest:delete', ref)).toEqual({
    changed: false,
    reason: `ConfigMap ${namespace}/flags does not exist`,
  });
  // Held by a finalizer: the first delete marks it, the second finds it on its way out.
  await apply([
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'held', namespace, finalizers: ['durable-runbooks.io/test'] },
    },
  ]);
  const held = { ...ref, name: 'held' };
  expect(await run('k8s:manifest:delete', held)).toEqual({ changed: true });
  expect(await run('k8s:manifest:delete', held)).toEqual({
    changed: false,
    reason: `ConfigMap ${namespace}/held is being deleted already`,
  });
  await kubectl(['-n', namespace, 'patch', 'configmap/held', '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
  // Chaos Mesh is not installed here: its group is unknown to the server, as is a made-up kind in v1.
  for (const [apiVersion, kind] of [
    ['chaos-mesh.org/v1alpha1', 'PodChaos'],
    ['v1', 'NoSuchKind'],
  ] as const) {
    await expect(run('k8s:manifest:delete', { apiVersion, kind, namespace, name: 'x' })).rejects.toMatchObject({
      type: 'NotFound',
      nonRetryable: true,
      message: expect.stringContaining(`no kind ${kind} in ${apiVersion}`),
    });
  }
});
