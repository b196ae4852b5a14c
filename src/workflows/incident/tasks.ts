/**
 * Manual tasks of an incident (someone does something outside the system and says so): the
 * assignee is reminded when the task falls due and, while it stays open, twice more an hour
 * apart, the last time with the commander told. Done or not-done is an action (with who and a
 * note), on the timeline. One timer at a time, whatever the number of tasks.
 */
import { quietCondition } from '../kit/untracked';
import type { ManualTaskState } from '../../shared/incident-messages';
import type { IncidentBook } from './book';
import type { IncidentSender } from './send';

const AFTER_MS = 60 * 60_000;
const REMINDERS = 3;

export class TaskReminders {
  constructor(
    private readonly book: IncidentBook,
    private readonly sender: IncidentSender,
    private readonly target: () => string | undefined,
  ) {}

  /** When a task's next reminder is due, if it has one left. */
  static nextAt(t: ManualTaskState): number | undefined {
    if (t.state !== 'open' || !t.dueAt || t.reminders >= REMINDERS) return undefined;
    return Date.parse(t.dueAt) + t.reminders * AFTER_MS;
  }

  private key(): string {
    return this.book.tasks.map((t) => `${t.id}:${t.state}:${t.reminders}`).join(',');
  }

  async run(stop: () => boolean): Promise<void> {
    for (;;) {
      if (stop() || this.book.record.state === 'closed') return;
      const due = this.book.tasks
        .map((t) => [t, TaskReminders.nextAt(t)] as const)
        .filter((x): x is readonly [ManualTaskState, number] => x[1] !== undefined)
        .sort((a, b) => a[1] - b[1])[0];
      // Woken by a task added or settled, not by every timeline entry (each wake is a timer again).
      const seen = this.key();
      const wake = () => stop() || this.key() !== seen || this.book.record.state === 'closed';
      if (!due) {
        await quietCondition(wake);
        continue;
      }
      const [task, at] = due;
      if (at > Date.now()) {
        await quietCondition(wake, at - Date.now());
        continue;
      }
      task.reminders++;
      const r = this.book.record;
      const last = task.reminders >= REMINDERS;
      const tell = last && r.roles.commander ? `; ${r.roles.commander} (commander) told` : '';
      this.book.add('task', 'system', `task ${task.id} overdue: ${task.assignee} reminded${tell}`, false);
      const target = this.target();
      if (target)
        await this.sender.notify(
          'task',
          target,
          `${r.id}: ${task.assignee}, "${task.title}" was due ${task.dueAt}${tell}. Say so: runbook incidents task-done ${r.id} ${task.id} [--not-done --note ...]`,
          last ? 'critical' : 'warning',
        );
    }
  }
}
