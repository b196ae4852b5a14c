/**
 * The paging ladder as a plan, from the seeds' defaults: the primary at once, the backup after
 * 15 minutes unacknowledged (004) or the escalation window unresolved (002), the manager at 2 h
 * and the executive at 4 h for the worst (004); sev3 escalates at the next working morning; each
 * level paged once; who a level is at a moment (the on-call then, or named people).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load';
import { levelPeople, pagingPlan } from '../../src/shared/paging-plan';

const dir = mkdtempSync(join(tmpdir(), 'cfg-paging-'));
function config(yaml: string) {
  const path = join(dir, `c-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(path, yaml);
  return loadConfig({ RUNBOOKS_CONFIG: path }, dir, { tokens: false });
}
const opened = Date.parse('2026-12-01T10:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString().slice(11, 16);
const plan = (policy: ReturnType<typeof config>['incidents'], sev: 'sev1' | 'sev2' | 'sev3' | 'sev4', at = opened) =>
  pagingPlan(policy, sev, at).map((s) => [iso(s.atMs), s.level, s.until, s.why]);

test('sev1: primary now, backup at 15m unless acknowledged, again at 30m unless resolved, manager 2h, executive 4h', () => {
  expect(plan(config('').incidents, 'sev1')).toEqual([
    ['10:00', 'primary', 'resolved', 'opened'],
    ['10:15', 'secondary', 'acknowledged', 'not acknowledged within 15m'],
    ['10:30', 'secondary', 'resolved', 'unresolved past the escalation window'],
    ['12:00', 'manager', 'resolved', 'open for 2h'],
    ['14:00', 'executive', 'resolved', 'open for 4h'],
  ]);
});

test('sev2 has no time triggers; sev3 engages the backup at the next working morning', () => {
  const p = config('').incidents;
  expect(plan(p, 'sev2')).toEqual([
    ['10:00', 'primary', 'resolved', 'opened'],
    ['10:15', 'secondary', 'acknowledged', 'not acknowledged within 15m'],
    ['12:00', 'secondary', 'resolved', 'unresolved past the escalation window'],
  ]);
  const late = Date.parse('2026-12-04T20:00:00Z'); // a Friday evening
  expect(pagingPlan(p, 'sev3', late).map((s) => [new Date(s.atMs).toISOString(), s.level, s.until])).toEqual([
    ['2026-12-04T20:00:00.000Z', 'primary', 'resolved'],
    ['2026-12-04T20:15:00.000Z', 'secondary', 'acknowledged'],
    ['2026-12-07T09:00:00.000Z', 'secondary', 'resolved'],
  ]);
});

test('a window shorter than the backup delay makes one page of it; named levels page their people', () => {
  const c = config(`
oncall:
  rotations:
    - { name: eu, start: "2026-11-30T00:00:00Z", primary: [dora, emil] }
incidents:
  response:
    sev1: { escalateAfter: 10m }
  escalation:
    levels:
      - { name: primary, who: oncall.primary }
      - { name: secondary, who: oncall.secondary }
      - { name: sre-lead, who: [carol, dan] }
    after:
      sev1: { sre-lead: 1h }
`);
  expect(plan(c.incidents, 'sev1')).toEqual([
    ['10:00', 'primary', 'resolved', 'opened'],
    ['10:10', 'secondary', 'resolved', 'unresolved past the escalation window'],
    ['11:00', 'sre-lead', 'resolved', 'open for 1h'],
  ]);
  expect(levelPeople(c.incidents, c.oncall, 'primary', opened)).toEqual(['dora']);
  expect(levelPeople(c.incidents, c.oncall, 'secondary', opened)).toEqual(['emil']);
  expect(levelPeople(c.incidents, c.oncall, 'sre-lead', opened)).toEqual(['carol', 'dan']);
  expect(levelPeople(c.incidents, c.oncall, 'nobody', opened)).toEqual([]);
});
