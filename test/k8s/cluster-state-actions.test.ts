/** Server-side apply (and waiting for what it declares), HPAs and node conditions against the real control plane. */
import { MockActivityEnvironment } from '@temporalio/testing';
import { connectKube, type KubeClients } from '../../src/activities/kubernetes/client';
import { createClusterStateActions } from '../../src/activities/kubernetes/cluster-state';
import { kubectl, testKubeconfig } from './cluster';

const namespace = `state-${Date.now().toString(36)}`;
let k: KubeClients;
const state = createClusterStateActions(async () => k);
const inActivity = <T>(fn: () => Promise<T>): Promise<T> => new MockActivityEnvironment().run(fn);

const manifest = (image: string): string => `
apiVersion: apps/v1
kind: Deployment
metadata: { name: shop, labels: { app: shop } }
spec:
  replicas: 2
  selector: { matchLabels: { app: shop } }
  template:
    metadata: { labels: { app: shop } }
    spec: { containers: [{ name: shop, image: "${image}" }] }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: shop-flags }
data: { checkout-v2: "off" }
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: { name: shop }
spec:
  scaleTargetRef: { apiVersion: apps/v1, kind: Deployment, name: shop }
  minReplicas: 2
  maxReplicas: 5
  metrics: [{ type: Resource, resource: { name: cpu, target: { type: Utilization, averageUtilization: 70 } } }]
`;

beforeAll(async () => {
  k = await connectKube({ kubeconfig: testKubeconfig() });
  await kubectl(['create', 'namespace', namespace]);
});

afterAll(async () => {
  await kubectl(['delete', 'namespace', namespace, '--wait=false']).catch(() => undefined);
});

test('apply creates, waits for the rollout, and applying the same again changes nothing', async () => {
  const first = await inActivity(() =>
    state.apply({
      manifest: manifest('registry.example/shop:1'),
      namespace,
      force: false,
      timeoutSeconds: 90,
      intervalSeconds: 1,
    }),
  );
  expect(first).toEqual({
    changed: true,
    objects: [
      { object: `Deployment ${namespace}/shop`, changed: true },
      { object: `ConfigMap ${namespace}/shop-flags`, changed: true },
      { object: `HorizontalPodAutoscaler ${namespace}/shop`, changed: true },
    ],
  });
  const d = await k.apps.readNamespacedDeployment({ namespace, name: 'shop' });
  expect(d.status?.availableReplicas).toBe(2);
  expect(d.metadata?.managedFields?.some((f) => f.manager === 'durable-runbooks' && f.operation === 'Apply')).toBe(
    true,
  );
  const again = await inActivity(() =>
    state.apply({
      manifest: manifest('registry.example/shop:1'),
      namespace,
      force: false,
      timeoutSeconds: 90,
      intervalSeconds: 1,
    }),
  );
  expect(again.changed).toBe(false);
  const image = await inActivity(() =>
    state.apply({
      manifest: manifest('registry.example/shop:2'),
      namespace,
      force: false,
      timeoutSeconds: 90,
      intervalSeconds: 1,
    }),
  );
  expect(image.objects.map((o) => o.changed)).toEqual([true, false, false]);
});

test('a field another manager owns is a conflict unless forced; bad manifests are InvalidInput', async () => {
  await kubectl(['-n', namespace, 'scale', 'deployment/shop', '--replicas=3']);
  await expect(
    inActivity(() =>
      state.apply({
        manifest: manifest('registry.example/shop:2'),
        namespace,
        force: false,
        timeoutSeconds: 30,
        intervalSeconds: 1,
      }),
    ),
  ).rejects.toMatchObject({ type: 'ApplyConflict', nonRetryable: true });
  const forced = await inActivity(() =>
    state.apply({
      manifest: manifest('registry.example/shop:2'),
      namespace,
      force: true,
      timeoutSeconds: 90,
      intervalSeconds: 1,
    }),
  );
  expect(forced.objects[0]).toEqual({ object: `Deployment ${namespace}/shop`, changed: true });
  await expect(
    state.apply({
      manifest: 'kind: Deployment\nmetadata: {}\n',
      namespace,
      force: false,
      timeoutSeconds: 5,
      intervalSeconds: 1,
    }),
  ).rejects.toMatchObject({ type: 'InvalidInput' });
});

test('HPAs and node conditions', async () => {
  const h = await state.listHpas({ namespace });
  expect(h.hpas).toEqual([
    expect.objectContaining({ name: 'shop', target: 'Deployment/shop', min: 2, max: 5, atMax: false }),
  ]);
  const n = await state.nodeConditions();
  expect(n.total).toBeGreaterThanOrEqual(1);
  expect(n.ready).toBe(n.total);
  expect(n.problems).toEqual([]);
});
