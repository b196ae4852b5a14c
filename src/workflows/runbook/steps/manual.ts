/**
 * `manual:` steps: a person does something outside the system by a deadline. The task (the kit's
 * ManualTasks) reminds them through the step's notify target, and is settled by a signed
 * `decideTask` update from the assignee (a member of its group, or, with `anyone`, whoever the
 * API lets decide). Done goes on; not done fails the step (its onFailure applies: pause lets an
 * operator ask again) or, with `onNotDone: continue`, is recorded as skipped and the run goes on.
 */
import { ApplicationFailure } from '@temporalio/workflow';
import { FAILURE } from '../../../shared/failures';
import { checkIdentity } from '../../../shared/identity';
import { decideTaskUpdate, taskDecisionSignal } from '../../../shared/messages';
import type { JsonObject, ManualStep, RetrySpec } from '../../../shared/model';
import type { DecisionChannel } from '../../../shared/status';
import { flattenSteps } from '../../../shared/steps';
import type { TaskDecision, TaskDecisionResult } from '../../../shared/task-claims';
import { render, toText } from '../../../shared/template';
import {
  callActivity,
  installDecisionHandlers,
  ManualTasks,
  signedRun,
  taskDecisionClaims,
  untracked,
  type ManualTaskState,
} from '../../kit';
import type { RunState } from '../run-state';
import type { Done, StepRun, StepRunner } from './types';

const REMINDER_RETRY: RetrySpec = { maxAttempts: 3, initialIntervalMs: 1000, backoff: 2 };

/** The run's tasks and their decision handlers, made at its first manual step. */
class RunTasks {
  readonly tasks: ManualTasks;
  private readonly manual: ReadonlyMap<string, ManualStep>;
  private readonly via = new Map<string, DecisionChannel>();
  private readonly instructions = new Map<string, string>();
  /** Reminders sent by this run: each its own idempotency key (`<workflow>/<step>/reminder-<n>`). */
  private sent = 0;

  constructor(
    private readonly state: RunState,
    private readonly run: { runbookId: string; dryRun: boolean },
  ) {
    this.manual = new Map(
      flattenSteps(state.runbook.steps).flatMap((s) => (s.kind === 'manual' ? [[s.id, s] as const] : [])),
    );
    this.tasks = new ManualTasks({
      remind: (task, n, overdue) => this.remind(task, n, overdue),
      changed: () => this.show(),
    });
    installDecisionHandlers(
      decideTaskUpdate,
      taskDecisionSignal,
      {
        validate: (d) => this.validate(d),
        apply: (d, via) => this.apply(d, via),
        describe: {
          update: 'Say a manual step is done, or not done (with a note): signed by the API (CLI, HTTP API).',
          signal: 'Say a manual step is done or not done: {stepId, done, actor, note}.',
        },
        claims: taskDecisionClaims,
        unverified: (message, payload, reason) => this.state.unverified(message, payload, reason),
      },
      signedRun(),
    );
  }

  open(step: ManualStep, task: { title: string; assignee: string; instructions?: string }): ManualTaskState {
    this.via.delete(step.id);
    const opened = this.tasks.open(
      {
        id: step.id,
        title: task.title,
        assignee: task.assignee,
        dueInMs: step.deadlineMs,
        ...(step.remindMs !== undefined ? { remindEveryMs: step.remindMs } : {}),
        anyone: step.anyone,
      },
      this.state.requester,
    );
    if (task.instructions !== undefined) this.instructions.set(step.id, task.instructions);
    this.show();
    return opened;
  }

  viaOf(id: string): DecisionChannel | undefined {
    return this.via.get(id);
  }

  private validate(d: TaskDecision): void {
    if (d === null || typeof d !== 'object') throw new TypeError('a decision object is required');
    if (typeof d.done !== 'boolean') throw new TypeError('done must be true or false');
    if (this.manual.has(d.stepId) && !this.tasks.get(d.stepId))
      throw new TypeError(`manual step '${d.stepId}' has not begun: nothing to settle yet`);
    this.tasks.validate(d.stepId, d.actor, {
      done: d.done,
      ...(d.note !== undefined ? { note: d.note } : {}),
      groups: Array.isArray(d.groups) ? d.groups : [],
    });
  }

  private apply(d: TaskDecision, via: DecisionChannel): TaskDecisionResult {
    this.via.set(d.stepId, via);
    const t = this.tasks.settle(d.stepId, {
      done: d.done,
      by: d.actor.trim(),
      ...(typeof d.note === 'string' ? { note: d.note } : {}),
    });
    return { stepId: d.stepId, accepted: true, state: t.state === 'done' ? 'done' : 'not-done' };
  }

