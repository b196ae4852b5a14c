/**
 * The rules an incident follows, per severity (the seeds' numbers as shipped defaults, replaced
 * by `incidents:` in the configuration): how fast it must be acknowledged and answered, when it
 * escalates and to whom, how often people hear, and when its postmortem is due. Pure data plus
 * the one calculation that needs a calendar, so incident workflows plan their timers from it.
 */
import { nextBusinessDayStart, type BusinessCalendar } from './business-hours';
import type { Severity, SeverityScheme } from './severity';

/** A deadline: a duration, or the start of the next business day. */
export type Window = { ms: number } | 'next-business-day';

export interface ResponseWindows {
  acknowledge: Window;
  firstResponse: Window;
  /** Unresolved this long: escalate a level. */
  escalateAfter: Window;
}

/** Who a level pages: the on-call's primary or secondary at that moment, or named people. */
export type LevelWho = { oncall: 'primary' | 'secondary' } | { people: string[] };

export interface EscalationLevel {
  name: string;
  who: LevelWho;
}

export interface Cadence {
  /** Stakeholder updates, this often. */
  stakeholdersMs: number;
  /** Status page updates, this often; absent: no status page for this severity. */
  statusPageMs?: number;
  /** The status page's first update, this soon after opening (0: at once). */
  statusPageWithinMs?: number;
}

export interface IncidentPolicy {
  severityLabels: SeverityScheme;
  calendar: BusinessCalendar;
  response: Record<Severity, ResponseWindows>;
  /** Page the backup (the secondary) when the primary has not acknowledged this long (seed 004). */
  backupAfterMs: number;
  levels: EscalationLevel[];
  /** Time triggers: a level reached this long after opening, per severity (seed 004: manager 2 h, CTO 4 h for the worst). */
  levelAfter: Partial<Record<Severity, Record<string, number>>>;
  /** Event triggers (seed 002): what moves an incident straight to a level. */
  levelOn: { durationOverMs: number; security: string; dataLoss: string; durationLevel: string };
  cadence: Record<Severity, Cadence>;
  /** Postmortem due this long after resolution; absent: optional for that severity. */
  postmortemDueMs: Partial<Record<Severity, number>>;
  /** The incident report is due this long after resolution (seed 004). */
  reportWithinMs: number;
}

const M = 60_000;
const H = 60 * M;

export const DEFAULT_LEVELS: EscalationLevel[] = [
  { name: 'primary', who: { oncall: 'primary' } },
  { name: 'secondary', who: { oncall: 'secondary' } },
  { name: 'manager', who: { people: [] } },
  { name: 'executive', who: { people: [] } },
];

/** The seeds' numbers: 002 (response, event triggers, postmortems), 004 (backup, time triggers, report), 000/004 (cadence). */
export const DEFAULT_POLICY: Omit<IncidentPolicy, 'calendar'> = {
  severityLabels: 'sev',
  response: {
    sev1: { acknowledge: { ms: 5 * M }, firstResponse: { ms: 15 * M }, escalateAfter: { ms: 30 * M } },
    sev2: { acknowledge: { ms: 15 * M }, firstResponse: { ms: 30 * M }, escalateAfter: { ms: 2 * H } },
    sev3: { acknowledge: { ms: 1 * H }, firstResponse: { ms: 4 * H }, escalateAfter: 'next-business-day' },
    // Not in the seeds: the lowest rung waits for working hours throughout.
    sev4: { acknowledge: 'next-business-day', firstResponse: 'next-business-day', escalateAfter: 'next-business-day' },
  },
  backupAfterMs: 15 * M,
  levels: DEFAULT_LEVELS,
  levelAfter: { sev1: { manager: 2 * H, executive: 4 * H } },
  levelOn: { durationOverMs: 2 * H, security: 'manager', dataLoss: 'manager', durationLevel: 'manager' },
  cadence: {
    sev1: { stakeholdersMs: 15 * M, statusPageMs: 30 * M, statusPageWithinMs: 0 },
    sev2: { stakeholdersMs: 30 * M, statusPageMs: 30 * M, statusPageWithinMs: 30 * M },
    sev3: { stakeholdersMs: 4 * H },
    sev4: { stakeholdersMs: 24 * H },
  },
  postmortemDueMs: { sev1: 48 * H, sev2: 7 * 24 * H },
  reportWithinMs: 24 * H,
};

/** When a window that starts at `fromMs` ends. */
export function deadline(policy: Pick<IncidentPolicy, 'calendar'>, w: Window, fromMs: number): number {
  return w === 'next-business-day' ? nextBusinessDayStart(policy.calendar, fromMs) : fromMs + w.ms;
}
