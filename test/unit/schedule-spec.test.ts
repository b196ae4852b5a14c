/**
 * A declared schedule in Temporal's terms (spec, policies, action), its hash, and what sync
 * does with the declared `paused:` against an operator's pause. No Temporal needed.
 */
import { loadRunbook } from '../../src/runbooks/load';
import { loadLibrary } from '../../src/runbooks/library';
import { actionWithMemo, desiredSchedule, type DesiredSchedule } from '../../src/schedules/desired';
import { describeChanges, nextState } from '../../src/schedules/diff';
import { MANAGED_BY, readSyncMemo, type ScheduleSyncMemo } from '../../src/schedules/memo';
import { describeWhen, overlapName, toPolicies, toRanges, toScheduleSpec } from '../../src/schedules/spec';
import { workflowKind } from '../../src/runs/kinds';
import { RUNBOOK_WORKFLOW } from '../../src/shared/constants';
import type { ScheduleDef } from '../../src/shared/schedule';
import { join } from 'node:path';

const base: ScheduleDef = {
  id: 'daily',
  runbookId: 'probe',
  timezone: 'UTC',
  overlap: 'skip',
  catchupWindowMs: 600_000,
  paused: false,
  params: {},
};

function fromYaml(schedules: string): ScheduleDef[] {
  const text = [
    'id: probe',
    'title: Probe',
    'params:',
    '  service: { type: string, default: checkout }',
    'schedules:',
    schedules,
    'steps:',
    '  - id: check',
    '    action: http:endpoint:check',
    '    with: { url: "http://127.0.0.1:9/health" }',
  ].join('\n');
  return loadRunbook(text, 'probe.yaml').schedules;
}

describe('spec mapping', () => {
  it('maps cron, time zone and jitter', () => {
    expect(toScheduleSpec({ ...base, cron: '0 7 * * 1-5', timezone: 'Europe/Berlin', jitterMs: 120_000 })).toEqual({
      cronExpressions: ['0 7 * * 1-5'],
      timezone: 'Europe/Berlin',
      jitter: 120_000,
    });
  });

  it('maps a calendar to ranges, weekdays by name in Temporal order, fields left out left out', () => {
    const [def] = fromYaml(
      '  - id: weekly\n    calendar: { dayOfWeek: [FRIDAY, MONDAY, TUESDAY, WEDNESDAY], hour: [9, 17], minute: 30 }',
    );
    expect(toScheduleSpec(def as ScheduleDef)).toEqual({
      calendars: [
        {
          minute: [{ start: 30, end: 30, step: 1 }],
          hour: [
            { start: 9, end: 9, step: 1 },
            { start: 17, end: 17, step: 1 },
          ],
          dayOfWeek: [
            { start: 'MONDAY', end: 'WEDNESDAY', step: 1 },
            { start: 'FRIDAY', end: 'FRIDAY', step: 1 },
          ],
        },
      ],
      timezone: 'UTC',
    });
  });

  it('maps every to an interval', () => {
    const [def] = fromYaml('  - id: often\n    every: 15m');
    expect(toScheduleSpec(def as ScheduleDef)).toEqual({ intervals: [{ every: 900_000 }], timezone: 'UTC' });
  });

  it('merges consecutive values into ranges', () => {
    expect(toRanges([5, 1, 2, 3, 3])).toEqual([
      { start: 1, end: 3, step: 1 },
      { start: 5, end: 5, step: 1 },
    ]);
  });

  it('maps every overlap name and back', () => {
    const names = ['skip', 'buffer-one', 'buffer-all', 'cancel-other', 'terminate-other', 'allow-all'] as const;
    expect(names.map((overlap) => toPolicies({ ...base, overlap }).overlap)).toEqual([
      'SKIP',
      'BUFFER_ONE',
      'BUFFER_ALL',
      'CANCEL_OTHER',
      'TERMINATE_OTHER',
      'ALLOW_ALL',
    ]);
    expect(names.map((overlap) => overlapName(toPolicies({ ...base, overlap }).overlap))).toEqual([...names]);
    expect(toPolicies({ ...base, catchupWindowMs: 7_200_000 }).catchupWindow).toBe(7_200_000);
  });

  it('summarises when a schedule fires in one line', () => {
    expect(describeWhen({ ...base, cron: '0 7 * * *' })).toBe('cron "0 7 * * *" UTC');
    expect(describeWhen({ ...base, calendar: { hour: [7], minute: [0], dayOfWeek: ['MONDAY'] } })).toBe(
      'calendar 07:00 on MONDAY UTC',
    );
    expect(describeWhen({ ...base, calendar: { hour: [9, 10, 11, 17], minute: [30], dayOfMonth: [1] } })).toBe(
      'calendar hour 9-11,17 minute 30 on day 1 of the month UTC',
    );
    expect(describeWhen({ ...base, calendar: {} })).toBe('calendar 00:00 UTC');
    expect(describeWhen({ ...base, everyMs: 900_000, jitterMs: 30_000 })).toBe('every 15m, jitter 30s');
  });
});

