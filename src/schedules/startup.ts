/**
 * Sync at process start (npm start, the standalone API). A failure is logged, not fatal: the
 * schedules already in Temporal keep firing, and `runbook schedules sync` can be run later.
 */
import type { ScheduleSyncDiff, ScheduleSyncOptions } from './sync';
import { applyScheduleSync } from './sync';

/** `schedules: 2 created, 1 updated, 0 deleted, 3 unchanged` plus conflicts and failures, one per line. */
export function summarizeDiff(diff: ScheduleSyncDiff): string[] {
  const head = `schedules: ${diff.create.length} created, ${diff.update.length} updated, ${diff.delete.length} deleted, ${diff.unchanged.length} unchanged`;
  return [
    head,
    ...diff.conflicts.map((c) => `schedule ${c.id} left alone: ${c.reason}`),
    ...(diff.failed ?? []).map((f) => `schedule ${f.id}: ${f.op} failed: ${f.error}`),
  ];
}

export async function syncSchedulesAtStart(
  o: ScheduleSyncOptions & { log: (line: string) => void },
): Promise<ScheduleSyncDiff | undefined> {
  try {
    const diff = await applyScheduleSync(o);
    for (const line of summarizeDiff(diff)) o.log(line);
    return diff;
  } catch (err) {
    o.log(`schedules not synced (${(err as Error).message}); run \`runbook schedules sync\` once Temporal answers`);
    return undefined;
  }
}
