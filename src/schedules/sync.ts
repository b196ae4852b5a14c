/**
 * Sync: make Temporal's schedules match the `schedules:` the runbook library declares and the
 * backup plans' schedules in configuration (src/schedules/plan-schedules.ts).
 * Declared and missing: created. Declared and different (by hash): updated. Ours, on our task
 * queue, and no longer declared: deleted. Schedules without the managed memo are never touched,
 * and managed ones starting runs on another task queue belong to another deployment.
 */
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  type Client,
  type ScheduleDescription,
} from '@temporalio/client';
import type { AppConfig } from '../config/load';
import type { RunbookLibrary } from '../runbooks/library';
import { DEFAULT_DEADLINE_MS, temporalCall, type TemporalCall } from '../runs/call';
import { mapLimit } from '../platform/map-limit';
import { actionWithMemo, desiredSchedule, type DesiredSchedule } from './desired';
import { describeChanges, nextState } from './diff';
import { isManaged, readSyncMemo, runbookOf, scheduleMemo } from './memo';
import { planSchedules, type PlanScheduleConfig } from './plan-schedules';

export interface ScheduleSyncDiff {
  create: Array<{ id: string; runbookId: string; when: string; paused: boolean }>;
  update: Array<{ id: string; runbookId: string; changes: string[] }>;
  delete: Array<{ id: string; runbookId?: string }>;
  unchanged: string[];
  /** Declared schedules left alone: a schedule without our memo holds the id, or two declare one id. */
  conflicts: Array<{ id: string; reason: string }>;
  /** Operations that failed while applying; the others were still done. Only from applyScheduleSync. */
  failed?: Array<{ id: string; op: 'create' | 'update' | 'delete'; error: string }>;
}

export interface ScheduleSyncOptions {
  client: Client;
  config: Pick<AppConfig, 'taskQueue' | 'signingKeys'> & PlanScheduleConfig;
  library: Pick<RunbookLibrary, 'schedules' | 'runbooks' | 'problems'>;
  /** Deadline of each Temporal call. @default 8000 */
  deadlineMs?: number;
  /** Who syncs (an admin through the API): the runs of what it creates or changes act for them. */
  actor?: string;
}

/** Temporal calls at once while planning or applying: enough to be quick, few enough not to flood. */
const CONCURRENCY = 8;

interface Plan {
  diff: ScheduleSyncDiff;
  desired: Map<string, DesiredSchedule>;
}

async function describeOrUndefined(
  client: Client,
  call: TemporalCall,
  id: string,
): Promise<ScheduleDescription | undefined> {
  try {
    return await call(() => client.schedule.getHandle(id).describe());
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return undefined;
    throw err;
  }
}

