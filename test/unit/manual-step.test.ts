/**
 * The `manual` step kind on the loader side (what it compiles to, what it refuses, what a plan
 * shows), and the kit's reminder times (pure: the same record gives the same times).
 */
import { RunbookLoadError } from '../../src/runbooks/errors';
import { loadRunbookText } from '../../src/runbooks/load';
import { planRun } from '../../src/runbooks/plan';
import { ManualTasks, reminderSlot } from '../../src/workflows/kit/tasks';

function load(steps: string): ReturnType<typeof loadRunbookText> {
  return loadRunbookText(
    `id: x\ntitle: X\nparams:\n  owner: { type: string, default: bob }\nsteps:\n${steps}`,
    'rb.yaml',
  );
}

function problems(steps: string): string[] {
  try {
    load(steps);
  } catch (err) {
    if (err instanceof RunbookLoadError) return err.problems.map((p) => `${p.field}: ${p.message}`);
    throw err;
  }
  return [];
}

test('compiles with its defaults: notify default, not anyone, onNotDone fail, an identity in canonical form', () => {
  const rb = load(`  - id: document
    manual: { title: Document the incident, assignee: Alice@Example.com, deadline: 2h }
`);
  expect(rb.steps[0]).toEqual({
    id: 'document',
    kind: 'manual',
    retry: { maxAttempts: 3, initialIntervalMs: 1000, backoff: 2 },
    onFailure: 'fail',
    timeoutMs: 0,
    title: 'Document the incident',
    assignee: 'alice@example.com',
    deadlineMs: 7_200_000,
    notify: 'default',
    anyone: false,
    onNotDone: 'fail',
  });
});

test('takes instructions, a group or a template as assignee, remind, notify, anyone and onNotDone', () => {
  const rb = load(`  - id: phone
    manual:
      title: "Phone security about \${{ params.owner }}"
      instructions: Call the number on the wiki
      assignee: group:security
      deadline: 30m
      remind: 10m
      notify: oncall
      anyone: true
      onNotDone: continue
    onFailure: pause
  - id: review
    manual: { title: Review, assignee: "\${{ params.owner }}", deadline: 1d }
`);
  expect(rb.steps[0]).toMatchObject({
    kind: 'manual',
    instructions: 'Call the number on the wiki',
    assignee: 'group:security',
    deadlineMs: 1_800_000,
    remindMs: 600_000,
    notify: 'oncall',
    anyone: true,
    onNotDone: 'continue',
    onFailure: 'pause',
  });
  expect(rb.steps[1]).toMatchObject({ assignee: '${{ params.owner }}', deadlineMs: 86_400_000 });
  const plan = planRun(rb, { owner: 'carol' });
  expect(plan.steps.map((s) => [s.kind, s.message, s.mutating])).toEqual([
    ['manual', 'Phone security about carol (group:security, within 30m)', false],
    ['manual', 'Review (carol, within 1d)', false],
  ]);
});

test('refuses retry, timeout, onFailure: continue, a look-alike assignee, a nameless group, bad templates, a short remind', () => {
  expect(
    problems(`  - id: a
    manual: { title: A, assignee: "аlice", deadline: 1h }
    retry: { maxAttempts: 2 }
    timeout: 5m
  - id: b
    manual: { title: "\${{ params.nope }}", assignee: "group:", deadline: 1h, remind: 30s }
    onFailure: continue
  - id: c
    manual: { title: C, assignee: "\${{ steps.later.output.who }}", deadline: 1h }
  - id: later
    wait: 1s
`),
  ).toEqual([
    'steps[0].retry: a manual step calls no action, so it has nothing to retry',
    'steps[0].timeout: a manual step waits for its person: give manual.deadline (reminders go on past it)',
    expect.stringMatching(/^steps\[0\]\.manual\.assignee: .*non-ASCII/),
    "steps[1].manual.title: unknown parameter 'nope'",
    'steps[1].manual.assignee: a group needs a name: group:<name>',
    'steps[1].onFailure: a manual step ends in done or not done: say what not done does with manual.onNotDone: continue',
    'steps[1].manual.remind: remind at most once a minute (1m or more)',
    expect.stringMatching(/^steps\[2\]\.manual\.assignee: step 'later' is not finished before this point/),
  ]);
});

test('refuses a manual step without its required fields', () => {
  expect(problems(`  - id: a\n    manual: { title: A }\n`).join('\n')).toMatch(/assignee/);
  expect(problems(`  - id: a\n    manual: { title: A }\n`).join('\n')).toMatch(/deadline/);
});

