/** Fields a step kind cannot honour are refused at load, not silently ignored. */
import { RunbookLoadError } from '../../src/runbooks/errors';
import { loadRunbookText } from '../../src/runbooks/load';

function problems(yaml: string): string[] {
  try {
    loadRunbookText(yaml, 'rb.yaml');
  } catch (err) {
    if (err instanceof RunbookLoadError)
      return err.problems.map((p) => `${p.line}:${p.column} ${p.field}: ${p.message}`);
    throw err;
  }
  return [];
}

test('retry on approval, wait and parallel; timeout on wait and parallel', () => {
  expect(
    problems(`id: x
title: X
steps:
  - id: ok
    approval: { message: go? }
    retry: { maxAttempts: 2 }
  - id: pause
    wait: 5s
    timeout: 1m
  - id: both
    timeout: 1m
    parallel:
      - { id: a, wait: 1s }
      - { id: b, wait: 1s }
`),
  ).toEqual([
    '6:12 steps[0].retry: an approval step calls no action, so it has nothing to retry',
    '9:14 steps[1].timeout: a wait step lasts its duration; it takes no timeout',
    '11:14 steps[2].timeout: a parallel step has no timeout of its own; give one to each branch',
  ]);
});

test('params of type number accept decimals', () => {
  const rb = loadRunbookText(
    `id: x
title: X
params:
  ratio: { type: number, default: 0.05 }
steps:
  - id: q
    action: http:request:send
    with: { url: "http://prom/api/v1/query?query=\${{ urlencode('rate(x[5m]) > ' + '1') }}" }
`.replace("urlencode('rate(x[5m]) > ' + '1')", "urlencode('sum(rate(x[5m])) > 0.05 & y')"),
    'rb.yaml',
  );
  expect(rb.params.ratio).toEqual({ type: 'number', required: false, default: 0.05 });
});

test('a pattern an action matches with must run in linear time: backtracking is refused at load', () => {
  const found = problems(`id: x
title: X
steps:
  - id: check
    action: http:endpoint:check
    with: { url: "http://checkout.internal/healthz", bodyMatches: "(ok)\\\\1" }
  - id: logs
    action: k8s:pod:logs
    with: { namespace: prod, deployment: checkout, grep: "(?=ERROR)" }
  - id: fine
    action: http:endpoint:check
    with: { url: "http://checkout.internal/healthz", bodyMatches: "^(a+)+b$" }
`);
  expect(found).toEqual([
    '6:67 steps[0].with.bodyMatches: not a linear-time regular expression: backreference \\1 (needs backtracking) at position 4',
    expect.stringMatching(/^9:\d+ steps\[1\]\.with\.grep: not a linear-time regular expression: look/),
  ]);
});

describe('what cannot be undone needs an approval guarding it', () => {
  const restore = (replace: string, before = '') => `id: x
title: X
params:
  replace: { type: bool, default: false }
steps:
${before}  - id: restore
    action: pg:backup:restore
    with: { database: orders, store: backups, into: orders, replace: ${replace} }
`;
  const approval = `  - id: ok
    approval: { message: replace orders? }
`;

  test('replace: true without an approval is refused at load; with one it loads', () => {
    expect(problems(restore('true'))).toEqual([
      "6:3 steps: step 'restore' (pg:backup:restore) cannot be undone and needs an approval: put an approval step before it (or list it in one's guards; not one with onTimeout: continue)",
    ]);
    expect(problems(restore('true', approval))).toEqual([]);
    const rb = loadRunbookText(restore('true', approval), 'rb.yaml');
    expect(rb.steps[1]).toMatchObject({ id: 'restore', requiresApproval: true, heartbeatTimeoutMs: 60_000 });
  });

  test('replace: false needs none; a templated replace counts as replacing', () => {
    expect(problems(restore('false'))).toEqual([]);
    expect(loadRunbookText(restore('false'), 'rb.yaml').steps[0]).not.toHaveProperty('requiresApproval');
    expect(problems(restore('"${{ params.replace }}"'))).toHaveLength(1);
  });

  test('an approval guarding other steps only does not cover it', () => {
    const guarded = `id: x
title: X
steps:
  - id: ok
    approval: { message: go?, guards: [other] }
  - id: other
    action: pg:backup:create
    with: { database: orders, store: backups }
  - id: restore
    action: pg:backup:restore
    with: { database: orders, store: backups, into: orders, replace: true }
`;
    expect(problems(guarded)).toEqual([expect.stringContaining("step 'restore' (pg:backup:restore) cannot be undone")]);
  });

  test('an approval that goes on without a decision does not cover it; an undo can never need one', () => {
    const continuing = `id: x
title: X
steps:
  - id: ok
    approval: { message: go?, onTimeout: continue }
    timeout: 1h
  - id: promote
    action: pg:server:promote
    with: { database: orders-standby }
`;
    expect(problems(continuing)).toEqual([
      expect.stringContaining("step 'promote' (pg:server:promote) cannot be undone"),
    ]);
    const undoing = `id: x
title: X
steps:
  - id: ok
    approval: { message: go? }
  - id: restore
    action: pg:backup:restore
    with: { database: orders, store: backups, into: orders_copy }
    undo:
      action: redis:db:flush
      with: { server: cache }
`;
    expect(problems(undoing)).toEqual([
      "4:3 steps: step 'restore': its undo (redis:db:flush) cannot be undone and cannot run without an approval",
    ]);
  });
});
