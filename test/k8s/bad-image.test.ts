/**
 * A Deployment broken by a bad image behaves as in a real cluster: the simulated cluster's kwok
 * Stages (scripts/k8s/kwok-stages.yaml) never "pull" an image whose reference contains
 * `does-not-exist`, so after `kubectl set image` to one, the new ReplicaSet's pods stay Pending
 * and not Ready, waiting with ErrImagePull and then ImagePullBackOff; the rollout never completes
 * and the old ReplicaSet keeps all but maxUnavailable of its pods available. `kubectl rollout
 * undo` then completes the rollout with Ready pods again.
 */
import type { V1Deployment, V1Pod, V1ReplicaSet } from '@kubernetes/client-node';
import { deploymentFixture, kubectl, revisionOf, testApis, waitFor } from './cluster';

const { apps, core } = testApis();

const namespace = `bad-image-${Date.now().toString(36)}`;
const goodImage = 'registry.example/web:1.0.0';
const badImage = 'registry.example/web:does-not-exist';
// 4 replicas with the default RollingUpdate strategy (25 %/25 %): maxSurge 1, maxUnavailable 1.
const replicas = 4;
const maxUnavailable = 1;
const maxSurge = 1;

const deployment = (name: string): V1Deployment => deploymentFixture(name, { replicas, image: goodImage });
const revision = revisionOf;

function imageOf(rs: V1ReplicaSet): string | undefined {
  return rs.spec?.template?.spec?.containers[0]?.image;
}

function ready(pod: V1Pod): boolean {
  return pod.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
}

function waitingReason(pod: V1Pod): string | undefined {
  return pod.status?.containerStatuses?.find((c) => c.name === 'app')?.state?.waiting?.reason;
}

async function replicaSets(): Promise<V1ReplicaSet[]> {
  return (await apps.listNamespacedReplicaSet({ namespace, labelSelector: 'app=web' })).items;
}

async function podsOf(rs: V1ReplicaSet): Promise<V1Pod[]> {
  const pods = (await core.listNamespacedPod({ namespace, labelSelector: 'app=web' })).items;
  return pods.filter(
    (p) => p.metadata?.ownerReferences?.some((o) => o.uid === rs.metadata?.uid) && !p.metadata?.deletionTimestamp,
  );
}

beforeAll(async () => {
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  await waitFor({
    what: `ServiceAccount default in ${namespace}`,
    read: () => core.readNamespacedServiceAccount({ name: 'default', namespace }),
    until: () => true,
  });
  await apps.createNamespacedDeployment({ namespace, body: deployment('web') });
  await kubectl(['-n', namespace, 'rollout', 'status', 'deployment/web', '--timeout=120s']);
});

afterAll(async () => {
  await core.deleteNamespace({ name: namespace }).catch(() => undefined);
});

test('set image to an image that does not exist: the new pods never become Ready and the rollout stalls', async () => {
  await kubectl(['-n', namespace, 'set', 'image', 'deployment/web', `app=${badImage}`]);

  // The controller surges one new pod and takes one old pod down (maxSurge 1, maxUnavailable 1).
  const newSet = (await waitFor({
    what: 'the revision-2 ReplicaSet of web (the bad image) to be scaled up',
    read: async () => (await replicaSets()).find((rs) => revision(rs) === 2),
    until: (rs) => rs?.spec?.replicas === maxSurge + maxUnavailable && imageOf(rs) === badImage,
  })) as V1ReplicaSet;

  const badPods = await waitFor({
    what: 'the new pods to be waiting with ImagePullBackOff',
    read: () => podsOf(newSet),
    until: (pods) =>
      pods.length === maxSurge + maxUnavailable && pods.every((p) => waitingReason(p) === 'ImagePullBackOff'),
    timeoutMs: 30_000,
  });
  for (const pod of badPods) {
    expect(pod.spec?.nodeName).toMatch(/^kwok-node-\d+$/);
    expect(pod.status?.phase).toBe('Pending');
    expect(ready(pod)).toBe(false);
    expect(pod.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'ContainersNotReady',
    });
    const app = pod.status?.containerStatuses?.find((c) => c.name === 'app');
    expect(app).toMatchObject({ image: badImage, ready: false, restartCount: 0 });
    expect(['ErrImagePull', 'ImagePullBackOff']).toContain(app?.state?.waiting?.reason);
    expect(app?.state?.running).toBeFalsy();
  }

  // `kubectl rollout status` waits, then gives up: the rollout does not complete.
  await expect(kubectl(['-n', namespace, 'rollout', 'status', 'deployment/web', '--timeout=10s'])).rejects.toThrow(
    /timed out|exceeded its progress deadline/,
  );

  // Still stalled after those 10 s: the old ReplicaSet keeps replicas - maxUnavailable pods available.
  const web = await apps.readNamespacedDeployment({ name: 'web', namespace });
  expect(revision(web)).toBe(2);
  expect(web.status).toMatchObject({
    updatedReplicas: maxSurge + maxUnavailable,
    availableReplicas: replicas - maxUnavailable,
    unavailableReplicas: maxSurge + maxUnavailable,
  });
  const oldSet = (await replicaSets()).find((rs) => revision(rs) === 1) as V1ReplicaSet;
  expect(imageOf(oldSet)).toBe(goodImage);
  expect(oldSet.spec?.replicas).toBe(replicas - maxUnavailable);
  expect(oldSet.status?.availableReplicas).toBe(replicas - maxUnavailable);
  const oldPods = await podsOf(oldSet);
  expect(oldPods).toHaveLength(replicas - maxUnavailable);
  expect(oldPods.every((p) => ready(p) && p.status?.phase === 'Running')).toBe(true);
  expect(
    (await apps.readNamespacedReplicaSet({ name: newSet.metadata?.name ?? '', namespace })).status?.availableReplicas ??
      0,
  ).toBe(0);
  // No pod of the new ReplicaSet became Ready meanwhile.
  expect((await podsOf(newSet)).filter(ready)).toEqual([]);
});

test('rollout undo goes back to the good image and the rollout completes with Ready pods', async () => {
  await kubectl(['-n', namespace, 'rollout', 'undo', 'deployment/web']);
  const status = await kubectl(['-n', namespace, 'rollout', 'status', 'deployment/web', '--timeout=60s']);
  expect(status).toMatch(/successfully rolled out/);

  const web = await apps.readNamespacedDeployment({ name: 'web', namespace });
  expect(web.spec?.template.spec?.containers[0]?.image).toBe(goodImage);
  expect(revision(web)).toBe(3); // undo re-issues revision 1's template as revision 3
  expect(web.status).toMatchObject({
    replicas,
    updatedReplicas: replicas,
    availableReplicas: replicas,
    readyReplicas: replicas,
  });

  const sets = await waitFor({
    what: 'the bad ReplicaSet to scale to 0 and the good one to have all pods ready',
    read: replicaSets,
    until: (items) =>
      items.length === 2 &&
      items.every((rs) =>
        imageOf(rs) === badImage ? rs.status?.replicas === 0 : rs.status?.readyReplicas === replicas,
      ),
  });
  const good = sets.find((rs) => imageOf(rs) === goodImage) as V1ReplicaSet;
  expect(revision(good)).toBe(3);
  const pods = await waitFor({
    what: 'only Ready pods with the good image to remain',
    read: async () => (await core.listNamespacedPod({ namespace, labelSelector: 'app=web' })).items,
    until: (items) => items.length === replicas && items.every((p) => p.spec?.containers[0]?.image === goodImage),
  });
  expect(pods.every((p) => ready(p) && p.status?.phase === 'Running')).toBe(true);
});
