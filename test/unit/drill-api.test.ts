/**
 * Chaos drills through the kind and the API, no server: the kind prepares a signed start from
 * the experiment library (unknown experiments and missing remediation runbooks refused by
 * name), the routes list the experiments, start a drill as the token says (403 without the
 * operator role) and answer a drill's report as JSON, Markdown or SVG.
 */
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { buildApp } from '../../src/api/app';
import { loadConfig } from '../../src/config/load';
import { loadExperimentLibrary } from '../../src/experiments/library';
import { projectRoot } from '../../src/platform/project-root';
import { drillKind } from '../../src/runs/drill-kind';
import { createDrillService } from '../../src/runs/drills';
import type { RunService, StartRunRequest } from '../../src/runs/service';
import { CHAOS_DRILL_WORKFLOW } from '../../src/shared/constants';
import type { DrillReport } from '../../src/shared/drill';
import { libraryOf, runbookFromYaml } from '../support/runbook-worker';

const config = loadConfig({}, process.cwd());
const lib = loadExperimentLibrary(join(projectRoot(), 'experiments'));
const trigger = { source: 'api' as const, requestedBy: 'alice' };
const serviceDown = runbookFromYaml('id: service-down\ntitle: t\nsteps:\n  - id: w\n    wait: 1s\n');

test('the kind: a signed start from the experiment library, its remediation runbook required', () => {
  const ctx = {
    library: libraryOf(serviceDown),
    config: { approverGroups: { oncall: ['bob'] } },
    experiments: lib.experiments,
  };
  const p = drillKind.prepare(ctx, { target: 'ai-pipeline-down', params: {}, trigger });
  const x = lib.experiments.get('ai-pipeline-down')!;
  expect(p).toMatchObject({
    kind: 'chaos-drill',
    workflowType: CHAOS_DRILL_WORKFLOW,
    workflowIdPrefix: 'chaos-drill-ai-pipeline-down',
  });
  expect(p.input).toEqual({ experiment: x, trigger, approverGroups: { oncall: ['bob'] } });
  expect(p.intent).toMatchObject({ runbookId: 'ai-pipeline-down', definition: x, approverGroups: { oncall: ['bob'] } });
  expect(drillKind.exactWorkflowId).toBeUndefined();
  expect(() =>
    drillKind.prepare({ ...ctx, library: libraryOf() }, { target: 'ai-pipeline-down', params: {}, trigger }),
  ).toThrow("experiment 'ai-pipeline-down' is remediated by runbook 'service-down', which is not in the library");
  expect(() => drillKind.prepare(ctx, { target: 'nope', params: {}, trigger })).toThrow(
    "no experiment 'nope' (experiments/*.yaml; known: ai-pipeline-down, ai-pipeline-pod-loss)",
  );
  expect(() => drillKind.prepare(ctx, { target: 'ai-pipeline-pod-loss', params: { x: 1 }, trigger })).toThrow(
    "unknown param 'x'",
  );
  expect(() => drillKind.prepare(ctx, { target: 'ai-pipeline-pod-loss', params: {}, trigger, dryRun: true })).toThrow(
    'a drill has no dry run',
  );
  expect(drillKind.targetExists(ctx, 'ai-pipeline-pod-loss')).toBe(true);
});

const report: DrillReport = {
  experiment: 'ai-pipeline-pod-loss',
  version: 'abc123abc123',
  title: 'AI pipeline survives losing two pods',
  outcome: 'passed',
  startedAt: '2026-12-02T10:00:00.000Z',
  finishedAt: '2026-12-02T10:02:00.000Z',
  requestedBy: 'alice',
  phases: [],
  readings: [{ at: '2026-12-02T10:00:00.000Z', probe: 'available', ok: true }],
  hypothesis: { before: true, during: false, after: true },
  faults: [],
  recovery: { objectiveMs: 120_000, ms: 30_000, met: true, by: 'hypothesis' },
  rollbacks: [],
  events: [],
};