  /** The status shows each task as it stands. */
  private show(): void {
    for (const t of this.tasks.list()) {
      const via = this.via.get(t.id);
      const instructions = this.instructions.get(t.id);
      this.state.step(t.id).task = {
        title: t.title,
        ...(instructions !== undefined ? { instructions } : {}),
        assignee: t.assignee,
        dueAt: t.dueAt ?? '',
        state: t.state,
        reminders: t.reminders,
        ...(t.by !== undefined ? { by: t.by } : {}),
        ...(t.at !== undefined ? { at: t.at } : {}),
        ...(via !== undefined ? { via } : {}),
        ...(t.note !== undefined ? { note: t.note } : {}),
      };
    }
    this.state.publish();
  }

  /** A reminder through the step's notify target; a failure to send never fails the run. */
  private async remind(task: ManualTaskState, n: number, overdue: boolean): Promise<void> {
    const step = this.manual.get(task.id);
    if (!step || this.run.dryRun) return;
    const where = `${this.state.runbook.title} (run ${this.state.workflowId}, step ${task.id})`;
    const how = `Say so with: runbook task ${this.state.workflowId} ${task.id} done|not-done --note "..."`;
    const message = overdue
      ? `Overdue (reminder ${n}): ${task.assignee}, "${task.title}" was due ${task.dueAt ?? ''}. ${where}. ${how}`
      : `Reminder ${n}: ${task.assignee}, "${task.title}" is due ${task.dueAt ?? ''}. ${where}. ${how}`;
    const input: JsonObject = { target: step.notify, message, severity: overdue ? 'warning' : 'info' };
    await callActivity('notify:webhook:post', input, {
      id: `${task.id}/reminder-${++this.sent}`,
      action: 'notify:webhook:post',
      retry: REMINDER_RETRY,
      timeoutMs: 30_000,
      runbookId: this.run.runbookId,
      dryRun: false,
    }).catch(() => undefined);
  }
}

/**
 * One per run. The interpreter's setup (../workflow.ts) does not know this kind, so the first
 * manual step makes it; keyed by the run's own state, so no two runs ever share one (a worker's
 * workflows share this module).
 */
const perRun = new WeakMap<RunState, RunTasks>();

function tasksOf(x: StepRun): RunTasks {
  let t = perRun.get(x.state);
  if (!t) {
    t = new RunTasks(x.state, x.runInfo());
    perRun.set(x.state, t);
  }
  return t;
}

/** The rendered assignee: `group:<name>` or a canonical identity; anything else fails the step. */
function assigneeOf(text: string, stepId: string): string {
  if (text.startsWith('group:') && text.length > 6) return text;
  const r = checkIdentity(text);
  if ('identity' in r) return r.identity;
  throw ApplicationFailure.nonRetryable(`manual step '${stepId}': assignee ${r.error}`, FAILURE.InvalidInput);
}

export const runManual: StepRunner<'manual'> = async (step, x) => {
  const scope = x.state.scope();
  const title = toText(render(step.title, scope));
  const instructions = step.instructions !== undefined ? toText(render(step.instructions, scope)) : undefined;
  const assignee = assigneeOf(toText(render(step.assignee, scope)), step.id);
  if (x.state.status.dryRun) return { note: `dry run: would ask ${assignee} to: ${title}`, wouldDo: true };
  const t = tasksOf(x);
  const opened = t.open(step, { title, assignee, ...(instructions !== undefined ? { instructions } : {}) });
  x.state.updateStep(step.id, {
    state: 'waiting',
    note: `waiting for ${assignee}: ${title} (due ${opened.dueAt ?? ''})`,
  });
  const task = await untracked(t.tasks.wait(step.id));
  return settled(step, task, t.viaOf(step.id));
};

function settled(step: ManualStep, task: ManualTaskState, via: DecisionChannel | undefined): Done {
  const by = `${task.by ?? '?'}${via ? ` via ${via}` : ''}`;
  const output: JsonObject = {
    done: task.state === 'done',
    by: task.by ?? null,
    at: task.at ?? null,
    ...(via ? { via } : {}),
    note: task.note ?? null,
    reminders: task.reminders,
  };
  if (task.state === 'done')
    return { output, outputSummary: 'done', note: `done, said ${by}${task.note ? `: ${task.note}` : ''}` };
  const said = `not done, said ${by}: ${task.note ?? ''}`;
  // Recorded as skipped: it did not happen, and the runbook says to go on.
  if (step.onNotDone === 'continue') return { output, outputSummary: 'not done', note: said, wouldDo: true };
  throw ApplicationFailure.create({ message: said, type: FAILURE.StepFailed, nonRetryable: true });
}
