/**
 * Manual tasks: a person does something outside the system (document the incident, phone the
 * security team) and says so, done or not done with a note. Each open task reminds its assignee
 * on durable timers: before the deadline (every `remindEveryMs`, or once at half the time), at
 * the deadline, and a bounded number of times after it; then it waits quietly. The reminder
 * times follow from the task's own record (`createdAt`, `dueAt`, `reminders`), so a workflow that
 * continues as new carries `list()` and goes on with `restore()` where it left off. No runbook
 * state: the runbook's `manual` step and the incident workflow both use it.
 */
import type { ManualTaskState } from '../../shared/incident-messages';
import { quietCondition, untracked } from './untracked';

export type { ManualTaskState };

/** What the workflow does for its tasks. */
export interface TaskHooks {
  /** Reminds the assignee: the `n`th reminder (1-based), at or past the deadline or not. Should not throw. */
  remind(task: ManualTaskState, n: number, overdue: boolean): Promise<void>;
  /** A task opened, was reminded or settled: refresh what the status shows. */
  changed(): void;
}

export interface TaskOptions {
  /**
   * Between reminders, before the deadline and after it (a task's own `remindEveryMs` wins).
   * Absent: once at half the time to the deadline, then each deadline's length after it.
   */
  remindEveryMs?: number;
  /** Reminders at and after the deadline (the first is at the deadline). @default 3 */
  overdueReminders?: number;
}

export interface TaskSpec {
  id: string;
  title: string;
  /** An identity, or `group:<name>` (any member may settle it). */
  assignee: string;
  /** From now. Absent: no deadline (reminders every `remindEveryMs`, if any, at most MAX_EARLY_REMINDERS). */
  dueInMs?: number;
  /** This task's interval between reminders. Not in its record: `restore` uses the options'. */
  remindEveryMs?: number;
  /** Anyone the caller lets decide may settle it, not only the assignee. Not in its record either. */
  anyone?: boolean;
}

export interface TaskSettlement {
  done: boolean;
  by: string;
  /** Required when not done. */
  note?: string;
}

/** Reminders before a deadline (or of a task without one) at most: a short interval cannot flood history. */
export const MAX_EARLY_REMINDERS = 10;
const DEFAULT_OVERDUE_REMINDERS = 3;
/** The shortest gap between reminders after the deadline. */
const MIN_GAP_MS = 60_000;

/**
 * When reminder `n` (1-based) of a task is due, and whether it is at or past the deadline;
 * undefined when there is none. Pure: the same record gives the same times, in any run.
 */
export function reminderSlot(
  task: Pick<ManualTaskState, 'createdAt' | 'dueAt'>,
  n: number,
  o: { everyMs?: number; overdue?: number } = {},
): { at: number; overdue: boolean } | undefined {
  const created = Date.parse(task.createdAt);
  const every = o.everyMs !== undefined && o.everyMs > 0 ? o.everyMs : undefined;
  if (task.dueAt === undefined) {
    return every !== undefined && n <= MAX_EARLY_REMINDERS ? { at: created + n * every, overdue: false } : undefined;
  }
  const due = Date.parse(task.dueAt);
  const span = Math.max(0, due - created);
  const early =
    every !== undefined ? Math.min(MAX_EARLY_REMINDERS, Math.max(0, Math.ceil(span / every) - 1)) : span > 0 ? 1 : 0;
  if (n <= early)
    return { at: every !== undefined ? created + n * every : created + Math.floor(span / 2), overdue: false };
  const after = n - early - 1;
  if (after >= (o.overdue ?? DEFAULT_OVERDUE_REMINDERS)) return undefined;
  return { at: due + after * Math.max(MIN_GAP_MS, every ?? span), overdue: true };
}

/** The closest of `known` to `id` (a typo's "did you mean"), if close enough to be one. */
function closest(id: string, known: string[]): string | undefined {
  let best: { id: string; d: number } | undefined;
  for (const k of known) {
    const d = editDistance(id, k);
    if (d <= Math.max(2, Math.floor(k.length / 3)) && (!best || d < best.d)) best = { id: k, d };
  }
  return best?.id;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row.push(Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost));
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}

export class ManualTasks {
  private readonly tasks = new Map<string, ManualTaskState>();
  private readonly every = new Map<string, number>();
  private readonly anyone = new Set<string>();

  constructor(
    private readonly hooks: TaskHooks,
    private readonly options: TaskOptions = {},
  ) {}

