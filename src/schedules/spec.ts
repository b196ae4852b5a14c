/**
 * A compiled schedule (`ScheduleDef`) in Temporal's terms: the spec (when it fires), the
 * policies (overlap, catch-up window), and a one-line summary people read in lists and diffs.
 * Pure: no client, so the mapping is unit-tested on its own.
 */
import type { CalendarSpec, DayOfWeek, Range, ScheduleOverlapPolicy, ScheduleSpec } from '@temporalio/client';
import { formatDuration } from '../shared/duration';
import type { OverlapName, ScheduleDef, Weekday } from '../shared/schedule';

/** Our overlap names (as authors write them) against Temporal's policy names. */
export const OVERLAP_POLICIES: Readonly<Record<OverlapName, Exclude<ScheduleOverlapPolicy, undefined>>> = {
  skip: 'SKIP',
  'buffer-one': 'BUFFER_ONE',
  'buffer-all': 'BUFFER_ALL',
  'cancel-other': 'CANCEL_OTHER',
  'terminate-other': 'TERMINATE_OTHER',
  'allow-all': 'ALLOW_ALL',
};

/** Temporal's policy name back to ours (for reading a described schedule); undefined means skip. */
export function overlapName(policy: ScheduleOverlapPolicy): OverlapName {
  const found = (Object.entries(OVERLAP_POLICIES) as Array<[OverlapName, string]>).find(([, p]) => p === policy);
  return found ? found[0] : 'skip';
}

/** Temporal numbers weekdays from Sunday; ranges must follow that order. */
const WEEK_ORDER: readonly DayOfWeek[] = ['SUNDAY', 'MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY'];

/** Sorted, distinct values as ranges: [1,2,3,5] -> 1-3, 5 (a short, stable spec). */
export function toRanges(values: readonly number[]): Array<Range<number>> {
  const sorted = [...new Set(values)].sort((a, b) => a - b);
  const out: Array<Range<number>> = [];
  for (const v of sorted) {
    const last = out[out.length - 1];
    if (last && last.end + 1 === v) last.end = v;
    else out.push({ start: v, end: v, step: 1 });
  }
  return out;
}

function weekdayRanges(days: readonly Weekday[]): Array<Range<DayOfWeek>> {
  return toRanges(days.map((d) => WEEK_ORDER.indexOf(d))).map((r) => ({
    start: WEEK_ORDER[r.start] as DayOfWeek,
    end: WEEK_ORDER[r.end] as DayOfWeek,
    step: 1,
  }));
}

/** The calendar entry; fields left out are Temporal's defaults too (second, minute, hour 0; every day). */
function calendarSpec(cal: NonNullable<ScheduleDef['calendar']>): CalendarSpec {
  return {
    ...(cal.minute ? { minute: toRanges(cal.minute) } : {}),
    ...(cal.hour ? { hour: toRanges(cal.hour) } : {}),
    ...(cal.dayOfMonth ? { dayOfMonth: toRanges(cal.dayOfMonth) } : {}),
    ...(cal.dayOfWeek ? { dayOfWeek: weekdayRanges(cal.dayOfWeek) } : {}),
  };
}

/** When the schedule fires. The loader guarantees exactly one of cron, calendar and every. */
export function toScheduleSpec(def: ScheduleDef): ScheduleSpec {
  return {
    ...(def.cron !== undefined ? { cronExpressions: [def.cron] } : {}),
    ...(def.calendar !== undefined ? { calendars: [calendarSpec(def.calendar)] } : {}),
    ...(def.everyMs !== undefined ? { intervals: [{ every: def.everyMs }] } : {}),
    timezone: def.timezone,
    ...(def.jitterMs ? { jitter: def.jitterMs } : {}),
  };
}

export function toPolicies(def: ScheduleDef): {
  overlap: Exclude<ScheduleOverlapPolicy, undefined>;
  catchupWindow: number;
} {
  return { overlap: OVERLAP_POLICIES[def.overlap], catchupWindow: def.catchupWindowMs };
}

function rangeText<T extends string | number>(rs: Array<Range<T>>): string {
  return rs.map((r) => (r.start === r.end ? String(r.start) : `${r.start}-${r.end}`)).join(',');
}

/** One line: `cron "0 7 * * *" UTC`, `calendar 08:00 on MONDAY UTC`, `every 15m`, plus jitter. */
export function describeWhen(def: ScheduleDef): string {
  let what: string;
  if (def.cron !== undefined) {
    what = `cron "${def.cron}" ${def.timezone}`;
  } else if (def.calendar !== undefined) {
    const c = def.calendar;
    const hours = toRanges(c.hour ?? [0]);
    const minutes = toRanges(c.minute ?? [0]);
    const two = (n: number): string => String(n).padStart(2, '0');
    // One time of day reads as 07:00; several as hour/minute lists.
    const single = (rs: Array<Range<number>>): boolean => rs.length === 1 && rs[0]?.start === rs[0]?.end;
    const time =
      single(hours) && single(minutes)
        ? `${two(hours[0]?.start ?? 0)}:${two(minutes[0]?.start ?? 0)}`
        : `hour ${rangeText(hours)} minute ${rangeText(minutes)}`;
    const parts = [
      time,
      ...(c.dayOfMonth ? [`on day ${rangeText(toRanges(c.dayOfMonth))} of the month`] : []),
      ...(c.dayOfWeek ? [`on ${rangeText(weekdayRanges(c.dayOfWeek))}`] : []),
    ];
    what = `calendar ${parts.join(' ')} ${def.timezone}`;
  } else {
    what = `every ${formatDuration(def.everyMs ?? 0)}`;
  }
  return def.jitterMs ? `${what}, jitter ${formatDuration(def.jitterMs)}` : what;
}

/** `overlap skip, catch-up 10m`: the policies as a diff line shows them. */
export function describePolicies(p: { overlap: ScheduleOverlapPolicy; catchupWindow: number }): string {
  return `overlap ${overlapName(p.overlap)}, catch-up ${formatDuration(p.catchupWindow)}`;
}
