/**
 * Cordon, uncordon and drain over a hand-written fake of the core API: the exact calls made, the
 * "already as asked" paths, kubectl drain's pod filters and the disruption budget's 429.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { PATCH, type KubeClients } from '../../src/activities/kubernetes/client';
import { classifyPods, createNodeActions } from '../../src/activities/kubernetes/nodes';

const pod = (name: string, o: Partial<{ owner: string; mirror: true; emptyDir: true; phase: string }> = {}): V1Pod => ({
  metadata: {
    name,
    namespace: 'shop',
    ...(o.mirror ? { annotations: { 'kubernetes.io/config.mirror': 'x' } } : {}),
    ...(o.owner
      ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: o.owner, name: 'o', uid: 'u', controller: true }] }
      : {}),
  },
  spec: { containers: [], ...(o.emptyDir ? { volumes: [{ name: 'v', emptyDir: {} }] } : {}) },
  status: { phase: o.phase ?? 'Running' },
});

/** A node and its pods; an eviction removes the pod unless `budget` refuses it. */
function fakeCluster(node: V1Node, pods: V1Pod[], budget: Set<string> = new Set()) {
  const calls: string[] = [];
  const core = {
    readNode: async ({ name }: { name: string }) => {
      calls.push(`read ${name}`);
      return node;
    },
    patchNode: async (
      { name, body }: { name: string; body: { spec: { unschedulable: boolean | null } } },
      o: unknown,
    ) => {
      calls.push(`patch ${name} ${JSON.stringify(body)} ${o as string}`);
      node.spec = { ...node.spec, unschedulable: body.spec.unschedulable === true };
      return node;
    },
    listPodForAllNamespaces: async ({ fieldSelector }: { fieldSelector: string }) => {
      calls.push(`list ${fieldSelector}`);
      return { items: [...pods] };
    },
    createNamespacedPodEviction: async ({ name }: { name: string }) => {
      calls.push(`evict ${name}`);
      if (budget.has(name))
        throw Object.assign(new Error('HTTP 429'), {
          code: 429,
          body: JSON.stringify({ message: "Cannot evict pod as it would violate the pod's disruption budget." }),
        });
      pods.splice(
        pods.findIndex((p) => p.metadata?.name === name),
        1,
      );
      return {};
    },
  };
  const clients = { core, patchAs: (t: string) => t } as unknown as Pick<KubeClients, 'core' | 'patchAs'>;
  return { calls, actions: createNodeActions(async () => clients) };
}

const inActivity = <T>(fn: () => Promise<T>): Promise<T> => new MockActivityEnvironment().run(fn);
const drainOpts = {
  timeoutSeconds: 2,
  intervalSeconds: 1,
  ignoreDaemonSets: true,
  deleteEmptyDirData: false,
  force: false,
};

test('cordon patches spec.unschedulable as kubectl does, and only once', async () => {
  const { calls, actions } = fakeCluster({ metadata: { name: 'n1' }, spec: {} }, []);
  expect(await actions.cordon({ node: 'n1' })).toEqual({ changed: true, wasUnschedulable: false });
  expect(await actions.cordon({ node: 'n1' })).toEqual({
    changed: false,
    wasUnschedulable: true,
    reason: 'already cordoned',
  });
  expect(await actions.uncordon({ node: 'n1' })).toEqual({ changed: true, wasUnschedulable: true });
  expect(calls).toEqual([
    'read n1',
    `patch n1 {"spec":{"unschedulable":true}} ${PATCH.strategic}`,
    'read n1',
    'read n1',
    `patch n1 {"spec":{"unschedulable":null}} ${PATCH.strategic}`,
  ]);
});

test("drain's filters: mirror and DaemonSet pods stay; emptyDir and bare pods refuse unless asked", () => {
  const pods = [
    pod('web', { owner: 'ReplicaSet' }),
    pod('agent', { owner: 'DaemonSet' }),
    pod('static', { mirror: true }),
    pod('cache', { owner: 'ReplicaSet', emptyDir: true }),
    pod('bare'),
    pod('done', { phase: 'Succeeded' }),
  ];
  const names = (ps: V1Pod[]) => ps.map((p) => p.metadata?.name);
  const strict = classifyPods(pods, { ignoreDaemonSets: true, deleteEmptyDirData: false, force: false });
  expect(names(strict.evict)).toEqual(['web', 'done']);
  expect(names(strict.skip)).toEqual(['agent', 'static']);
  expect(strict.refuse).toEqual([
    'shop/cache (emptyDir data; deleteEmptyDirData evicts it)',
    'shop/bare (no controller recreates it; force evicts it)',
  ]);
  const loose = classifyPods(pods, { ignoreDaemonSets: false, deleteEmptyDirData: true, force: true });
  expect(names(loose.evict)).toEqual(['web', 'cache', 'bare', 'done']);
  expect(loose.refuse).toEqual(['shop/agent (DaemonSet; ignoreDaemonSets is off)']);
});

test('a refused drain changes nothing: the node is not cordoned', async () => {
  const { calls, actions } = fakeCluster({ metadata: { name: 'n1' }, spec: {} }, [pod('bare')]);
  await expect(inActivity(() => actions.drain({ node: 'n1', ...drainOpts }))).rejects.toMatchObject({
    type: 'InvalidInput',
    nonRetryable: true,
  });
  expect(calls).toEqual(['list spec.nodeName=n1']);
});

test('drain cordons, evicts and skips; a drain of a drained node changes nothing', async () => {
  const pods = [pod('web-1', { owner: 'ReplicaSet' }), pod('agent', { owner: 'DaemonSet' })];
  const { calls, actions } = fakeCluster({ metadata: { name: 'n1' }, spec: {} }, pods);
  expect(await inActivity(() => actions.drain({ node: 'n1', ...drainOpts }))).toEqual({
    changed: true,
    evicted: ['shop/web-1'],
    skipped: ['shop/agent'],
  });
  expect(calls.filter((c) => c.startsWith('evict') || c.startsWith('patch'))).toEqual([
    `patch n1 {"spec":{"unschedulable":true}} ${PATCH.strategic}`,
    'evict web-1',
  ]);
  expect(await inActivity(() => actions.drain({ node: 'n1', ...drainOpts }))).toEqual({
    changed: false,
    evicted: [],
    skipped: ['shop/agent'],
    reason: 'already cordoned, with no pod to evict',
  });
});

test('a disruption budget that keeps refusing: the drain fails after its timeout naming the pod left', async () => {
  const pods = [pod('web-1', { owner: 'ReplicaSet' }), pod('web-2', { owner: 'ReplicaSet' })];
  const { calls, actions } = fakeCluster({ metadata: { name: 'n1' }, spec: {} }, pods, new Set(['web-2']));
  const err = await inActivity(() => actions.drain({ node: 'n1', ...drainOpts })).catch((e: Error) => e);
  expect(err).toMatchObject({ type: 'DrainTimeout', nonRetryable: true });
  expect((err as Error).message).toMatch(/pods left: shop\/web-2 \(Cannot evict pod .*disruption budget/);
  // Refused evictions are tried again each round, until the deadline.
  expect(calls.filter((c) => c === 'evict web-2').length).toBeGreaterThanOrEqual(2);
  expect(calls.filter((c) => c === 'evict web-1')).toHaveLength(1);
});
