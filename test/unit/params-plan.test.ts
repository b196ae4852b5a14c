import { loadRunbookText } from '../../src/runbooks/load';
import { coerceParam, resolveParams } from '../../src/runbooks/params';
import { planRun } from '../../src/runbooks/plan';
import { canonicalJson } from '../../src/shared/canonical';

const rb = loadRunbookText(
  `
id: scale
title: Scale
params:
  service: { type: string }
  replicas: { type: int, default: 2 }
  mode: { type: enum, values: [fast, safe], default: safe }
  force: { type: bool, default: false }
  grace: { type: duration, default: 30s }
steps:
  - id: probe
    action: http:endpoint:check
    with: { url: "http://svc/\${{ params.service }}/healthz" }
  - id: gate
    approval: { message: "Scale \${{ params.service }} to \${{ params.replicas }}?" }
  - id: forced
    when: \${{ params.force }}
    action: http:request:send
    with: { method: POST, url: "http://svc/force" }
  - id: scale
    when: \${{ !steps.probe.output.ok || params.mode == 'fast' }}
    action: http:request:send
    with: { method: PUT, url: "http://svc/scale", body: { replicas: "\${{ params.replicas }}", was: "\${{ steps.probe.output.status }}" } }
  - id: read
    action: http:request:send
    with: { url: "http://svc/status" }
  - id: pause
    wait: \${{ params.grace }}
`.replace('wait: ${{ params.grace }}', 'wait: 30s'),
  'scale.yaml',
);

describe('params', () => {
  test('typed from strings (CLI, query) or JSON values; defaults filled', () => {
    expect(resolveParams(rb.params, { service: 'api', replicas: '5', force: 'true' })).toEqual({
      params: { service: 'api', replicas: 5, mode: 'safe', force: true, grace: '30s' },
    });
  });
  test('every problem names its field', () => {
    expect(resolveParams(rb.params, { replicas: 'x', mode: 'turbo', force: 'yes', grace: 'soon', extra: 1 })).toEqual({
      errors: [
        { field: 'params.extra', message: 'unknown parameter (known: service, replicas, mode, force, grace)' },
        { field: 'params.service', message: 'required' },
        { field: 'params.replicas', message: 'expected an integer' },
        { field: 'params.mode', message: 'expected one of fast, safe' },
        { field: 'params.force', message: 'expected true or false' },
        { field: 'params.grace', message: 'expected a duration such as 30s, 5m, 1h' },
      ],
    });
  });
  test('no prototype keys sneak in', () => {
    const given = JSON.parse('{"__proto__": {"polluted": 1}, "service": "a"}') as Record<string, unknown>;
    const r = resolveParams(rb.params, given);
    expect(r).toEqual({
      errors: [{ field: 'params.__proto__', message: expect.stringContaining('unknown parameter') }],
    });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
  test('ints must be safe integers', () => {
    expect(coerceParam({ type: 'int', required: true }, 1.5)).toEqual({ error: 'expected an integer' });
    expect(coerceParam({ type: 'int', required: true }, '-3')).toEqual({ value: -3 });
  });
});

describe('plans', () => {
  const params = { service: 'api', replicas: 3, mode: 'safe', force: false, grace: '30s' };

  test('resolve what params decide and mark what only the run knows', () => {
    const plan = planRun(rb, params);
    const byId = Object.fromEntries(plan.steps.map((s) => [s.id, s]));
    expect(byId.probe).toMatchObject({ runs: 'yes', mutating: false, inputs: { url: 'http://svc/api/healthz' } });
    expect(byId.gate).toMatchObject({ kind: 'approval', message: 'Scale api to 3?' });
    expect(byId.forced).toMatchObject({ runs: 'no', mutating: true });
    expect(byId.scale).toMatchObject({
      runs: 'depends',
      mutating: true,
      inputs: { method: 'PUT', url: 'http://svc/scale', body: { replicas: 3, was: '<steps.probe.output.status>' } },
    });
    expect(byId.read).toMatchObject({ runs: 'yes', mutating: false });
    expect(byId.pause).toMatchObject({ kind: 'wait', wait: '30s' });
    expect(plan.mutatingSteps).toEqual(['scale']);
    expect(plan.runbook).toEqual({ id: 'scale', title: 'Scale', version: rb.version });
  });

  test('are stable: same inputs, same hash, whatever the key order; other inputs, other hash', () => {
    const a = planRun(rb, params);
    const reordered = Object.fromEntries(Object.entries(params).reverse());
    expect(planRun(rb, reordered).hash).toBe(a.hash);
    expect(a.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(planRun(rb, { ...params, replicas: 4 }).hash).not.toBe(a.hash);
    expect(planRun(rb, { ...params, mode: 'fast' }).steps.find((s) => s.id === 'scale')?.runs).toBe('yes');
  });

  test('canonical JSON sorts keys at every depth', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 2 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[2,{"e":2,"f":1}]},"b":1}',
    );
  });
});
