/**
 * Probes as the catalog's read actions: each kind's call is one its action's input schema takes
 * (the loader checks the same), and each answer, or failure, is judged the way the table in
 * src/shared/probes.ts says.
 */
import { CATALOG } from '../../src/catalog';
import { loadExperiment } from '../../src/experiments/load';
import type { ProbeDefinition } from '../../src/shared/experiment';
import { judgeProbe, probeCall } from '../../src/shared/probes';

const experiment = loadExperiment(
  `id: probes
title: Every probe kind
budget: { namespace: shop, maxPods: 1 }
steadyState:
  probes:
    - name: web
      http: { url: "http://shop.test/health", contains: ok, timeout: 2s }
    - name: errors
      prometheus: { url: "http://prom.test:9090/", query: 'sum(rate(errors[5m]))', max: 0.05 }
    - name: errors-5m
      prometheus: { url: "http://prom.test:9090", query: up, min: 1, over: 5m, step: 30s }
    - name: pods
      kubernetes: { namespace: shop, deployment: checkout }
    - name: some-pods
      kubernetes: { namespace: shop, selector: app=cart, minReady: 2 }
    - name: db
      sql: { database: orders, query: "SELECT 1", expectRows: { min: 1 } }
    - name: cache
      redis: { server: cache }
method:
  - name: kill
    fault: { deletePods: { namespace: shop, selector: app=checkout, count: 1 } }
`,
  'probes.yaml',
);
const probe = (name: string): ProbeDefinition => experiment.probes.find((p) => p.name === name)!;
const NOW = Date.UTC(2026, 11, 2, 10, 0, 0);

test('each probe is a call its catalog action takes', () => {
  for (const p of experiment.probes) {
    const call = probeCall(p, NOW);
    const parsed = CATALOG.get(call.action)?.input.safeParse(call.input);
    expect({ probe: p.name, ok: parsed?.success }).toEqual({ probe: p.name, ok: true });
    if (call.action !== 'http:request:send') expect(CATALOG.get(call.action)?.mutating).toBe(false);
  }
  expect(probeCall(probe('web'), NOW)).toEqual({
    action: 'http:endpoint:check',
    input: {
      url: 'http://shop.test/health',
      method: 'GET',
      expectStatus: [200],
      bodyContains: 'ok',
      requestTimeoutMs: 2000,
    },
  });
  expect(probeCall(probe('errors'), NOW).input.url).toBe(
    'http://prom.test:9090/api/v1/query?query=sum(rate(errors%5B5m%5D))',
  );
  // A range ends at the workflow's now and starts `over` before it.
  expect(probeCall(probe('errors-5m'), NOW).input.url).toBe(
    `http://prom.test:9090/api/v1/query_range?query=up&start=${NOW / 1000 - 300}&end=${NOW / 1000}&step=30`,
  );
  expect(probeCall(probe('pods'), NOW)).toEqual({
    action: 'k8s:pod:list',
    input: { namespace: 'shop', deployment: 'checkout' },
  });
  expect(probeCall(probe('db'), NOW).input).toMatchObject({
    database: 'orders',
    sql: 'SELECT 1',
    expectRows: { min: 1 },
  });
  expect(probeCall(probe('cache'), NOW)).toEqual({ action: 'redis:health:read', input: { server: 'cache' } });
  // A GET to Prometheus changes nothing: the catalog agrees.
  const get = CATALOG.get('http:request:send')!;
  expect(
    typeof get.mutating === 'function' ? get.mutating(probeCall(probe('errors'), NOW).input as never) : get.mutating,
  ).toBe(false);
});

test('answers judged: held, deviated, and a failed read is a deviation with its message', () => {
  expect(judgeProbe(probe('web'), { output: { ok: true, status: 200, latencyMs: 3, problems: [] } })).toEqual({
    ok: true,
    value: 200,
  });
  expect(
    judgeProbe(probe('web'), { output: { ok: false, status: 503, latencyMs: 3, problems: ['status 503'] } }),
  ).toEqual({ ok: false, value: 503, detail: 'status 503' });
  expect(judgeProbe(probe('web'), { error: 'fetch failed: ECONNREFUSED http://shop.test/health' })).toEqual({
    ok: false,
    value: null,
    detail: 'fetch failed: ECONNREFUSED http://shop.test/health',
  });

  const vector = (v: string) => ({
    body: { status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [1, v] }] } },
  });
  expect(judgeProbe(probe('errors'), { output: vector('0.01') })).toEqual({ ok: true, value: 0.01 });
  expect(judgeProbe(probe('errors'), { output: vector('0.2') })).toEqual({
    ok: false,
    value: 0.2,
    detail: '0.2 is outside -∞..0.05',
  });
  expect(judgeProbe(probe('errors'), { output: vector('NaN') })).toMatchObject({ ok: false, value: null });
  expect(judgeProbe(probe('errors'), { output: { body: { status: 'success', data: { result: [] } } } })).toEqual({
    ok: false,
    value: null,
    detail: 'no series',
  });
  expect(judgeProbe(probe('errors'), { output: { body: 'not json' } })).toMatchObject({ ok: false });
  const matrix = (vs: string[]) => ({
    body: {
      status: 'success',
      data: { resultType: 'matrix', result: [{ metric: {}, values: vs.map((v, i) => [i, v]) }] },
    },
  });
  expect(judgeProbe(probe('errors-5m'), { output: matrix(['1', '1', '1']) })).toEqual({ ok: true, value: 1 });
  // One sample out of range in the window breaks it.
  expect(judgeProbe(probe('errors-5m'), { output: matrix(['1', '0', '1']) })).toMatchObject({
    ok: false,
    detail: '0 is outside 1..∞',
  });

  const pods = (ready: number, total: number, notReady = total - ready) => ({
    output: { ready, total, notReady: Array.from({ length: notReady }, () => ({})), pods: [] },
  });
  expect(judgeProbe(probe('pods'), pods(3, 3))).toEqual({ ok: true, value: 3, detail: '3/3 ready' });
  // A replacement still starting, or scaled to nothing: not the steady state.
  expect(judgeProbe(probe('pods'), pods(2, 3))).toMatchObject({ ok: false });
  expect(judgeProbe(probe('pods'), pods(0, 0))).toMatchObject({ ok: false, detail: '0/0 ready' });
  expect(judgeProbe(probe('some-pods'), pods(2, 3))).toEqual({ ok: true, value: 2, detail: '2/3 ready (at least 2)' });

  expect(judgeProbe(probe('db'), { output: { rowCount: 1, rows: [] } })).toEqual({ ok: true, value: 1 });
  expect(judgeProbe(probe('db'), { error: 'expected at least 1 rows, got 0' })).toMatchObject({ ok: false });
  expect(judgeProbe(probe('cache'), { output: { persistence: { loading: false } } })).toEqual({
    ok: true,
    value: null,
  });
  expect(judgeProbe(probe('cache'), { output: { persistence: { loading: true } } })).toEqual({
    ok: false,
    value: null,
    detail: 'loading its dataset',
  });
});
