/**
 * Experiment files (experiments/*.yaml) load like runbooks: every problem at once as
 * file:line:column, faults compiled to catalog actions with the rollbacks they get without being
 * told, and the blast radius held at load (one namespace, no more pods or nodes than budgeted).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadExperimentLibrary } from '../../src/experiments/library';
import { ExperimentLoadError, loadExperiment } from '../../src/experiments/load';
import { projectRoot } from '../../src/platform/project-root';

const BASE = `id: pod-loss
title: Pods come back
budget: { namespace: shop, maxPods: 2 }
steadyState:
  probes:
    - name: available
      kubernetes: { namespace: shop, deployment: checkout }
method:
  - name: kill
    fault:
      deletePods: { namespace: shop, selector: app=checkout, count: 2 }
`;

function problemsOf(text: string): string[] {
  try {
    loadExperiment(text, 'x.yaml');
  } catch (err) {
    if (err instanceof ExperimentLoadError) return err.message.split('\n');
    throw err;
  }
  throw new Error('it loaded');
}

test('the shipped experiments load, with their faults as catalog actions and their defaults', () => {
  const lib = loadExperimentLibrary(join(projectRoot(), 'experiments'));
  expect(lib.problems).toEqual([]);
  expect([...lib.experiments.keys()].sort()).toEqual(['ai-pipeline-down', 'ai-pipeline-pod-loss']);
  const down = lib.experiments.get('ai-pipeline-down')!;
  // Scaled away, and back to the replicas it had when the fault went in.
  expect(down.method).toEqual([
    {
      name: 'scale-to-zero',
      kind: 'scaleDeployment',
      action: 'k8s:deployment:scale',
      input: { namespace: 'production', name: 'ai-pipeline', replicas: 0 },
      rollback: {
        action: 'k8s:deployment:scale',
        input: { namespace: 'production', name: 'ai-pipeline' },
        fromOutput: { replicas: 'from' },
      },
    },
  ]);
  expect(down).toMatchObject({
    approval: { required: true, approvers: ['group:oncall'], timeoutMs: 1_800_000 },
    detect: { alert: 'ServiceDown', labels: { service: 'ai-pipeline' }, withinMs: 300_000 },
    remediation: { runbook: 'service-down', params: { service: 'ai-pipeline', namespace: 'production' } },
    recoverWithinMs: 900_000,
    observeMs: 600_000,
    everyMs: 10_000,
    abort: { onDeviation: [], unrelatedAlerts: true },
  });
  expect(down.version).toMatch(/^[0-9a-f]{12}$/);
  const loss = lib.experiments.get('ai-pipeline-pod-loss')!;
  expect(loss.method[0]).toMatchObject({ kind: 'deletePods', action: 'k8s:pod:delete', pods: 2 });
  expect(loss.method[0]?.rollback).toBeUndefined();
  expect(loss.probes).toEqual([
    {
      name: 'available',
      kind: 'kubernetes',
      spec: { namespace: 'production', deployment: 'ai-pipeline' },
      tolerance: 1,
    },
    {
      name: 'health',
      kind: 'http',
      spec: { url: 'http://ai-pipeline.production.svc:8080/health', method: 'GET', status: [200], timeout: '5s' },
      tolerance: 3,
    },
  ]);
});

test('blast radius: more pods than the budget, another namespace, or unbudgeted nodes are refused at load', () => {
  expect(problemsOf(BASE.replace('count: 2', 'count: 3'))).toEqual([
    "x.yaml:3:37: budget.maxPods: the method deletes up to 3 pods, more than the budget's 2",
  ]);
  // Two faults adding up past the budget, one as a plain catalog action.
  const two = `${BASE}  - name: more\n    action: k8s:pod:delete\n    with: { namespace: shop, selector: app=cart, max: 1 }\n`;
  expect(problemsOf(two)).toEqual([
    "x.yaml:3:37: budget.maxPods: the method deletes up to 3 pods, more than the budget's 2",
  ]);
  expect(problemsOf(BASE.replace('deletePods: { namespace: shop', 'deletePods: { namespace: payments'))).toEqual([
    "x.yaml:9:5: method[0]: acts in namespace 'payments', outside the budget's namespace 'shop'",
  ]);
  const node = `${BASE}  - name: cordon\n    fault: { cordonNode: { node: kwok-node-0 } }\n`;
  expect(problemsOf(node)).toContain(
    "x.yaml:3:9: budget.maxNodes: the method touches 1 node(s) (kwok-node-0), more than the budget's 0",
  );
  // A read outside the namespace is fine: only what changes things is held to it.
  const read = `${BASE}  - name: look\n    action: k8s:pod:list\n    with: { namespace: payments, selector: app=x }\n`;
  expect(loadExperiment(read, 'x.yaml').method).toHaveLength(2);
});

test('every problem at once, each at its line: unknown actions and inputs, names, aborts, probes', () => {
  const text = `id: bad
title: Bad
budget: { namespace: shop, maxPods: 2 }
steadyState:
  probes:
    - name: twice
      http: { url: "http://a/health" }
      redis: { server: cache }
    - name: kill
      sql: { database: orders, query: "SELECT 1" }
method:
  - name: kill
    action: k8s:pods:zap
  - name: scale
    action: k8s:deployment:scale
    with: { namespace: shop, name: checkout }
rollbacks:
  - name: back
    action: k8s:deployment:scale
    with: { namespace: shop, name: checkout, replicas: -1 }
abort:
  onDeviation: [nothing]
`;
  // The schema first: a probe with two kinds stops the rest.
  expect(problemsOf(text)).toEqual([
    'x.yaml:6:7: steadyState.probes[0]: a probe has exactly one of: http, prometheus, kubernetes, sql, redis',
  ]);
  expect(problemsOf(text.replace('      redis: { server: cache }\n', ''))).toEqual([
    "x.yaml:11:11: method[0].name: name 'kill' is also used by steadyState.probes.1.name",
    "x.yaml:21:17: abort.onDeviation[0]: no probe 'nothing' (probes: twice, kill)",
    "x.yaml:12:13: method[0].action: no action 'k8s:pods:zap' in the catalog (docs/actions.md)",
    'x.yaml:15:11: method[1].with: give exactly one of replicas, by',
    'x.yaml:19:56: rollbacks[0].with.replicas: Too small: expected number to be >=0',
  ]);
  expect(problemsOf('id: x\ntitle: [unclosed\n')[0]).toMatch(/^x\.yaml:\d+:\d+: \(yaml\): Flow sequence/);
});

test('the library: a broken file reported and left out, ids unique across files, no folder no experiments', () => {
  const dir = mkdtempSync(join(tmpdir(), 'experiments-'));
  mkdirSync(join(dir, 'game-days'));
  writeFileSync(join(dir, 'a.yaml'), BASE);
  writeFileSync(join(dir, 'game-days', 'b.yaml'), BASE);
  writeFileSync(join(dir, 'c.yml'), BASE.replace('pod-loss', 'other').replace('count: 2', 'count: 5'));
  const lib = loadExperimentLibrary(dir);
  expect([...lib.experiments.keys()]).toEqual(['pod-loss']);
  expect(lib.problems.map((p) => `${p.file.split('/').pop()}:${p.line}: ${p.field}: ${p.message}`)).toEqual([
    "c.yml:3: budget.maxPods: the method deletes up to 5 pods, more than the budget's 2",
    expect.stringMatching(/^b\.yaml:1: id: experiment id 'pod-loss' is also used by .*a\.yaml$/),
  ]);
  expect(loadExperimentLibrary(join(dir, 'none')).experiments.size).toBe(0);
});