describe('the action', () => {
  it('starts runbookWorkflow by runbook id (the current version), as the schedule, on the configured queue', () => {
    const [def] = fromYaml('  - id: daily\n    cron: "0 7 * * *"\n    params: { service: payments }');
    const d = desiredSchedule(def as ScheduleDef, {
      taskQueue: 'runbooks-test',
      runbook: { id: 'probe', title: 'Probe' },
    });
    expect(d.id).toBe('runbook-probe-daily');
    const a = actionWithMemo(d);
    expect(a).toMatchObject({
      type: 'startWorkflow',
      workflowType: 'runbookWorkflow',
      taskQueue: 'runbooks-test',
      workflowId: 'runbook-probe-daily',
      args: [
        {
          runbookId: 'probe',
          params: { service: 'payments' },
          trigger: { source: 'schedule', requestedBy: 'schedule:runbook-probe-daily' },
        },
      ],
      staticSummary: 'Probe (probe) service=payments [schedule daily]',
    });
    expect((a.args?.[0] as { runbook?: unknown }).runbook).toBeUndefined();
    expect(
      (a.typedSearchAttributes as Array<{ key: { name: string }; value: unknown }>).map((p) => [p.key.name, p.value]),
    ).toEqual([
      ['RunbookId', 'probe'],
      ['TriggerSource', 'schedule'],
      ['RequestedBy', 'schedule:runbook-probe-daily'],
      ['Phase', 'starting'],
    ]);
    expect(readSyncMemo({ action: a })).toEqual(d.memo);
  });
});

