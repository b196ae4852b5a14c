/**
 * Every Kubernetes catalog entry's documented example (docs/actions.md) runs, through the real
 * activity envelope (input validation, typed failures), against the real control plane, in a
 * `production` namespace holding what the examples name: the checkout deployment and service,
 * the postgres-backup cronjob. The examples run in an order that gives undo a revision to go
 * back to and the job wait a job.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { connectKube, type KubeClients } from '../../src/activities/kubernetes/client';
import { createKubernetesActivities } from '../../src/activities/kubernetes';
import { CATALOG } from '../../src/catalog';
import type { ActionInput, ActionResult } from '../../src/shared/activity-types';
import { kubectl, testKubeconfig } from './cluster';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let k: KubeClients;
/** Runs an activity in an activity context, typed. */
const runIn = (
  env: MockActivityEnvironment,
  fn: (i: ActionInput) => Promise<ActionResult>,
  input: ActionInput,
): Promise<ActionResult> => env.run(fn, input);
const activities = createKubernetesActivities({
  kube: async () => k,
  metrics: { observeStep: () => undefined },
}) as unknown as Record<string, (i: ActionInput) => Promise<ActionResult>>;
const ORDER = [
  'k8s:manifest:apply',
  'k8s:node:conditions',
  'k8s:hpa:list',
  'k8s:pod:list',
  'k8s:pod:wait-ready',
  'k8s:pod:logs',
  'k8s:deployment:history',
  'k8s:deployment:restart',
  'k8s:deployment:rollout-status',
  'k8s:deployment:undo',
  'k8s:deployment:set-image',
  'k8s:deployment:set-env',
  'k8s:deployment:scale',
  'k8s:pod:delete',
  'k8s:service:patch',
  'k8s:job:from-cronjob',
  'k8s:job:wait',
  // Uncordon right after drain (kwok-node-0 is not left cordoned); delete removes apply's ConfigMap.
  'k8s:node:cordon',
  'k8s:node:drain',
  'k8s:node:uncordon',
  'k8s:manifest:delete',
];

beforeAll(async () => {
  k = await connectKube({ kubeconfig: testKubeconfig() });
  const labels = { app: 'checkout' };
  const file = join(mkdtempSync(join(tmpdir(), 'examples-')), 'production.json');
  writeFileSync(
    file,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'List',
      items: [
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'production' } },
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'checkout', namespace: 'production' },
          spec: {
            replicas: 2,
            selector: { matchLabels: labels },
            template: {
              metadata: { labels },
              spec: {
                containers: [
                  { name: 'checkout', image: 'registry.example/checkout:1.4.1', env: [{ name: 'DEBUG', value: '1' }] },
                ],
              },
            },
          },
        },
        {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: 'checkout', namespace: 'production' },
          spec: { selector: { app: 'checkout', slot: 'blue' }, ports: [{ port: 80 }] },
        },
        {
          apiVersion: 'batch/v1',
          kind: 'CronJob',
          metadata: { name: 'postgres-backup', namespace: 'production' },
          spec: {
            schedule: '0 2 * * *',
            suspend: true,
            jobTemplate: {
              spec: {
                template: {
                  spec: {
                    restartPolicy: 'Never',
                    containers: [{ name: 'backup', image: 'registry.example/postgres-backup:16' }],
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
  await kubectl(['-n', 'production', 'rollout', 'status', 'deployment/checkout', '--timeout=90s']);
});

afterAll(async () => {
  await kubectl(['delete', 'namespace', 'production', '--wait=false']).catch(() => undefined);
});

test('every Kubernetes catalog entry is exercised here', () => {
  expect(
    [...CATALOG.values()]
      .filter((e) => e.example.needs === 'kubernetes')
      .map((e) => e.id)
      .sort(),
  ).toEqual([...ORDER].sort());
});

test.each(ORDER.map((id) => [id]))('the documented example of %s runs', async (id) => {
  const entry = CATALOG.get(id);
  if (!entry) throw new Error(`no catalog entry ${id}`);
  if (id === 'k8s:job:wait')
    await kubectl(['-n', 'production', 'create', 'job', 'postgres-backup-manual', '--from=cronjob/postgres-backup']);
  const step = {
    workflowId: 'wf-examples',
    runId: 'r',
    stepId: id.replace(/:/g, '-'),
    runbookId: 'examples',
    idempotencyKey: `wf-examples/${id}`,
    dryRun: false,
  };
  const env = new MockActivityEnvironment({ scheduledTimestampMs: Date.now() });
  const result = await runIn(env, activities[entry.id] as (i: ActionInput) => Promise<ActionResult>, {
    step,
    input: entry.example.with,
  });
  expect(entry.output.safeParse(result.output).success).toBe(true);
  if (id === 'k8s:pod:logs') {
    // The example greps ERROR; the simulated pods log no such line: each pod answers, with none kept.
    expect((result.output as { pods: Array<{ lines: string[] }> }).pods.map((p) => p.lines)).toEqual([[], []]);
  }
});

test('logs: tail and grep over what the pods print', async () => {
  const env = new MockActivityEnvironment();
  const all = await runIn(env, activities['k8s:pod:logs'] as (i: ActionInput) => Promise<ActionResult>, {
    step: { workflowId: 'w', runId: 'r', stepId: 'logs', runbookId: 'x', idempotencyKey: 'w/logs', dryRun: false },
    input: { namespace: 'production', deployment: 'checkout', tailLines: 1, maxPods: 1 },
  });
  const pods = (all.output as { pods: Array<{ pod: string; lines: string[] }> }).pods;
  expect(pods).toHaveLength(1);
  expect(pods[0]?.lines).toHaveLength(1);
  const grep = await runIn(env, activities['k8s:pod:logs'] as (i: ActionInput) => Promise<ActionResult>, {
    step: { workflowId: 'w', runId: 'r', stepId: 'logs', runbookId: 'x', idempotencyKey: 'w/logs', dryRun: false },
    input: { namespace: 'production', deployment: 'checkout', grep: 'simulated container', maxPods: 2 },
  });
  for (const p of (grep.output as { pods: Array<{ lines: string[] }> }).pods)
    expect(p.lines).toEqual([expect.stringContaining('simulated container log')]);
});
