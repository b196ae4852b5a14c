/**
 * Pod, job and service actions against the real control plane: not-ready summaries, bounded
 * deletes that spare replacements, a job from a cronjob that completes (kwok completes job pods),
 * service isolation and a blue-green switch; the "already as asked" paths.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { connectKube, type KubeClients } from '../../src/activities/kubernetes/client';
import { createPodActions } from '../../src/activities/kubernetes/pods';
import { createWorkloadActions } from '../../src/activities/kubernetes/workloads';
import type { StepContext } from '../../src/shared/activity-types';
import { kubectl, testKubeconfig, waitFor } from './cluster';

const namespace = `work-${Date.now().toString(36)}`;
let k: KubeClients;
const pods = createPodActions(async () => k);
const work = createWorkloadActions(async () => k);
const step = (stepId: string): StepContext => ({
  workflowId: `wf-${namespace}`,
  runId: 'r',
  stepId,
  runbookId: 'rb',
  idempotencyKey: `wf-${namespace}/${stepId}`,
  dryRun: false,
});
const inActivity = <T>(fn: () => Promise<T>, env = new MockActivityEnvironment()): Promise<T> => env.run(fn);

beforeAll(async () => {
  k = await connectKube({ kubeconfig: testKubeconfig() });
  await kubectl(['create', 'namespace', namespace]);
  const labels = { app: 'api' };
  const file = join(mkdtempSync(join(tmpdir(), 'work-')), 'objects.json');
  writeFileSync(
    file,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'List',
      items: [
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'api', namespace },
          spec: {
            replicas: 3,
            selector: { matchLabels: labels },
            template: {
              metadata: { labels },
              spec: { containers: [{ name: 'api', image: 'registry.example/api:1' }] },
            },
          },
        },
        {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: 'api', namespace },
          spec: { type: 'NodePort', selector: { app: 'api', slot: 'blue' }, ports: [{ port: 80, targetPort: 8080 }] },
        },
        {
          apiVersion: 'batch/v1',
          kind: 'CronJob',
          metadata: { name: 'backup', namespace },
          spec: {
            schedule: '0 2 * * *',
            suspend: true,
            jobTemplate: {
              metadata: { labels: { job: 'backup' } },
              spec: {
                template: {
                  spec: {
                    restartPolicy: 'Never',
                    containers: [{ name: 'backup', image: 'registry.example/backup:1' }],
                  },
                },
              },
            },
          },
        },
      ],
    }),
  );
  await kubectl(['apply', '-f', file]);
  await inActivity(() =>
    pods.waitReady({ namespace, selector: 'app=api', count: 3, timeoutSeconds: 90, intervalSeconds: 1 }),
  );
});

afterAll(async () => {
  await kubectl(['delete', 'namespace', namespace, '--wait=false']).catch(() => undefined);
});

test('list summarises ready pods; delete is bounded and spares pods created after the step began', async () => {
  const l = await pods.list({ namespace, selector: 'app=api' });
  expect(l).toMatchObject({ total: 3, ready: 3, notReady: [] });
  // Creation times have whole seconds: the step begins in a later second than the pods it may delete.
  const newest = Math.max(
    ...(await k.core.listNamespacedPod({ namespace, labelSelector: 'app=api' })).items.map((p) =>
      new Date(p.metadata?.creationTimestamp ?? 0).getTime(),
    ),
  );
  await waitFor({
    what: 'a second after the pods were created',
    read: async () => Date.now(),
    until: (t) => t >= newest + 1000,
    intervalMs: 50,
  });
  const now = (): MockActivityEnvironment => new MockActivityEnvironment({ scheduledTimestampMs: Date.now() });
  await expect(
    inActivity(() => pods.delete({ namespace, selector: 'app=api', max: 2, onlyNotReady: false }), now()),
  ).rejects.toMatchObject({
    type: 'InvalidInput',
    message: expect.stringContaining('more than max 2: nothing deleted'),
  });
  expect((await pods.list({ namespace, selector: 'app=api' })).total).toBe(3);
  const env = now();
  const d = await inActivity(() => pods.delete({ namespace, selector: 'app=api', max: 3, onlyNotReady: false }), env);
  expect(d.deleted).toHaveLength(3);
  await inActivity(() =>
    pods.waitReady({ namespace, selector: 'app=api', count: 3, timeoutSeconds: 90, intervalSeconds: 1 }),
  );
  // The same step again (same first scheduling time): the replacements are newer, none deleted.
  const again = await inActivity(
    () => pods.delete({ namespace, selector: 'app=api', max: 3, onlyNotReady: false }),
    env,
  );
  expect(again).toEqual({ changed: false, deleted: [], reason: 'no pod to delete' });
});

test('a job from a cronjob completes; the same step again finds it', async () => {
  const j = await work.jobFromCronJob({ namespace, cronJob: 'backup' }, step('backup'));
  expect(j).toMatchObject({ changed: true, job: expect.stringMatching(/^backup-[0-9a-z]{7}-m$/) });
  expect(await work.jobFromCronJob({ namespace, cronJob: 'backup' }, step('backup'))).toMatchObject({
    changed: false,
    job: j.job,
  });
  const done = await inActivity(() =>
    work.waitJob({ namespace, name: j.job, timeoutSeconds: 120, intervalSeconds: 1 }),
  );
  expect(done.succeeded).toBe(1);
  const job = await k.batch.readNamespacedJob({ namespace, name: j.job });
  expect(job.metadata?.annotations?.['cronjob.kubernetes.io/instantiate']).toBe('manual');
  expect(job.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'CronJob', name: 'backup' });
});

test('a service is isolated (ClusterIP, node ports gone) and switched blue to green; again changes nothing', async () => {
  expect(await work.patchService({ namespace, name: 'api', selector: { app: 'api', slot: 'green' } })).toMatchObject({
    changed: true,
    selector: { app: 'api', slot: 'green' },
  });
  expect(await work.patchService({ namespace, name: 'api', type: 'ClusterIP' })).toMatchObject({
    changed: true,
    type: 'ClusterIP',
  });
  const svc = await waitFor({
    what: 'the service as patched',
    read: () => k.core.readNamespacedService({ namespace, name: 'api' }),
    until: (s) => s.spec?.type === 'ClusterIP',
  });
  expect(svc.spec?.selector).toEqual({ app: 'api', slot: 'green' });
  expect(svc.spec?.ports?.[0]?.nodePort).toBeUndefined();
  expect(
    await work.patchService({ namespace, name: 'api', type: 'ClusterIP', selector: { slot: 'green', app: 'api' } }),
  ).toMatchObject({ changed: false });
  await expect(work.patchService({ namespace, name: 'nope', type: 'ClusterIP' })).rejects.toMatchObject({
    type: 'NotFound',
  });
});