describe('reminder times', () => {
  const task = { createdAt: '2026-01-01T00:00:00.000Z', dueAt: '2026-01-01T04:00:00.000Z' };
  const at = (ms: number | undefined): string | undefined =>
    ms === undefined ? undefined : new Date(ms).toISOString();
  const slots = (t: { createdAt: string; dueAt?: string }, o: { everyMs?: number; overdue?: number } = {}) =>
    Array.from({ length: 20 }, (_, i) => reminderSlot(t, i + 1, o))
      .filter((s) => s !== undefined)
      .map((s) => `${at(s.at)}${s.overdue ? ' overdue' : ''}`);

  test('no interval: at half the time, at the deadline, then each deadline length after, three at and after it', () => {
    expect(slots(task)).toEqual([
      '2026-01-01T02:00:00.000Z',
      '2026-01-01T04:00:00.000Z overdue',
      '2026-01-01T08:00:00.000Z overdue',
      '2026-01-01T12:00:00.000Z overdue',
    ]);
  });

  test('an interval: every interval before the deadline (not at it twice), then every interval after', () => {
    expect(slots(task, { everyMs: 3_600_000, overdue: 2 })).toEqual([
      '2026-01-01T01:00:00.000Z',
      '2026-01-01T02:00:00.000Z',
      '2026-01-01T03:00:00.000Z',
      '2026-01-01T04:00:00.000Z overdue',
      '2026-01-01T05:00:00.000Z overdue',
    ]);
  });

  test('bounded: a short interval sends at most ten before the deadline; no deadline, at most ten in all', () => {
    expect(slots(task, { everyMs: 60_000, overdue: 1 })).toHaveLength(11);
    expect(slots({ createdAt: task.createdAt }, { everyMs: 60_000 })).toHaveLength(10);
    expect(slots({ createdAt: task.createdAt })).toEqual([]);
  });
});

describe('ManualTasks outside a wait (what the incident workflow carries through continue-as-new)', () => {
  const make = () => {
    const changed = jest.fn();
    const tasks = new ManualTasks({ remind: async () => undefined, changed });
    return { tasks, changed };
  };

  test('open, validate, settle, list and restore', () => {
    const { tasks, changed } = make();
    const t = tasks.open({ id: 'document', title: 'Document it', assignee: 'bob', dueInMs: 3_600_000 }, 'alice');
    expect(t).toMatchObject({ id: 'document', assignee: 'bob', createdBy: 'alice', state: 'open', reminders: 0 });
    expect(Date.parse(t.dueAt as string) - Date.parse(t.createdAt)).toBe(3_600_000);
    expect(() => tasks.open({ id: 'document', title: 'again', assignee: 'bob' }, 'alice')).toThrow(
      "task 'document' is already open",
    );
    expect(() => tasks.validate('documnt', 'bob')).toThrow("no task 'documnt' (did you mean 'document'?)");
    expect(() => tasks.validate('zzz', 'bob')).toThrow("no task 'zzz' (open: document)");
    expect(() => tasks.validate('document', 'carol')).toThrow("task 'document' is bob's: carol may not settle it");
    expect(() => tasks.validate('document', 'bob', { done: false, note: ' ' })).toThrow(
      'a task not done needs a note saying why',
    );
    tasks.validate('document', 'bob', { done: true });
    tasks.settle('document', { done: false, by: 'bob', note: 'no access' });
    expect(() => tasks.validate('document', 'bob', { done: true })).toThrow(
      /^task 'document' is already settled: not-done by bob at /,
    );
    expect(changed).toHaveBeenCalledTimes(2);

    const carried = JSON.parse(JSON.stringify(tasks.list())) as ReturnType<typeof tasks.list>;
    const next = make().tasks;
    next.restore(carried);
    expect(next.list()).toEqual(carried);
    expect(next.get('document')).toMatchObject({ state: 'not-done', by: 'bob', note: 'no access' });
  });

  test('a group assignee takes the groups the decision names; anyone takes anyone', () => {
    const { tasks } = make();
    tasks.open({ id: 'review', title: 'Review', assignee: 'group:security' }, 'alice');
    tasks.open({ id: 'confirm', title: 'Confirm', assignee: 'bob', anyone: true }, 'alice');
    expect(() => tasks.validate('review', 'dana', { groups: ['sre'] })).toThrow(
      "task 'review' is group:security's: dana may not settle it",
    );
    tasks.validate('review', 'dana', { groups: ['security'] });
    tasks.validate('confirm', 'carol');
  });
});