function api() {
  const started: StartRunRequest[] = [];
  const runs = {
    ready: async () => true,
    call: <T>(fn: () => Promise<T>) => fn(),
    start: async (req: StartRunRequest) => {
      started.push(req);
      return { workflowId: 'chaos-drill-ai-pipeline-pod-loss-1', runId: 'r', url: 'u', created: true };
    },
  } as unknown as RunService;
  let type = CHAOS_DRILL_WORKFLOW;
  const client = {
    workflow: {
      getHandle: () => ({ describe: async () => ({ type, status: { name: 'COMPLETED' } }), query: async () => report }),
    },
    connection: { withDeadline: <T>(_d: number, fn: () => Promise<T>) => fn() },
  };
  const drills = createDrillService({
    runs,
    client: client as never,
    experiments: () => lib.experiments,
    files: () => lib.files,
  });
  const app = buildApp({ runs, library: () => libraryOf(), tokens: config.tokens, registry: new Registry(), drills });
  return { app, started, setType: (t: string) => (type = t) };
}

const alice = { authorization: 'Bearer dev-alice-operator' };
const viewer = { authorization: 'Bearer dev-viewer-token' };

test('the routes: experiments listed, a drill started as the token says, its report in three forms', async () => {
  const { app, started, setType } = api();
  const list = (await app.inject({ url: '/v1/experiments', headers: viewer })).json();
  expect(list.experiments.map((x: { id: string }) => x.id).sort()).toEqual([
    'ai-pipeline-down',
    'ai-pipeline-pod-loss',
  ]);
  expect(list.experiments.find((x: { id: string }) => x.id === 'ai-pipeline-pod-loss')).toMatchObject({
    namespace: 'production',
    approval: true,
    faults: [{ name: 'delete-two-pods', kind: 'deletePods', action: 'k8s:pod:delete' }],
    file: expect.stringMatching(/experiments\/ai-pipeline-pod-loss\.yaml$/),
  });

  expect(
    (await app.inject({ method: 'POST', url: '/v1/drills/ai-pipeline-pod-loss', headers: viewer })).statusCode,
  ).toBe(403);
  const r = await app.inject({
    method: 'POST',
    url: '/v1/drills/ai-pipeline-pod-loss',
    headers: alice,
    payload: { reason: 'game day', actor: 'eve' },
  });
  // Who starts it is the token's: a body naming someone is refused.
  expect(r.statusCode).toBe(400);
  expect(r.json().error).toContain('actor');
  const ok = await app.inject({
    method: 'POST',
    url: '/v1/drills/ai-pipeline-pod-loss',
    headers: alice,
    payload: { reason: 'game day' },
  });
  expect(ok.statusCode).toBe(201);
  expect(started).toEqual([
    {
      kind: 'chaos-drill',
      target: 'ai-pipeline-pod-loss',
      params: {},
      reason: 'game day',
      trigger: { source: 'api', requestedBy: 'alice' },
    },
  ]);

  const json = (await app.inject({ url: '/v1/drills/runs/chaos-drill-1', headers: viewer })).json();
  expect(json).toMatchObject({ workflowId: 'chaos-drill-1', status: 'COMPLETED', report: { outcome: 'passed' } });
  const md = await app.inject({ url: '/v1/drills/runs/chaos-drill-1?format=markdown', headers: viewer });
  expect(md.headers['content-type']).toContain('text/markdown');
  expect(md.body).toContain('# Chaos drill ai-pipeline-pod-loss: passed');
  const svg = await app.inject({ url: '/v1/drills/runs/chaos-drill-1?format=svg', headers: viewer });
  expect(svg.headers['content-type']).toContain('image/svg+xml');
  expect(svg.body).toContain('ai-pipeline-pod-loss: passed');
  const bad = await app.inject({ url: '/v1/drills/runs/chaos-drill-1?format=pdf', headers: viewer });
  expect(bad.statusCode).toBe(400);
  setType('runbookWorkflow');
  const notDrill = await app.inject({ url: '/v1/drills/runs/some-runbook-run', headers: viewer });
  expect(notDrill.statusCode).toBe(404);
  expect(notDrill.json().error).toContain("no chaos drill 'some-runbook-run'");
});
