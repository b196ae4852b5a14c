/**
 * A person's action on an incident, signed by the API: `check` says why it cannot apply now (the
 * update's validator: the caller hears it, history never sees it), `apply` changes the record at
 * once and leaves what takes time (pages, messages, runbooks) to the incident's work queue.
 * Every action is a timeline entry with who, when and the channel it came through.
 */
import type { IncidentAction, IncidentActionClaims, IncidentActionResult } from '../../shared/incident-messages';
import { INCIDENT_ROLES } from '../../shared/incident-messages';
import { SEVERITIES } from '../../shared/severity';
import type { IncidentBook } from './book';

export interface ActionHooks {
  /** Levels not yet paged, in ladder order. */
  unpagedLevels(): string[];
  allLevels(): string[];
  /** Queues work that takes time (run by the incident's work loop, in order). */
  later(job: () => Promise<void>): void;
  escalate(level: string, by: string, reason: string): Promise<void>;
  severityChanged(): void;
  update(a: Extract<IncidentAction, { kind: 'update' }>, by: string): Promise<void>;
  resolve(by: string, note?: string): void;
  reopen(by: string, reason: string): void;
  close(by: string, note?: string): void;
  runbook(id: string, params: Record<string, unknown>, by: string): Promise<void>;
  flag(flag: 'security' | 'data-loss', by: string): Promise<void>;
  taskAdded(taskId: string): void;
  acknowledged(): void;
}

const TEXT_MAX = 2000;
const cut = (t: string): string => (t.length > TEXT_MAX ? `${t.slice(0, TEXT_MAX - 1)}…` : t);

/** Throws a TypeError saying why the action cannot apply now. */
export function check(book: IncidentBook, hooks: ActionHooks, c: IncidentActionClaims): void {
  const a = c.action;
  const r = book.record;
  if (r.state === 'closed') throw new TypeError(`${r.id} is closed`);
  const open = book.open();
  switch (a.kind) {
    case 'ack':
      if (!open) throw new TypeError(`${r.id} is ${r.state}: nothing to acknowledge`);
      if (r.acknowledgedAt) throw new TypeError(`${r.id} was acknowledged at ${r.acknowledgedAt}`);
      return;
    case 'assign':
      if (!INCIDENT_ROLES.includes(a.role))
        throw new TypeError(`no role '${String(a.role)}' (${INCIDENT_ROLES.join(', ')})`);
      if (typeof a.who !== 'string' || !a.who.trim()) throw new TypeError('assign needs who');
      return;
    case 'escalate': {
      if (!open) throw new TypeError(`${r.id} is ${r.state}: nothing to escalate`);
      const levels = hooks.allLevels();
      if (a.level !== undefined && !levels.includes(a.level))
        throw new TypeError(`no escalation level '${a.level}' (levels: ${levels.join(', ')})`);
      if (a.level === undefined && hooks.unpagedLevels().length === 0)
        throw new TypeError(`every level has been paged (${levels.join(', ')})`);
      return;
    }
    case 'severity':
      if (!SEVERITIES.includes(a.severity))
        throw new TypeError(`no severity '${String(a.severity)}' (${SEVERITIES.join(', ')})`);
      if (a.severity === r.severity) throw new TypeError(`${r.id} is ${r.severity} already`);
      return;
    case 'update':
      if (typeof a.text !== 'string' || !a.text.trim()) throw new TypeError('an update needs text');
      return;
    case 'resolve':
      if (!open) throw new TypeError(`${r.id} is ${r.state} already`);
      return;
    case 'reopen':
      if (open) throw new TypeError(`${r.id} is open`);
      return;
    case 'close':
      if (open) throw new TypeError(`${r.id} is ${r.state}: resolve it first`);
      return;
    case 'note':
      if (typeof a.text !== 'string' || !a.text.trim()) throw new TypeError('a note needs text');
      return;
    case 'flag':
      if (a.flag !== 'security' && a.flag !== 'data-loss') throw new TypeError(`no flag '${String(a.flag)}'`);
      return;
    case 'runbook':
      if (!open) throw new TypeError(`${r.id} is ${r.state}: runbooks run while it is open`);
      if (typeof a.runbook !== 'string' || !/^[a-z0-9][a-z0-9-]*$/.test(a.runbook))
        throw new TypeError('runbook needs a runbook id');
      return;
    case 'task':
      if (typeof a.title !== 'string' || !a.title.trim()) throw new TypeError('a task needs a title');
      if (typeof a.assignee !== 'string' || !a.assignee.trim()) throw new TypeError('a task needs an assignee');
      return;
    case 'task-done': {
      const t = book.tasks.find((x) => x.id === a.taskId);
      if (!t) throw new TypeError(`no task '${a.taskId}' (tasks: ${book.tasks.map((x) => x.id).join(', ') || 'none'})`);
      if (t.state !== 'open') throw new TypeError(`task '${t.id}' is ${t.state} already (${t.by ?? ''})`);
      if (!a.done && !(a.note ?? '').trim()) throw new TypeError('not done needs a note saying why');
      return;
    }
    default:
      throw new TypeError(`unknown action '${String((a as { kind?: unknown }).kind)}'`);
  }
}

