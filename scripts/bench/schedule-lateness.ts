/**
 * 6. Schedule lateness: COUNT schedules firing at the same instant, each starting a product run
 * (runbookWorkflow, the product's schedule action with an inline no-step runbook as input, since
 * the bench worker has no library to resolve ids from). Lateness is the run's execution start
 * time (Temporal's record) minus the time it was scheduled for; the target is absolute (p99 at
 * most 2 s), there is no baseline: the scheduler is Temporal's, the same for any workflow.
 * Also shown: when the scheduler took each action, and when the worker ran each run's first task.
 */
import { randomUUID } from 'node:crypto';
import { MONTHS, type ScheduleDescription } from '@temporalio/client';
import { scheduleAction } from '../../src/schedules/desired';
import type { ScheduleDef } from '../../src/shared/schedule';
import { emptyRun, signedInput } from './definitions';
import { onCleanup, sleep, type BenchEnv } from './harness';
import { fmt, median, percentile, type Row, type Section } from './report';
import { createBenchWorker, pool, Readiness, runWorkers } from './workers';

/** How far ahead the shared fire time is: room to create every schedule before it. */
const LEAD_MS = 25_000;
/** How long after the fire time to wait for every run to have started. */
const SETTLE_MS = 60_000;
const TARGET_MS = 2000;

/** Readiness that also records when each run's first workflow task ran on the worker. */
class TimedReadiness extends Readiness {
  readonly at = new Map<string, number>();
  override mark(workflowId: string): void {
    if (!this.at.has(workflowId)) this.at.set(workflowId, Date.now());
    super.mark(workflowId);
  }
}

/** A calendar that matches one instant only (second precision, year included), in UTC. */
function onceAt(t: Date) {
  return {
    calendars: [
      {
        second: t.getUTCSeconds(),
        minute: t.getUTCMinutes(),
        hour: t.getUTCHours(),
        dayOfMonth: t.getUTCDate(),
        month: MONTHS[t.getUTCMonth()] as (typeof MONTHS)[number],
        year: t.getUTCFullYear(),
      },
    ],
    timezone: 'UTC',
  };
}

interface Fired {
  scheduledAt: number;
  takenAt: number;
  startedAt: number;
  firstTaskAt?: number;
}

