/**
 * Acting on the product's schedules: list, sync, pause, resume, trigger now, backfill. The HTTP
 * API is a thin layer over this. Only schedules with the managed memo can be acted on: a
 * schedule someone made by hand in Temporal is theirs to change.
 */
import { ScheduleNotFoundError, type Client, type ScheduleDescription } from '@temporalio/client';
import { runUrl, type AppConfig } from '../config/load';
import type { RunbookLibrary } from '../runbooks/library';
import { RunError } from '../runs/errors';
import { DEFAULT_DEADLINE_MS, temporalCall } from '../runs/call';
import { mapLimit } from '../platform/map-limit';
import { onBehalfOfIn } from './desired';
import { isManaged, readSyncMemo, runbookOf } from './memo';
import { actFor } from './on-behalf';
import { overlapName } from './spec';
import { applyScheduleSync, planScheduleSync, type ScheduleSyncDiff } from './sync';
import { scheduleId } from '../shared/schedule';
import { planSchedules, type PlanScheduleConfig } from './plan-schedules';

export interface ScheduleAction {
  scheduledAt: string;
  takenAt: string;
  workflowId: string;
  runId: string;
  url: string;
}

export interface ScheduleView {
  id: string;
  runbookId?: string;
  /** When it fires, as last synced (e.g. `cron "0 7 * * *" UTC`). */
  when: string;
  policies: string;
  paused: boolean;
  note: string;
  /** Declared by the loaded library; false: the next sync deletes it. */
  declared: boolean;
  /** Who its runs act for (who last synced a change to it, triggered or backfilled it): they cannot approve them. */
  onBehalfOf?: string;
  /** The next three times it would fire (Temporal lists them while paused too). */
  nextActionTimes: string[];
  /** Its latest runs, newest first. */
  recentActions: ScheduleAction[];
  url: string;
}

export interface ScheduleStateChange {
  id: string;
  paused: boolean;
  note: string;
  /** False when it already was as asked (nothing was sent). */
  changed: boolean;
}

export interface ScheduleServiceDeps {
  client: Client;
  config: Pick<AppConfig, 'taskQueue' | 'namespace' | 'uiUrl' | 'signingKeys'> & PlanScheduleConfig;
  library: () => Pick<RunbookLibrary, 'schedules' | 'runbooks' | 'problems'>;
  /** Deadline of each Temporal call. @default 8000 */
  deadlineMs?: number;
}

/** The widest backfill the API accepts: each missed time starts a run, so keep it bounded. */
export const MAX_BACKFILL_MS = 31 * 86_400_000;
/** Clock slack for "the window has passed". */
const FUTURE_SLACK_MS = 60_000;
const RECENT_ACTIONS = 5;

