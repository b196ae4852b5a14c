/** Compiles a runbook's `schedules:`: time zone known, params valid for the runbook, ids unique. */
import type { RunbookDefinition } from '../shared/model';
import type { ScheduleDef, Weekday } from '../shared/schedule';
import { ms } from './compile-util';
import { resolveParams } from './params';
import type { AuthoredSchedule } from './schema';

const list = <T>(v: T | T[] | undefined): T[] | undefined => (v === undefined ? undefined : Array.isArray(v) ? v : [v]);

function knownZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export function compileSchedules(
  rb: RunbookDefinition,
  authored: AuthoredSchedule[],
  report: (p: PropertyKey[], m: string) => void,
): ScheduleDef[] {
  const seen = new Set<string>();
  return authored.map((s, i): ScheduleDef => {
    const at = ['schedules', i];
    if (seen.has(s.id)) report([...at, 'id'], `schedule id '${s.id}' is used twice`);
    seen.add(s.id);
    if (!knownZone(s.timezone)) report([...at, 'timezone'], `unknown time zone '${s.timezone}'`);
    const resolved = resolveParams(rb.params, s.params);
    if ('errors' in resolved)
      for (const e of resolved.errors) report([...at, 'params', e.field.replace(/^params\./, '')], e.message);
    const cal = s.calendar;
    return {
      id: s.id,
      runbookId: rb.id,
      kind: 'runbook',
      ...(s.cron !== undefined ? { cron: s.cron } : {}),
      ...(cal !== undefined
        ? {
            calendar: {
              ...(cal.minute !== undefined ? { minute: list(cal.minute) as number[] } : {}),
              ...(cal.hour !== undefined ? { hour: list(cal.hour) as number[] } : {}),
              ...(cal.dayOfMonth !== undefined ? { dayOfMonth: list(cal.dayOfMonth) as number[] } : {}),
              ...(cal.dayOfWeek !== undefined ? { dayOfWeek: list(cal.dayOfWeek) as Weekday[] } : {}),
            },
          }
        : {}),
      ...(s.every !== undefined ? { everyMs: ms(s.every, 0) } : {}),
      timezone: s.timezone,
      ...(s.jitter !== undefined ? { jitterMs: ms(s.jitter, 0) } : {}),
      overlap: s.overlap,
      catchupWindowMs: ms(s.catchupWindow, 600_000),
      paused: s.paused,
      ...(s.note !== undefined ? { note: s.note } : {}),
      params: 'errors' in resolved ? {} : resolved.params,
    };
  });
}