describe('the hash', () => {
  const hash = (def: ScheduleDef, taskQueue = 'q'): string => desiredSchedule(def, { taskQueue }).memo.specHash;
  const cron: ScheduleDef = { ...base, cron: '0 7 * * *' };

  it('is stable for the same declaration, whatever the key order of params', () => {
    const a = { ...cron, params: { a: 1, b: 'x' } };
    const b = { ...cron, params: { b: 'x', a: 1 } };
    expect(hash(a)).toBe(hash(b));
    expect(hash(a)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('changes with the spec, the action, the policies and the declared state, and names the part', () => {
    const variants: Array<[string, ScheduleDef, string]> = [
      ['spec', { ...cron, cron: '0 8 * * *' }, 'spec'],
      ['time zone', { ...cron, timezone: 'Europe/Berlin' }, 'spec'],
      ['params', { ...cron, params: { service: 'x' } }, 'action'],
      ['overlap', { ...cron, overlap: 'allow-all' }, 'policies'],
      ['catch-up', { ...cron, catchupWindowMs: 1000 }, 'policies'],
      ['paused', { ...cron, paused: true }, 'declared'],
      ['note', { ...cron, note: 'why' }, 'declared'],
    ];
    const before = desiredSchedule(cron, { taskQueue: 'q' }).memo;
    for (const [what, def, part] of variants) {
      const after = desiredSchedule(def, { taskQueue: 'q' }).memo;
      expect({ what, changed: after.specHash !== before.specHash }).toEqual({ what, changed: true });
      const changed = (Object.keys(before.parts) as Array<keyof ScheduleSyncMemo['parts']>).filter(
        (k) => before.parts[k] !== after.parts[k],
      );
      expect({ what, changed }).toEqual({ what, changed: [part] });
    }
    expect(hash(cron, 'other-queue')).not.toBe(hash(cron));
  });
});

describe("the action's workflow type comes from the schedule's kind", () => {
  it('a runbook schedule (the loader sets kind runbook) starts the registry entry of runbook', () => {
    const [def] = fromYaml('  - id: daily\n    cron: "0 7 * * *"');
    expect(def?.kind).toBe('runbook');
    const a = desiredSchedule(def as ScheduleDef, { taskQueue: 'q' }).action;
    expect(a.workflowType).toBe(workflowKind('runbook').workflowType);
    expect(a.workflowType).toBe(RUNBOOK_WORKFLOW);
  });

  it('a def built without a kind is a runbook schedule, the same action and hash', () => {
    const cron: ScheduleDef = { ...base, cron: '0 7 * * *' };
    const without = desiredSchedule(cron, { taskQueue: 'q' });
    const withKind = desiredSchedule({ ...cron, kind: 'runbook' }, { taskQueue: 'q' });
    expect(without.action).toEqual(withKind.action);
    expect(without.memo.specHash).toBe(withKind.memo.specHash);
  });
});

/**
 * A schedule synced by an earlier version must come out unchanged on the next sync: sync compares
 * the memo's hashes, so any change to what is hashed (the action's fields, the spec, policies or
 * declared state) rewrites every schedule in every deployment. These hashes were computed with the
 * code before workflow kinds (commit 354b4a4) and must not move unless a change means to.
 */
describe('the hash of an existing runbook schedule', () => {
  const text = [
    'id: probe',
    'title: Probe',
    'params:',
    '  service: { type: string, default: checkout }',
    'schedules:',
    '  - id: daily\n    cron: "0 7 * * *"\n    params: { service: payments }',
    '  - id: weekly\n    calendar: { dayOfWeek: [FRIDAY, MONDAY], hour: [9, 17], minute: 30 }\n    timezone: Europe/Berlin\n    overlap: allow-all\n    catchupWindow: 1h',
    '  - id: often\n    every: 15m\n    jitter: 30s\n    paused: true\n    note: example only',
    'steps:',
    '  - id: check',
    '    action: http:endpoint:check',
    '    with: { url: "http://127.0.0.1:9/health" }',
  ].join('\n');

  it('is what the previous version wrote, part by part', () => {
    const { runbook, schedules } = loadRunbook(text, 'probe.yaml');
    const memos = Object.fromEntries(
      schedules.map((def) => {
        const { memo } = desiredSchedule(def, { taskQueue: 'runbooks', runbook });
        return [memo.scheduleId, { specHash: memo.specHash, parts: memo.parts }];
      }),
    );
    expect(memos).toEqual({
      'runbook-probe-daily': {
        specHash: '87a540e961635a2e137fab45b2d1de36debc53e599286a5eb7645f5914931ca5',
        parts: {
          spec: '4a3089bd6d2e613a2c42a814b96844298ccd81b9cb1acb05d7c6546962c56e78',
          action: '1be5aed51234f5208cd4a76fc597c207d997207ba1c672eaff79e56306281518',
          policies: '98220704e979919afa472edb134d36a7ff3194f64bf481f5b46cdb4115faeda4',
          declared: '94343efc6d64efb4ac654734695e9066f5afeaa13790ef9a689971ae6f1f2db0',
        },
      },
      'runbook-probe-weekly': {
        specHash: 'dca67fffcba50907d227675dbe0f68ffaa4194b3073c4b5124b6a2df77ef94b0',
        parts: {
          spec: '18d896e26504bb2532e0582d1deed9afbc15c4f010dd4db19b18741282b11925',
          action: '54c5d9d9a10e405ef480fed07ff965c11e1d9daada8742a639225a8b6c725f3a',
          policies: 'f68144683954f73dc8cf0fce5749bee2d46f20b93156f54b06864e552f1e7f43',
          declared: '94343efc6d64efb4ac654734695e9066f5afeaa13790ef9a689971ae6f1f2db0',
        },
      },
      'runbook-probe-often': {
        specHash: '6100917d7cbf6cc6c1586ae43db3be4855a49faeb044291c0a19f1bcdaffd36b',
        parts: {
          spec: '68c14f0d213355da749d01b7d37f45370591590d9ec2deba201f3fdcbdf63a97',
          action: '54ab9e4222f82d6ef483b95c2ef714ebf2c9fe26f4a11e0853efc672b46b2ec9',
          policies: '98220704e979919afa472edb134d36a7ff3194f64bf481f5b46cdb4115faeda4',
          declared: 'd4aaf3a70bb9105bdafb8ac2d1caba96963a081bb40db0156f6e1da23a8c4ff5',
        },
      },
    });
  });

  it('so sync finds it unchanged', () => {
    const { runbook, schedules } = loadRunbook(text, 'probe.yaml');
    const daily = desiredSchedule(schedules[0] as ScheduleDef, { taskQueue: 'runbooks', runbook });
    const previous = { ...daily.memo, specHash: '87a540e961635a2e137fab45b2d1de36debc53e599286a5eb7645f5914931ca5' };
    expect(describeChanges(previous, daily, { paused: false, note: '' })).toEqual([]);
  });
});

describe('sync decisions', () => {
  const cron: ScheduleDef = { ...base, cron: '0 7 * * *' };
  const desired = (def: ScheduleDef): DesiredSchedule => desiredSchedule(def, { taskQueue: 'q' });
  const synced = (def: ScheduleDef): ScheduleSyncMemo => desired(def).memo;

  it('reports nothing when the hash is unchanged', () => {
    expect(describeChanges(synced(cron), desired(cron), { paused: false, note: '' })).toEqual([]);
  });

  it('names what changed', () => {
    const next = desired({ ...cron, cron: '0 8 * * *', overlap: 'allow-all', params: { service: 'b' } });
    expect(describeChanges(synced({ ...cron, params: { service: 'a' } }), next, { paused: false, note: '' })).toEqual([
      'when: cron "0 7 * * *" UTC -> cron "0 8 * * *" UTC',
      'params: {"service":"a"} -> {"service":"b"}',
      'policies: overlap skip, catch-up 10m -> overlap allow-all, catch-up 10m',
    ]);
  });

  it('keeps an operator pause when the declared paused: is unchanged', () => {
    const last = synced(cron);
    const next = desired({ ...cron, cron: '0 8 * * *' });
    expect(nextState(last, next, { paused: true, note: 'paused by alice: incident' })).toEqual({
      paused: true,
      note: 'paused by alice: incident',
    });
  });

  it('applies the declared paused: when the file changed it since the last sync', () => {
    const last = synced(cron);
    const next = desired({ ...cron, paused: true, note: 'example' });
    expect(nextState(last, next, { paused: false, note: 'resumed by alice' })).toEqual({
      paused: true,
      note: 'example',
    });
    expect(describeChanges(last, next, { paused: false, note: '' })).toEqual([
      'paused: declared false -> true (applied)',
    ]);
  });

  it('applies a changed declared note unless the operator wrote one since', () => {
    const last = synced({ ...cron, paused: true, note: 'old' });
    const next = desired({ ...cron, paused: true, note: 'new' });
    expect(nextState(last, next, { paused: true, note: 'old' })).toEqual({ paused: true, note: 'new' });
    expect(nextState(last, next, { paused: true, note: 'paused by bob: db' })).toEqual({
      paused: true,
      note: 'paused by bob: db',
    });
    expect(describeChanges(last, next, { paused: true, note: 'paused by bob: db' })).toEqual([
      'note: declared "old" -> "new" (kept the operator\'s note)',
    ]);
  });

  it('rewrites a managed schedule that has no sync memo, with the declared state', () => {
    const next = desired({ ...cron, paused: true });
    expect(describeChanges(undefined, next, { paused: false, note: '' })[0]).toMatch(/no sync memo/);
    expect(nextState(undefined, next, { paused: false, note: '' })).toEqual({
      paused: true,
      note: 'paused in the runbook file',
    });
  });

  it('marks its memo as managed by durable-runbooks', () => {
    expect(synced(cron).managedBy).toBe(MANAGED_BY);
  });
});

describe('the shipped schedules', () => {
  const library = loadLibrary(join(__dirname, '../../runbooks'));

  it("are the seeds' routine work, paused, each with a note saying why", () => {
    const shipped = library.schedules.map((s) => ({
      id: s.id,
      runbook: s.runbookId,
      paused: s.paused,
      note: /example/i.test(s.note ?? ''),
    }));
    expect(shipped).toEqual(
      expect.arrayContaining([
        { id: 'weekly', runbook: 'capacity-review', paused: true, note: true },
        { id: 'morning', runbook: 'daily-health-check', paused: true, note: true },
        { id: 'weekly', runbook: 'weekly-maintenance', paused: true, note: true },
      ]),
    );
    for (const s of library.schedules) expect({ id: s.id, paused: s.paused }).toEqual({ id: s.id, paused: true });
  });

  it('fire daily at 07:00 UTC, Mondays at 08:00 and Sundays at 04:00', () => {
    const when = Object.fromEntries(library.schedules.map((s) => [s.runbookId, describeWhen(s)]));
    expect(when).toMatchObject({
      'daily-health-check': 'calendar 07:00 UTC',
      'capacity-review': 'calendar 08:00 on MONDAY UTC',
      'weekly-maintenance': 'calendar 04:00 on SUNDAY UTC',
    });
  });
});
