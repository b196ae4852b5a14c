/**
 * A business calendar (for "escalate next business day", seed 002's sev3): working days, working
 * hours in UTC and holidays. Pure, for workflows and the API alike.
 */
import { coversMinute } from './oncall';

export interface BusinessCalendar {
  /** Working days, 0 = Sunday ... 6 = Saturday. */
  days: number[];
  /** Working hours each working day, minutes from 00:00 UTC. */
  hours: { from: number; to: number };
  /** Days off, `YYYY-MM-DD` (UTC). */
  holidays: string[];
}

const DAY_MS = 86_400_000;

export const DEFAULT_CALENDAR: BusinessCalendar = {
  days: [1, 2, 3, 4, 5],
  hours: { from: 540, to: 1020 },
  holidays: [],
};

function workingDay(c: BusinessCalendar, dayStartMs: number): boolean {
  const d = new Date(dayStartMs);
  return c.days.includes(d.getUTCDay()) && !c.holidays.includes(d.toISOString().slice(0, 10));
}

/** Whether `atMs` falls in working hours. */
export function inBusinessHours(c: BusinessCalendar, atMs: number): boolean {
  const dayStart = atMs - (atMs % DAY_MS);
  return workingDay(c, dayStart) && coversMinute(c.hours, Math.floor((atMs - dayStart) / 60_000));
}

/** The start of working hours on the next working day after the day of `atMs`. */
export function nextBusinessDayStart(c: BusinessCalendar, atMs: number): number {
  let day = atMs - (atMs % DAY_MS) + DAY_MS;
  // A calendar with no working day at all would loop forever: a year is the bound.
  for (let i = 0; i < 366 && !workingDay(c, day); i++) day += DAY_MS;
  return day + c.hours.from * 60_000;
}
