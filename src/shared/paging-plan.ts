/**
 * An incident's paging ladder as a plan: when each level is paged, and what stops it. Level 1
 * (the on-call primary) is paged at once; level 2 (the backup) when nobody has acknowledged within
 * `backupAfter` (seed 004) or when the severity's `escalateAfter` passes unresolved (seed 002),
 * whichever comes first; the levels above by the time triggers (seed 004: manager at 2 h,
 * executive at 4 h for the worst). Pure, so the incident workflow turns it into timers, and a
 * severity change re-plans from the same opening time.
 */
import { deadline, type IncidentPolicy } from './incident-policy';
import { onCallAt, type OnCallConfig } from './oncall';
import type { Severity } from './severity';

export interface PageStep {
  atMs: number;
  /** The escalation level paged (its name in the policy). */
  level: string;
  /** Why it is paged then, for the timeline. */
  why: string;
  /** What makes it unnecessary: an acknowledgement (the backup), or the incident's resolution. */
  until: 'acknowledged' | 'resolved';
}

/** Every page the incident will send if nobody acknowledges or resolves it, in time order. */
export function pagingPlan(policy: IncidentPolicy, severity: Severity, openedAtMs: number): PageStep[] {
  const names = policy.levels.map((l) => l.name);
  const steps: PageStep[] = [];
  if (names[0]) steps.push({ atMs: openedAtMs, level: names[0], why: 'opened', until: 'resolved' });
  if (names[1])
    steps.push({
      atMs: openedAtMs + policy.backupAfterMs,
      level: names[1],
      why: `not acknowledged within ${minutes(policy.backupAfterMs)}`,
      until: 'acknowledged',
    });
  // Unresolved past the severity's window: level 2 is engaged even after an acknowledgement. The
  // levels above come from the time triggers only (seed 004 pages the CTO at 4 h, not after a
  // chain of 30-minute windows).
  if (names[1])
    steps.push({
      atMs: deadline(policy, policy.response[severity].escalateAfter, openedAtMs),
      level: names[1],
      why: 'unresolved past the escalation window',
      until: 'resolved',
    });
  for (const [level, afterMs] of Object.entries(policy.levelAfter[severity] ?? {}))
    steps.push({ atMs: openedAtMs + afterMs, level, why: `open for ${minutes(afterMs)}`, until: 'resolved' });
  // A level is paged at the earliest trigger that still applies: its earliest page that only an
  // acknowledgement stops, and its earliest that only the resolution stops, if that comes later.
  const byLevel = new Map<string, PageStep[]>();
  for (const step of steps.sort((x, y) => x.atMs - y.atMs)) {
    const kept = byLevel.get(step.level) ?? [];
    if (kept.some((k) => k.until === 'resolved' || k.until === step.until)) continue;
    byLevel.set(step.level, [...kept, step]);
  }
  return [...byLevel.values()]
    .flat()
    .sort((x, y) => x.atMs - y.atMs || names.indexOf(x.level) - names.indexOf(y.level));
}

/** The people a level pages at a moment: the on-call's primary or secondary then, or named people. */
export function levelPeople(policy: IncidentPolicy, oncall: OnCallConfig, level: string, atMs: number): string[] {
  const l = policy.levels.find((x) => x.name === level);
  if (!l) return [];
  if ('people' in l.who) return l.who.people;
  const now = onCallAt(oncall, atMs)[l.who.oncall];
  return now ? [now] : [];
}

function minutes(ms: number): string {
  return ms % 3_600_000 === 0 ? `${ms / 3_600_000}h` : `${Math.round(ms / 60_000)}m`;
}
