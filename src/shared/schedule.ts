/** A routine run declared by a runbook (`schedules:`), compiled; synced to a Temporal Schedule. */
import type { ParamValue } from './model';

export type OverlapName = 'skip' | 'buffer-one' | 'buffer-all' | 'cancel-other' | 'terminate-other' | 'allow-all';
export const WEEKDAYS = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface ScheduleDef {
  /** Unique within its runbook. */
  id: string;
  runbookId: string;
  cron?: string;
  calendar?: { minute?: number[]; hour?: number[]; dayOfMonth?: number[]; dayOfWeek?: Weekday[] };
  everyMs?: number;
  timezone: string;
  jitterMs?: number;
  overlap: OverlapName;
  catchupWindowMs: number;
  paused: boolean;
  note?: string;
  params: Record<string, ParamValue>;
}

/** The Temporal Schedule id of a runbook's schedule. */
export function scheduleId(def: Pick<ScheduleDef, 'runbookId' | 'id'>): string {
  return `runbook-${def.runbookId}-${def.id}`;
}
