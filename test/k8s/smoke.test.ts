/**
 * Proves the simulated cluster behaves like a real one where the product's Kubernetes actions
 * depend on it: Deployments roll out through real ReplicaSets with revisions, a rollout restart
 * makes revision 2 and completes, a Job made from a CronJob succeeds, and pod logs can be read.
 * kubectl (the machine's) plays the operator; client-node reads the state, as the activities do.
 */
import type { V1CronJob, V1Deployment, V1Job, V1ReplicaSet } from '@kubernetes/client-node';
import { deploymentFixture, kubectl, revisionOf, testApis, waitFor } from './cluster';

const { apps, core, batch } = testApis();

const namespace = `smoke-${Date.now().toString(36)}`;

const deployment = (name: string, replicas: number): V1Deployment => deploymentFixture(name, { replicas });
const revision = revisionOf;

function rolledOut(d: V1Deployment, replicas: number): boolean {
  const s = d.status;
  return (
    (s?.observedGeneration ?? 0) >= (d.metadata?.generation ?? 1) &&
    s?.updatedReplicas === replicas &&
    s?.availableReplicas === replicas &&
    s?.replicas === replicas
  );
}

beforeAll(async () => {
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  // Pods are refused until kube-controller-manager has made the namespace's ServiceAccount.
  await waitFor({
    what: `ServiceAccount default in ${namespace}`,
    read: () => core.readNamespacedServiceAccount({ name: 'default', namespace }),
    until: () => true,
  });
});

afterAll(async () => {
  await core.deleteNamespace({ name: namespace }).catch(() => undefined);
});

test('a Deployment becomes available on the fake nodes', async () => {
  await apps.createNamespacedDeployment({ namespace, body: deployment('web', 3) });

  const web = await waitFor({
    what: 'deployment web to have 3 available replicas',
    read: () => apps.readNamespacedDeployment({ name: 'web', namespace }),
    until: (d) => rolledOut(d, 3),
  });
  expect(web.status?.readyReplicas).toBe(3);

  const pods = await core.listNamespacedPod({ namespace, labelSelector: 'app=web' });
  expect(pods.items).toHaveLength(3);
  for (const pod of pods.items) {
    expect(pod.spec?.nodeName).toMatch(/^kwok-node-\d+$/); // placed by the real scheduler
    expect(pod.status?.phase).toBe('Running');
    expect(pod.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
  }
});

test('rollout restart makes a second ReplicaSet with revision 2, and the rollout completes', async () => {
  await kubectl(['-n', namespace, 'rollout', 'restart', 'deployment/web']);
  const status = await kubectl(['-n', namespace, 'rollout', 'status', 'deployment/web', '--timeout=120s']);
  expect(status).toMatch(/successfully rolled out/);

  const sets = await waitFor({
    what: 'the old ReplicaSet of web to scale to 0',
    read: async () => (await apps.listNamespacedReplicaSet({ namespace, labelSelector: 'app=web' })).items,
    until: (items) =>
      items.length === 2 &&
      items.every((rs) => (revision(rs) === 1 ? rs.status?.replicas === 0 : rs.status?.readyReplicas === 3)),
  });
  const byRevision = [...sets].sort((a, b) => revision(a) - revision(b));
  expect(byRevision.map(revision)).toEqual([1, 2]);
  const [oldSet, newSet] = byRevision as [V1ReplicaSet, V1ReplicaSet];
  expect(oldSet.spec?.replicas).toBe(0);
  expect(newSet.spec?.template?.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt']).toBeDefined();

  const web = await apps.readNamespacedDeployment({ name: 'web', namespace });
  expect(web.metadata?.annotations?.['deployment.kubernetes.io/revision']).toBe('2');
  const pods = await waitFor({
    what: 'only revision-2 pods of web to remain',
    read: async () => (await core.listNamespacedPod({ namespace, labelSelector: 'app=web' })).items,
    until: (items) =>
      items.length === 3 && items.every((p) => p.metadata?.ownerReferences?.[0]?.name === newSet.metadata?.name),
  });
  expect(pods.every((p) => p.status?.phase === 'Running')).toBe(true);
});

test('a Job created from a CronJob with kubectl succeeds', async () => {
  const cronJob: V1CronJob = {
    metadata: { name: 'nightly-report' },
    spec: {
      schedule: '0 3 * * *',
      suspend: true, // only the manual run below may create Jobs
      jobTemplate: {
        spec: {
          backoffLimit: 0,
          template: {
            spec: {
              restartPolicy: 'Never',
              containers: [{ name: 'report', image: 'registry.example/runbooks/report:1.0.0' }],
            },
          },
        },
      },
    },
  };
  await batch.createNamespacedCronJob({ namespace, body: cronJob });

  await kubectl(['-n', namespace, 'create', 'job', 'nightly-report-manual', '--from=cronjob/nightly-report']);

  const job: V1Job = await waitFor({
    what: 'job nightly-report-manual to succeed',
    read: () => batch.readNamespacedJob({ name: 'nightly-report-manual', namespace }),
    until: (j) => j.status?.succeeded === 1,
  });
  expect(job.status?.conditions?.find((c) => c.type === 'Complete')?.status).toBe('True');
  expect(job.metadata?.annotations?.['cronjob.kubernetes.io/instantiate']).toBe('manual');
  expect(job.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'CronJob', name: 'nightly-report' });
});

test("pod logs are served through the apiserver from kwok's ClusterLogs file", async () => {
  await apps.createNamespacedDeployment({ namespace, body: deployment('logger', 1) });
  await waitFor({
    what: 'deployment logger to be available',
    read: () => apps.readNamespacedDeployment({ name: 'logger', namespace }),
    until: (d) => rolledOut(d, 1),
  });
  const pod = (await core.listNamespacedPod({ namespace, labelSelector: 'app=logger' })).items[0];
  const log = await core.readNamespacedPodLog({ name: pod?.metadata?.name ?? '', namespace, container: 'app' });
  expect(log).toContain('simulated container log');
});
