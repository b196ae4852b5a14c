/** A routine run declared by a runbook (`schedules:`), compiled; synced to a Temporal Schedule. */
import type { ParamValue } from './model';
import type { WorkflowKind } from './workflow-kinds';

export type OverlapName = 'skip' | 'buffer-one' | 'buffer-all' | 'cancel-other' | 'terminate-other' | 'allow-all';
export const WEEKDAYS = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface ScheduleDef {
  /** Unique within its runbook. */
  id: string;
  /** The runbook whose file declares it; for kinds declared in configuration, the target (a backup plan's name). */
  runbookId: string;
  /**
   * What it starts: a workflow kind (its action's workflow type, input and search attributes
   * come from the kind's registry entry, src/runs/kinds.ts). `schedules:` in a runbook file start
   * that runbook: the loader sets kind `runbook`, target `runbookId`. Optional for defs built in
   * code (the benchmarks). @default 'runbook'
   */
  kind?: WorkflowKind;
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
  /**
   * For kinds whose target lives in configuration (a backup plan): the target compiled, carried
   * inline in the schedule's action and signed into its runs, so a configuration change is a
   * schedule change (sync updates it) and the runs never read configuration the API did not sign.
   */
  definition?: unknown;
}

/**
 * The Temporal Schedule id: `runbook-<runbook>-<schedule>` for a runbook's schedules; for another
 * kind's, declared in configuration with one schedule per target, `<kind>-<target>`.
 */
export function scheduleId(def: Pick<ScheduleDef, 'runbookId' | 'id' | 'kind'>): string {
  if (def.kind !== undefined && def.kind !== 'runbook') return `${def.kind}-${def.runbookId}`;
  return `runbook-${def.runbookId}-${def.id}`;
}