async function plan(o: ScheduleSyncOptions, call: TemporalCall): Promise<Plan> {
  const diff: ScheduleSyncDiff = { create: [], update: [], delete: [], unchanged: [], conflicts: [] };
  const desired = new Map<string, DesiredSchedule>();
  for (const def of [...o.library.schedules, ...planSchedules(o.config)]) {
    const d = desiredSchedule(def, {
      taskQueue: o.config.taskQueue,
      runbook: o.library.runbooks.get(def.runbookId),
      keys: o.config.signingKeys(),
      ...(o.actor !== undefined ? { onBehalfOf: o.actor } : {}),
    });
    const other = desired.get(d.id);
    if (other) {
      diff.conflicts.push({
        id: d.id,
        reason: `declared by both ${other.def.runbookId} (${other.def.id}) and ${def.runbookId} (${def.id})`,
      });
      continue;
    }
    desired.set(d.id, d);
  }
  for (const c of diff.conflicts) desired.delete(c.id);

  // Visibility lists what may need deleting; it can lag a just-made change, so declared ids are
  // described directly (authoritative) rather than looked up in the list.
  const listed = await call(async () => {
    const ids: string[] = [];
    for await (const s of o.client.schedule.list({ pageSize: 1000 })) if (isManaged(s)) ids.push(s.scheduleId);
    return ids;
  });
  const ids = [...new Set([...desired.keys(), ...listed])].sort();
  const described = await mapLimit(ids, CONCURRENCY, (id) => describeOrUndefined(o.client, call, id));

  ids.forEach((id, i) => {
    const live = described[i];
    const d = desired.get(id);
    if (d) {
      if (!live) diff.create.push({ id, runbookId: d.def.runbookId, when: d.memo.when, paused: d.declared.paused });
      else if (!isManaged(live))
        diff.conflicts.push({
          id,
          reason: 'a schedule without the durable-runbooks memo has this id; it is left alone',
        });
      else {
        const changes = describeChanges(readSyncMemo(live), d, liveState(live));
        if (changes.length) diff.update.push({ id, runbookId: d.def.runbookId, changes });
        else diff.unchanged.push(id);
      }
    } else if (live && isManaged(live) && live.action.taskQueue === o.config.taskQueue) {
      const runbookId = runbookOf(live);
      // A file that did not load may be the one declaring it: never delete on a partial library.
      if (o.library.problems?.length)
        diff.conflicts.push({ id, reason: 'kept: some runbook files did not load, and one may declare it' });
      else diff.delete.push({ id, ...(runbookId ? { runbookId } : {}) });
    }
  });
  return { diff, desired };
}

function liveState(d: Pick<ScheduleDescription, 'state'>): { paused: boolean; note: string } {
  return { paused: d.state.paused, note: d.state.note ?? '' };
}

/** What sync would change, without changing anything (the dry run). */
export async function planScheduleSync(o: ScheduleSyncOptions): Promise<ScheduleSyncDiff> {
  return (await plan(o, temporalCall(o.client, o.deadlineMs ?? DEFAULT_DEADLINE_MS))).diff;
}

/** Plans, then creates, updates and deletes; returns the diff it acted on, with any failures. */
export async function applyScheduleSync(o: ScheduleSyncOptions): Promise<ScheduleSyncDiff> {
  const call = temporalCall(o.client, o.deadlineMs ?? DEFAULT_DEADLINE_MS);
  const { diff, desired } = await plan(o, call);
  const failed: NonNullable<ScheduleSyncDiff['failed']> = [];
  const attempt = (id: string, op: 'create' | 'update' | 'delete', fn: () => Promise<unknown>) =>
    call(fn).then(
      () => undefined,
      (err: Error) => {
        // Another process (a second replica starting) got there first with the same content: fine.
        if (op === 'create' && err instanceof ScheduleAlreadyRunning) return;
        if (op === 'delete' && err instanceof ScheduleNotFoundError) return;
        failed.push({ id, op, error: err.message });
      },
    );

  await mapLimit(diff.create, CONCURRENCY, ({ id }) => {
    const d = desired.get(id) as DesiredSchedule;
    return attempt(id, 'create', () =>
      o.client.schedule.create({
        scheduleId: id,
        spec: d.spec,
        action: actionWithMemo(d),
        policies: d.policies,
        memo: scheduleMemo(d.def.runbookId),
        state: { paused: d.declared.paused, note: d.declared.note },
      }),
    );
  });
  await mapLimit(diff.update, CONCURRENCY, ({ id }) => {
    const d = desired.get(id) as DesiredSchedule;
    // update() reads the schedule again and writes in one step: the state is decided on what is
    // live at that moment, not on what the plan saw.
    return attempt(id, 'update', () =>
      o.client.schedule.getHandle(id).update((live) => ({
        spec: d.spec,
        action: actionWithMemo(d),
        policies: d.policies,
        state: nextState(readSyncMemo(live), d, liveState(live)),
      })),
    );
  });
  await mapLimit(diff.delete, CONCURRENCY, ({ id }) =>
    attempt(id, 'delete', () => o.client.schedule.getHandle(id).delete()),
  );
  return { ...diff, failed };
}