export async function scheduleLateness(env: BenchEnv, o: { count: number }): Promise<Section> {
  const tag = randomUUID().slice(0, 8);
  const taskQueue = `bench-schedules-${tag}`;
  const ids = Array.from({ length: o.count }, (_, i) => `bench-lateness-${tag}-${i}`);
  const deleteAll = () =>
    pool(ids, 10, (id) =>
      env.client.schedule
        .getHandle(id)
        .delete()
        .catch(() => undefined),
    );
  onCleanup(deleteAll); // an interrupted run leaves no schedule behind

  const readiness = new TimedReadiness();
  const worker = await createBenchWorker({
    connection: env.connection,
    taskQueue,
    codePath: env.bundles.product,
    readiness,
  });
  const fireAt = new Date(Math.ceil((Date.now() + LEAD_MS) / 1000) * 1000);
  const spec = onceAt(fireAt);

  const fired = await runWorkers([worker], async () => {
    await pool(ids, 10, (id, i) => {
      const def: ScheduleDef = {
        id: `n${i}`,
        runbookId: 'bench-empty',
        timezone: 'UTC',
        overlap: 'skip',
        catchupWindowMs: 60_000,
        paused: false,
        params: {},
      };
      const action = {
        ...scheduleAction(def, taskQueue),
        workflowId: id,
        args: [
          signedInput(
            { ...emptyRun(), trigger: { source: 'schedule' as const, requestedBy: `schedule:${id}` } },
            { workflowIdPrefix: id },
          ),
        ],
      };
      return env.client.schedule.create({
        scheduleId: id,
        spec,
        action,
        policies: { overlap: 'SKIP', catchupWindow: 60_000 },
      });
    });
    if (Date.now() >= fireAt.getTime() - 1000)
      throw new Error(`creating ${o.count} schedules took past the fire time (${LEAD_MS} ms lead)`);
    await sleep(fireAt.getTime() - Date.now());
    const actions = await waitForActions(env, ids, fireAt.getTime() + SETTLE_MS);
    return pool(actions, 10, (a) => measure(env, a, readiness));
  }).finally(deleteAll);

  const lateness = fired.map((f) => f.startedAt - f.scheduledAt);
  const taken = fired.map((f) => f.takenAt - f.scheduledAt);
  const firstTask = fired
    .filter((f) => f.firstTaskAt !== undefined)
    .map((f) => (f.firstTaskAt as number) - f.scheduledAt);
  const info = (metric: string, xs: number[], f: (v: number[]) => number): Row => ({
    metric,
    baseline: '-',
    product: fmt(f(xs), 0),
  });
  const p99 = percentile(lateness, 0.99);
  return {
    title: '6. Schedule lateness',
    about: `${o.count} Temporal Schedules, created as sync creates them (the product's action), all due at the same second ~${LEAD_MS / 1000} s ahead; each starts a product run on one worker. Lateness = the run's execution start time minus its scheduled time. No baseline: the scheduler is Temporal's.`,
    rows: [
      info('lateness to execution start, p50 (ms)', lateness, median),
      {
        metric: 'lateness to execution start, p99 (ms)',
        baseline: '-',
        product: fmt(p99, 0),
        target: TARGET_MS,
        absolute: { value: Number.isFinite(p99) ? p99 : Infinity, text: `≤ ${TARGET_MS} ms` },
      },
      info('lateness to execution start, max (ms)', lateness, (xs) => Math.max(...xs)),
      info('action taken by the scheduler (takenAt - scheduledAt), p99 (ms)', taken, (xs) => percentile(xs, 0.99)),
      info("run's first workflow task on the worker, p99 (ms)", firstTask, (xs) => percentile(xs, 0.99)),
      {
        metric: 'runs started',
        baseline: '-',
        product: `${fired.length}/${o.count}`,
        target: 0,
        absolute: { value: o.count - fired.length, text: 'all' },
      },
    ],
    notes: [
      "Temporal starts scheduled runs through a per-namespace rate limit (`worker.schedulerNamespaceStartWorkflowRPS`, default 30/s with a burst), so aligned schedules spread out: part of the p99 here. Raise it in the server's dynamic config, or give schedules `jitter`, when many fire at once.",
    ],
  };
}

type Action = ScheduleDescription['info']['recentActions'][number];

/** Each schedule's first action, as soon as it has one (polled), until the deadline. */
async function waitForActions(env: BenchEnv, ids: string[], deadline: number): Promise<Action[]> {
  const out: Action[] = [];
  const pending = new Set(ids);
  while (pending.size > 0 && Date.now() < deadline) {
    await sleep(500);
    const described = await pool([...pending], 10, (id) => env.client.schedule.getHandle(id).describe());
    for (const d of described) {
      const a = d.info.recentActions[0];
      if (a) {
        pending.delete(d.scheduleId);
        out.push(a);
      }
    }
  }
  return out;
}

/** One fired schedule: scheduled and taken times from the schedule, start time from the run. */
async function measure(env: BenchEnv, a: Action, readiness: TimedReadiness): Promise<Fired> {
  const { workflowId, firstExecutionRunId } = a.action.workflow;
  const run = await env.client.workflow.getHandle(workflowId, firstExecutionRunId).describe();
  await readiness.wait(workflowId, 30_000).catch(() => undefined); // missing: left out of that row
  const firstTaskAt = readiness.at.get(workflowId);
  return {
    scheduledAt: a.scheduledAt.getTime(),
    takenAt: a.takenAt.getTime(),
    startedAt: run.startTime.getTime(),
    ...(firstTaskAt !== undefined ? { firstTaskAt } : {}),
  };
}
