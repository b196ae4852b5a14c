/**
 * The incident rules: every severity label of the seeds on one ladder (the P-scheme chosen by
 * configuration), the business calendar behind "next business day", and `incidents:` over the
 * seeds' numbers (002 response windows and postmortems, 004 backup paging, time triggers and the
 * report), refused with its place where it names what does not exist.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load';
import { DEFAULT_CALENDAR, inBusinessHours, nextBusinessDayStart } from '../../src/shared/business-hours';
import { deadline } from '../../src/shared/incident-policy';
import { moreSevere, severityLabel, severityOf } from '../../src/shared/severity';

const dir = mkdtempSync(join(tmpdir(), 'cfg-incidents-'));
function load(yaml: string) {
  const path = join(dir, `c-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(path, yaml);
  return { path, config: () => loadConfig({ RUNBOOKS_CONFIG: path }, dir, { tokens: false }) };
}
const M = 60_000;
const H = 60 * M;

test("the seeds' labels on one ladder: P1 is sev2 in 003/004's scheme and sev1 in 001's", () => {
  expect(['sev1', 'SEV-2', 'Sev 3', 'sev4'].map((l) => severityOf(l))).toEqual(['sev1', 'sev2', 'sev3', 'sev4']);
  expect(['P0', 'p1', 'P2', 'P3'].map((l) => severityOf(l, 'P0-P3'))).toEqual(['sev1', 'sev2', 'sev3', 'sev4']);
  expect(['P1', 'P2', 'P3', 'P4'].map((l) => severityOf(l, 'P1-P4'))).toEqual(['sev1', 'sev2', 'sev3', 'sev4']);
  // Alertmanager's words (seed 003) in any scheme; nonsense is nothing.
  expect(['critical', 'warning', 'info'].map((l) => severityOf(l, 'P0-P3'))).toEqual(['sev1', 'sev3', 'sev4']);
  expect(severityOf('P4', 'P0-P3')).toBeUndefined();
  expect(severityOf('constructor')).toBeUndefined();
  expect(severityLabel('sev1', 'P0-P3')).toBe('P0');
  expect(moreSevere('sev1', 'sev2')).toBe(true);
});

test('the business calendar: working hours, weekends and holidays skipped to the next working morning', () => {
  const cal = { ...DEFAULT_CALENDAR, holidays: ['2026-12-25'] };
  // Thursday 2026-12-24 18:00 UTC: Friday is a holiday, so Monday 09:00.
  expect(new Date(nextBusinessDayStart(cal, Date.parse('2026-12-24T18:00:00Z'))).toISOString()).toBe(
    '2026-12-28T09:00:00.000Z',
  );
  expect(new Date(nextBusinessDayStart(cal, Date.parse('2026-12-01T10:00:00Z'))).toISOString()).toBe(
    '2026-12-02T09:00:00.000Z',
  );
  expect(inBusinessHours(cal, Date.parse('2026-12-01T10:00:00Z'))).toBe(true);
  expect(inBusinessHours(cal, Date.parse('2026-12-05T10:00:00Z'))).toBe(false);
  expect(inBusinessHours(cal, Date.parse('2026-12-01T17:00:00Z'))).toBe(false);
});

test("the seeds' numbers are the defaults", () => {
  const p = load('').config().incidents;
  expect(p.response.sev1).toEqual({
    acknowledge: { ms: 5 * M },
    firstResponse: { ms: 15 * M },
    escalateAfter: { ms: 30 * M },
  });
  expect(p.response.sev2).toEqual({
    acknowledge: { ms: 15 * M },
    firstResponse: { ms: 30 * M },
    escalateAfter: { ms: 2 * H },
  });
  expect(p.response.sev3).toEqual({
    acknowledge: { ms: H },
    firstResponse: { ms: 4 * H },
    escalateAfter: 'next-business-day',
  });
  expect(p.backupAfterMs).toBe(15 * M);
  expect(p.levels.map((l) => l.name)).toEqual(['primary', 'secondary', 'manager', 'executive']);
  expect(p.levelAfter).toEqual({ sev1: { manager: 2 * H, executive: 4 * H } });
  expect(p.cadence.sev1).toEqual({ stakeholdersMs: 15 * M, statusPageMs: 30 * M, statusPageWithinMs: 0 });
  expect(p.cadence.sev2).toMatchObject({ statusPageWithinMs: 30 * M });
  expect(p.postmortemDueMs).toEqual({ sev1: 48 * H, sev2: 7 * 24 * H });
  expect(p.reportWithinMs).toBe(24 * H);
  // sev3 escalates at the next working morning.
  expect(new Date(deadline(p, p.response.sev3.escalateAfter, Date.parse('2026-12-04T20:00:00Z'))).toISOString()).toBe(
    '2026-12-07T09:00:00.000Z',
  );
});

test('a configuration replaces what it names and keeps the rest', () => {
  const p = load(`
incidents:
  severityLabels: P0-P3
  businessHours: { days: [mon, tue, wed, thu], hours: "08:00-18:00", holidays: ["2026-12-31"] }
  response:
    sev1: { acknowledge: 2m }
  backupAfter: 10m
  escalation:
    levels:
      - { name: primary, who: oncall.primary }
      - { name: secondary, who: oncall.secondary }
      - { name: sre-lead, who: [carol] }
    after:
      sev1: { sre-lead: 1h }
  communication:
    sev2: { stakeholders: 20m }
  postmortem:
    sev2: optional
    sev3: { due: 2w }
`).config().incidents;
  expect(p.severityLabels).toBe('P0-P3');
  expect(p.calendar).toEqual({ days: [1, 2, 3, 4], hours: { from: 480, to: 1080 }, holidays: ['2026-12-31'] });
  expect(p.response.sev1).toEqual({
    acknowledge: { ms: 2 * M },
    firstResponse: { ms: 15 * M },
    escalateAfter: { ms: 30 * M },
  });
  expect(p.backupAfterMs).toBe(10 * M);
  expect(p.levels).toEqual([
    { name: 'primary', who: { oncall: 'primary' } },
    { name: 'secondary', who: { oncall: 'secondary' } },
    { name: 'sre-lead', who: { people: ['carol'] } },
  ]);
  expect(p.levelAfter).toEqual({ sev1: { 'sre-lead': H } });
  expect(p.cadence.sev2).toEqual({ stakeholdersMs: 20 * M, statusPageMs: 30 * M, statusPageWithinMs: 30 * M });
  expect(p.postmortemDueMs).toEqual({ sev1: 48 * H, sev3: 14 * 24 * H });
});

test('an unknown level, severity or duration is refused with its place', () => {
  const bad = load(`
incidents:
  escalation:
    after:
      sev1: { cto: 4h }
`);
  expect(bad.config).toThrow(`${bad.path}:5:`);
  expect(bad.config).toThrow(
    "incidents.escalation.after.sev1.cto: no escalation level 'cto' (levels: primary, secondary, manager, executive)",
  );
  expect(load('incidents:\n  response:\n    sev9: { acknowledge: 5m }\n').config).toThrow(
    'incidents.response: Unrecognized key: "sev9"',
  );
  expect(load('incidents:\n  backupAfter: soon\n').config).toThrow(
    'incidents.backupAfter: a duration such as 15m, 2h or 1w',
  );
});