  /** Opens a task (again, if one of that id was settled: a retried step); throws a TypeError if it is open. */
  open(spec: TaskSpec, by: string): ManualTaskState {
    if (this.tasks.get(spec.id)?.state === 'open') throw new TypeError(`task '${spec.id}' is already open`);
    const now = Date.now();
    const task: ManualTaskState = {
      id: spec.id,
      title: spec.title,
      assignee: spec.assignee,
      ...(spec.dueInMs !== undefined ? { dueAt: new Date(now + spec.dueInMs).toISOString() } : {}),
      createdBy: by,
      createdAt: new Date(now).toISOString(),
      state: 'open',
      reminders: 0,
    };
    this.tasks.set(spec.id, task);
    if (spec.remindEveryMs !== undefined) this.every.set(spec.id, spec.remindEveryMs);
    else this.every.delete(spec.id);
    if (spec.anyone) this.anyone.add(spec.id);
    else this.anyone.delete(spec.id);
    this.hooks.changed();
    return task;
  }

  /** Takes back the tasks a continued run carried (`list()` of the run before). */
  restore(states: readonly ManualTaskState[]): void {
    for (const s of states) this.tasks.set(s.id, { ...s });
  }

  get(id: string): ManualTaskState | undefined {
    return this.tasks.get(id);
  }

  /** Every task, open and settled, in the order opened: what continue-as-new carries. */
  list(): ManualTaskState[] {
    return [...this.tasks.values()];
  }

  /**
   * Throws a TypeError saying why `actor` cannot settle task `id` now: no such task (with a
   * "did you mean"), already settled, not the assignee (nor in its group), or not done without
   * a note. `groups`: the groups the actor is in (as the API signed them).
   */
  validate(id: string, actor: string, d: { done?: boolean; note?: string; groups?: readonly string[] } = {}): void {
    const task = this.tasks.get(id);
    if (!task) {
      const open = this.list()
        .filter((t) => t.state === 'open')
        .map((t) => t.id);
      const near = closest(String(id), [...this.tasks.keys()]);
      const hint = near
        ? ` (did you mean '${near}'?)`
        : open.length
          ? ` (open: ${open.join(', ')})`
          : ' (none is open)';
      throw new TypeError(`no task '${String(id)}'${hint}`);
    }
    if (task.state !== 'open') {
      throw new TypeError(`task '${id}' is already settled: ${task.state} by ${task.by ?? '?'} at ${task.at ?? '?'}`);
    }
    if (typeof actor !== 'string' || actor.trim() === '') throw new TypeError('actor is required');
    if (d.done === false && !(typeof d.note === 'string' && d.note.trim() !== '')) {
      throw new TypeError('a task not done needs a note saying why');
    }
    if (!this.may(task, actor, d.groups ?? [])) {
      throw new TypeError(`task '${id}' is ${task.assignee}'s: ${actor} may not settle it`);
    }
  }

  private may(task: ManualTaskState, actor: string, groups: readonly string[]): boolean {
    if (this.anyone.has(task.id) || task.assignee === actor) return true;
    return task.assignee.startsWith('group:') && groups.includes(task.assignee.slice(6));
  }

  /** Records the outcome (validate first: this does not check who). */
  settle(id: string, s: TaskSettlement): ManualTaskState {
    const task = this.tasks.get(id);
    if (!task) throw new TypeError(`no task '${id}'`);
    task.state = s.done ? 'done' : 'not-done';
    task.by = s.by;
    task.at = new Date().toISOString();
    if (s.note !== undefined && s.note.trim() !== '') task.note = s.note;
    else delete task.note;
    this.hooks.changed();
    return task;
  }

  /** Waits until the task is settled, reminding as it goes; gives its final record. */
  async wait(id: string): Promise<ManualTaskState> {
    const task = this.tasks.get(id);
    if (!task) throw new TypeError(`no task '${id}'`);
    const settled = (): boolean => task.state !== 'open';
    const o = this.slotOptions(id);
    for (;;) {
      if (settled()) return task;
      const next = reminderSlot(task, task.reminders + 1, o);
      if (!next) {
        await quietCondition(settled);
        continue;
      }
      const delay = next.at - Date.now();
      if (delay > 0 && (await quietCondition(settled, delay))) continue;
      // Late past several (a worker was down, or a continued run): one reminder, for the latest.
      let n = task.reminders + 1;
      let slot = next;
      for (let later = reminderSlot(task, n + 1, o); later && later.at <= Date.now();) {
        n++;
        slot = later;
        later = reminderSlot(task, n + 1, o);
      }
      task.reminders = n;
      this.hooks.changed();
      await untracked(this.hooks.remind(task, n, slot.overdue));
    }
  }

  private slotOptions(id: string): { everyMs?: number; overdue?: number } {
    const everyMs = this.every.get(id) ?? this.options.remindEveryMs;
    return {
      ...(everyMs !== undefined ? { everyMs } : {}),
      ...(this.options.overdueReminders !== undefined ? { overdue: this.options.overdueReminders } : {}),
    };
  }
}