export function createScheduleService(deps: ScheduleServiceDeps) {
  const { client, config } = deps;
  const deadlineMs = deps.deadlineMs ?? DEFAULT_DEADLINE_MS;
  const call = temporalCall(client, deadlineMs);
  const scheduleUrl = (id: string): string =>
    `${config.uiUrl}/namespaces/${encodeURIComponent(config.namespace)}/schedules/${encodeURIComponent(id)}`;

  /** A managed schedule's description; 404 when unknown, 409 when not ours. */
  async function managed(id: string): Promise<ScheduleDescription> {
    const d = await call(() => client.schedule.getHandle(id).describe(), {
      notFound: `no schedule '${id}'`,
      field: 'id',
    });
    if (!isManaged(d))
      throw new RunError(
        'conflict',
        `schedule '${id}' is not managed by durable-runbooks; change it in Temporal directly`,
        'id',
      );
    return d;
  }

  function view(d: ScheduleDescription, declaredIds: Set<string>): ScheduleView {
    const memo = readSyncMemo(d);
    const runbookId = runbookOf(d);
    const onBehalfOf = onBehalfOfIn(d.action);
    return {
      id: d.scheduleId,
      ...(runbookId ? { runbookId } : {}),
      when: memo?.when ?? 'unknown (not synced by durable-runbooks)',
      policies: memo?.policies ?? `overlap ${overlapName(d.policies.overlap)}`,
      paused: d.state.paused,
      note: d.state.note ?? '',
      declared: declaredIds.has(d.scheduleId),
      ...(onBehalfOf !== undefined ? { onBehalfOf } : {}),
      nextActionTimes: d.info.nextActionTimes.slice(0, 3).map((t) => t.toISOString()),
      recentActions: [...d.info.recentActions]
        .sort((a, b) => b.scheduledAt.getTime() - a.scheduledAt.getTime())
        .slice(0, RECENT_ACTIONS)
        .map((a) => ({
          scheduledAt: a.scheduledAt.toISOString(),
          takenAt: a.takenAt.toISOString(),
          workflowId: a.action.workflow.workflowId,
          runId: a.action.workflow.firstExecutionRunId,
          url: runUrl(config, a.action.workflow.workflowId),
        })),
      url: scheduleUrl(d.scheduleId),
    };
  }

  /** This deployment's schedules: declared ones, and managed ones on its task queue (to be deleted if undeclared). */
  async function list(): Promise<ScheduleView[]> {
    const declaredIds = new Set([...deps.library().schedules, ...planSchedules(config)].map(scheduleId));
    const listed = await call(async () => {
      const ids: string[] = [];
      for await (const s of client.schedule.list({ pageSize: 1000 })) if (isManaged(s)) ids.push(s.scheduleId);
      return ids;
    });
    const ids = [...new Set([...declaredIds, ...listed])].sort();
    const described = await mapLimit(ids, 8, (id) =>
      call(() => client.schedule.getHandle(id).describe()).catch((err: unknown) => {
        if (err instanceof ScheduleNotFoundError) return undefined; // declared, not synced yet
        throw err;
      }),
    );
    return described
      .filter(
        (d): d is ScheduleDescription =>
          d !== undefined && isManaged(d) && (declaredIds.has(d.scheduleId) || d.action.taskQueue === config.taskQueue),
      )
      .map((d) => view(d, declaredIds));
  }

  /** `actor`: who syncs (the runs of what it creates or changes act for them). */
  async function sync(o: { dryRun: boolean; actor?: string }): Promise<ScheduleSyncDiff & { dryRun: boolean }> {
    const opts = {
      client,
      config,
      library: deps.library(),
      deadlineMs,
      ...(o.actor !== undefined ? { actor: o.actor } : {}),
    };
    const diff = o.dryRun ? await planScheduleSync(opts) : await applyScheduleSync(opts);
    return { ...diff, dryRun: o.dryRun };
  }

  /** Pause or resume; who and why go in the note Temporal shows. Already so: nothing is sent. */
  async function setPaused(
    id: string,
    paused: boolean,
    o: { note?: string; actor: string },
  ): Promise<ScheduleStateChange> {
    const d = await managed(id);
    if (d.state.paused === paused) return { id, paused, note: d.state.note ?? '', changed: false };
    const note = `${paused ? 'paused' : 'resumed'} by ${o.actor}${o.note?.trim() ? `: ${o.note.trim()}` : ''}`;
    const handle = client.schedule.getHandle(id);
    await call(() => (paused ? handle.pause(note) : handle.unpause(note)), {
      notFound: `no schedule '${id}'`,
      field: 'id',
    });
    return { id, paused, note, changed: true };
  }

  /**
   * Starts a run now, under the schedule's own overlap policy (a skip schedule with a run going
   * starts none), acting for `actor`: they asked for it, so they cannot approve it.
   */
  async function trigger(id: string, actor: string): Promise<{ id: string; overlap: string }> {
    const d = await managed(id);
    await actFor({ client, call, keys: config.signingKeys(), described: d, actor });
    await call(() => client.schedule.getHandle(id).trigger(d.policies.overlap), {
      notFound: `no schedule '${id}'`,
      field: 'id',
    });
    return { id, overlap: overlapName(d.policies.overlap) };
  }

  /** Starts the runs the schedule would have started in a past window (at most 31 days), acting for `actor`. */
  async function backfill(
    id: string,
    w: { start: Date; end: Date },
    actor: string,
  ): Promise<{ id: string; start: string; end: string; overlap: string }> {
    if (!(w.end.getTime() > w.start.getTime())) throw new RunError('invalid', 'end must be after start', 'end');
    if (w.end.getTime() - w.start.getTime() > MAX_BACKFILL_MS)
      throw new RunError('invalid', 'a backfill covers at most 31 days', 'end');
    if (w.end.getTime() > Date.now() + FUTURE_SLACK_MS)
      throw new RunError(
        'invalid',
        'end is in the future: a backfill covers times that have passed (use trigger for now)',
        'end',
      );
    const d = await managed(id);
    await actFor({ client, call, keys: config.signingKeys(), described: d, actor });
    await call(
      () => client.schedule.getHandle(id).backfill({ start: w.start, end: w.end, overlap: d.policies.overlap }),
      { notFound: `no schedule '${id}'`, field: 'id' },
    );
    return { id, start: w.start.toISOString(), end: w.end.toISOString(), overlap: overlapName(d.policies.overlap) };
  }

  return {
    list,
    sync,
    pause: (id: string, o: { note?: string; actor: string }) => setPaused(id, true, o),
    resume: (id: string, o: { note?: string; actor: string }) => setPaused(id, false, o),
    trigger,
    backfill,
  };
}

export type ScheduleService = ReturnType<typeof createScheduleService>;
