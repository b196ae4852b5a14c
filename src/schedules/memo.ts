/**
 * How sync recognises its own schedules and remembers what it last wrote.
 *
 * - The schedule's memo `{ managedBy: 'durable-runbooks', runbookId }` marks it as ours. It is set
 *   at create and never changes; a schedule without it is never touched, whatever its id.
 * - The action's memo `{ schedule: ScheduleSyncMemo }` holds the hashes of the last sync. It lives
 *   on the action because the SDK's update (1.24) replaces spec, action, policies and state but
 *   cannot change the schedule's own memo; the action is written atomically with everything else.
 *   Runs the schedule starts carry it as well, which tells which sync started them.
 */
import type { ScheduleDescription, ScheduleSummary } from '@temporalio/client';
import type { ParamValue } from '../shared/model';

export const MANAGED_BY = 'durable-runbooks';

export interface ScheduleSyncMemo {
  managedBy: typeof MANAGED_BY;
  scheduleId: string;
  /** sha256 over the part hashes: any change to spec, action, policies or the declared state. */
  specHash: string;
  /** One hash per part, so a diff can say what changed. */
  parts: { spec: string; action: string; policies: string; declared: string };
  /** Human forms of the last synced values, for diffs. */
  when: string;
  policies: string;
  params: Record<string, ParamValue>;
  /** `paused:` and `note:` as the file declared them at the last sync (not the live state). */
  declaredPaused: boolean;
  declaredNote: string;
}

type WithMemo = Pick<ScheduleSummary, 'memo'> | Pick<ScheduleDescription, 'memo'>;

/** Whether a schedule (listed or described) carries our managed memo. */
export function isManaged(s: WithMemo): boolean {
  return s.memo?.managedBy === MANAGED_BY;
}

export function scheduleMemo(runbookId: string): Record<string, unknown> {
  return { managedBy: MANAGED_BY, runbookId };
}

/** The sync memo of a described schedule; undefined when absent or not of our shape. */
export function readSyncMemo(d: { action: { memo?: Record<string, unknown> } }): ScheduleSyncMemo | undefined {
  const m = (d.action.memo as { schedule?: Partial<ScheduleSyncMemo> } | undefined)?.schedule;
  if (!m || m.managedBy !== MANAGED_BY || typeof m.specHash !== 'string' || !m.parts) return undefined;
  return m as ScheduleSyncMemo;
}

/** The runbook a managed schedule belongs to (from its memo). */
export function runbookOf(s: WithMemo): string | undefined {
  const v = s.memo?.runbookId;
  return typeof v === 'string' ? v : undefined;
}