/** Applies a checked action; what it did, in words. */
export function apply(book: IncidentBook, hooks: ActionHooks, c: IncidentActionClaims): IncidentActionResult {
  const a = c.action;
  const r = book.record;
  const by = c.actor;
  const via = ` (${c.channel})`;
  let text: string;
  switch (a.kind) {
    case 'ack':
      r.acknowledgedAt = new Date().toISOString();
      if (!r.roles.commander) r.roles.commander = by;
      book.setState('acknowledged');
      hooks.acknowledged();
      text = `acknowledged by ${by}${via}`;
      book.add('acknowledged', by, text, true);
      break;
    case 'assign':
      r.roles[a.role] = a.who;
      text = `${a.role}: ${a.who}, assigned by ${by}${via}`;
      book.add('role', by, text, true);
      break;
    case 'escalate': {
      const level = a.level ?? (hooks.unpagedLevels()[0] as string);
      text = `escalated to ${level} by ${by}${via}${a.reason ? `: ${cut(a.reason)}` : ''}`;
      book.add('escalated', by, text, true);
      hooks.later(() => hooks.escalate(level, by, a.reason ?? `escalated by ${by}`));
      break;
    }
    case 'severity': {
      const from = r.severity;
      r.severity = a.severity;
      text = `${from} -> ${a.severity} by ${by}${via}${a.reason ? `: ${cut(a.reason)}` : ''}`;
      book.add('severity', by, text, true);
      hooks.severityChanged();
      break;
    }
    case 'update':
      text = `update by ${by}${via}: ${cut(a.text)}`;
      book.add('update', by, text, true);
      hooks.later(() => hooks.update(a, by));
      break;
    case 'resolve':
      text = `resolved by ${by}${via}${a.note ? `: ${cut(a.note)}` : ''}`;
      book.add('resolved', by, text, true);
      hooks.resolve(by, a.note);
      break;
    case 'reopen':
      text = `reopened by ${by}${via}${a.reason ? `: ${cut(a.reason)}` : ''}`;
      book.add('reopened', by, text, true);
      hooks.reopen(by, a.reason ?? 'reopened');
      break;
    case 'close':
      text = `closed by ${by}${via}${a.note ? `: ${cut(a.note)}` : ''}`;
      hooks.close(by, a.note);
      break;
    case 'note':
      text = cut(a.text);
      book.add('note', by, text, true);
      break;
    case 'flag':
      text = `flagged ${a.flag} by ${by}${via}`;
      book.add('escalated', by, text, true);
      hooks.later(() => hooks.flag(a.flag, by));
      break;
    case 'runbook':
      text = `runbook ${a.runbook} asked for by ${by}${via}`;
      book.add('runbook', by, text, true);
      hooks.later(() => hooks.runbook(a.runbook, a.params ?? {}, by));
      break;
    case 'task': {
      const id = `task-${book.tasks.length + 1}`;
      const now = Date.now();
      book.addTask({
        id,
        title: cut(a.title),
        assignee: a.assignee,
        ...(a.dueInMs !== undefined && a.dueInMs > 0 ? { dueAt: new Date(now + a.dueInMs).toISOString() } : {}),
        createdBy: by,
        createdAt: new Date(now).toISOString(),
        state: 'open',
        reminders: 0,
      });
      text = `task ${id} for ${a.assignee}: ${cut(a.title)} (by ${by}${via})`;
      book.add('task', by, text, true);
      hooks.taskAdded(id);
      break;
    }
    case 'task-done': {
      const t = book.tasks.find((x) => x.id === a.taskId);
      if (!t) throw new TypeError(`no task '${a.taskId}'`);
      t.state = a.done ? 'done' : 'not-done';
      t.by = by;
      t.at = new Date().toISOString();
      if (a.note) t.note = cut(a.note);
      text = `task ${t.id} ${t.state} by ${by}${via}${a.note ? `: ${cut(a.note)}` : ''}`;
      book.add('task', by, text, true);
      break;
    }
  }
  return { accepted: true, state: r.state, text };
}
