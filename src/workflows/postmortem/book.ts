/**
 * The postmortem's state and the rules for changing it: what an action may do now (`check`,
 * for the update's validator: throws a TypeError saying why not, so nothing refused reaches
 * history) and what it does (`apply`, synchronous: the issues an action calls for are opened and
 * closed by the workflow's loop, from the state, so a continued run finishes what was begun).
 * Bounded: items, notes, reminders and delivery ids are capped (POSTMORTEM_LIMITS).
 */
import {
  POSTMORTEM_LIMITS,
  POSTMORTEM_REFUSAL,
  type ActionItem,
  type PostmortemAction,
  type PostmortemActionResult,
  type PostmortemCarry,
  type PostmortemChannel,
  type PostmortemDefinition,
  type PostmortemPhase,
  type PostmortemState,
  type ReminderRung,
} from '../../shared/postmortem';
import { markSent, openSubjects, pendingReminders, type DueReminder } from './ladder';

export type { DueReminder } from './ladder';

const refuse = (why: string): never => {
  throw new TypeError(why);
};

export function freshState(d: PostmortemDefinition): PostmortemState {
  return {
    incidentId: d.incidentId,
    title: d.title,
    severity: d.severity,
    ...(d.service ? { service: d.service } : {}),
    phase: 'open',
    owner: d.owner,
    managers: [...d.managers],
    document: { ...(d.dueAt ? { dueAt: d.dueAt } : {}), sent: [] },
    report: { ...(d.reportDueAt ? { dueAt: d.reportDueAt } : {}), sent: [] },
    items: [],
    nextItem: 1,
    deliveriesTaken: 0,
    reminders: [],
    log: [],
    unverified: [],
    runs: 1,
  };
}

export class PostmortemBook {
  readonly state: PostmortemState;
  /** Delivery ids taken, oldest first (a Set for lookup, the array for the order they leave in). */
  private readonly deliveries: string[];
  private readonly seen: Set<string>;
  /** Bumped by every change: the loop wakes on it. */
  version = 0;

  constructor(definition: PostmortemDefinition, carry?: PostmortemCarry) {
    this.state = carry ? { ...carry.state, runs: carry.state.runs + 1 } : freshState(definition);
    this.deliveries = carry ? carry.deliveries.slice(-POSTMORTEM_LIMITS.deliveries) : [];
    this.seen = new Set(this.deliveries);
  }

  carry(): PostmortemCarry {
    return { state: this.state, deliveries: [...this.deliveries] };
  }

  item(id: string): ActionItem | undefined {
    return this.state.items.find((i) => i.id === id);
  }

  /** Whether the follow-up is over: the document complete and every item closed (their issues too). */
  finished(): boolean {
    return (
      this.state.completed !== undefined &&
      // An issue whose close was tried (and failed for good) does not keep the follow-up alive.
      this.state.items.every((i) => i.state === 'closed' && (!i.ticket || i.ticketClosed !== undefined)) &&
      (!this.state.document.ticket || this.state.document.ticketClosed !== undefined)
    );
  }

  /** Throws a TypeError saying why `a` cannot apply now. */
  check(a: PostmortemAction, channel: PostmortemChannel): void {
    const tracker = channel === 'github' || channel === 'jira';
    if (tracker && a.kind !== 'close-item') refuse(`a ${channel} event can only close an item`);
    switch (a.kind) {
      case 'assign-owner':
        if (a.owner === this.state.owner) refuse(`${a.owner} already owns this postmortem`);
        return;
      case 'add-item':
        if (this.state.items.length >= POSTMORTEM_LIMITS.items)
          refuse(`a postmortem holds at most ${POSTMORTEM_LIMITS.items} action items`);
        if (!Number.isFinite(Date.parse(a.dueAt))) refuse(`dueAt '${a.dueAt}' is not a time`);
        return;
      case 'assign-item': {
        const item = this.item(a.itemId) ?? refuse(`no action item '${a.itemId}'`);
        if (item.state === 'closed') refuse(`${item.id} is ${POSTMORTEM_REFUSAL.alreadyClosed}`);
        return;
      }
      case 'close-item': {
        const item = this.item(a.itemId) ?? refuse(`no action item '${a.itemId}'`);
        if (tracker) this.checkTracker(item, channel, a.tracker);
        else if (a.tracker) refuse('only a tracker event names a tracker');
        if (item.state === 'closed') refuse(`${item.id} is ${POSTMORTEM_REFUSAL.alreadyClosed}`);
        return;
      }
      case 'complete':
        if (this.state.completed) refuse(`the postmortem was completed by ${this.state.completed.by}`);
        return;
      case 'report':
        if (this.state.report.filedBy) refuse(`the incident report was filed by ${this.state.report.filedBy}`);
        return;
      case 'note':
        return;
    }
  }

  /** The item's own issue, and this delivery not taken before: a marker in a body names, it never proves. */
  private checkTracker(item: ActionItem, channel: PostmortemChannel, t: unknown): void {
    const ev = t as { kind?: unknown; id?: unknown; targets?: unknown; deliveryId?: unknown } | undefined;
    if (!ev || typeof ev.deliveryId !== 'string' || ev.deliveryId === '')
      refuse('a tracker event needs its delivery id');
    const e = ev as { kind: unknown; id: unknown; targets: unknown; deliveryId: string };
    if (this.seen.has(e.deliveryId)) refuse(`${POSTMORTEM_REFUSAL.duplicate} ${e.deliveryId}`);
    if (e.kind !== channel) refuse(`a ${channel} event about a ${String(e.kind)} issue`);
    if (!item.ticket) refuse(`${item.id} has no issue of its own`);
    const mine = item.ticket as NonNullable<ActionItem['ticket']>;
    if (mine.kind !== e.kind || mine.id !== e.id)
      refuse(`the event is about issue ${String(e.id)}, not ${item.id}'s issue ${mine.id}`);
    if (!Array.isArray(e.targets) || !e.targets.includes(mine.target))
      refuse(`the event's repository or project is not ${item.id}'s ticket target '${mine.target}'`);
  }

  /** Applies a checked action (the update handler; nothing here throws). */
  apply(a: PostmortemAction, by: string, via: PostmortemChannel): PostmortemActionResult {
    const at = new Date().toISOString();
    const s = this.state;
    let text: string;
    let itemId: string | undefined;
    switch (a.kind) {
      case 'assign-owner':
        text = `owner ${s.owner} -> ${a.owner} by ${by}`;
        s.owner = a.owner;
        break;
      case 'add-item': {
        itemId = `ai-${s.nextItem++}`;
        const due = new Date(Date.parse(a.dueAt)).toISOString();
        s.items.push({
          id: itemId,
          title: a.title,
          owner: a.owner,
          dueAt: due,
          sent: [],
          addedBy: by,
          addedAt: at,
          state: 'open',
        });
        text = `${itemId} '${a.title}' for ${a.owner}, due ${due}, added by ${by}`;
        break;
      }
      case 'assign-item': {
        const item = this.item(a.itemId) as ActionItem;
        text = `${item.id} owner ${item.owner} -> ${a.owner} by ${by}`;
        item.owner = a.owner;
        itemId = item.id;
        break;
      }
      case 'close-item': {
        const item = this.item(a.itemId) as ActionItem;
        Object.assign(item, { state: 'closed', closedBy: by, closedAt: at, closedVia: via });
        if (a.tracker) {
          item.ticketClosed = true;
          this.takeDelivery(a.tracker.deliveryId);
        }
        text = `${item.id} closed by ${by} (${via})${a.reason ? `: ${a.reason}` : ''}`;
        itemId = item.id;
        break;
      }
      case 'complete':
        s.completed = { by, at, ...(a.url ? { url: a.url } : {}) };
        text = `postmortem completed by ${by}${a.url ? ` (${a.url})` : ''}`;
        break;
      case 'report':
        Object.assign(s.report, { filedBy: by, filedAt: at, ...(a.url ? { url: a.url } : {}) });
        text = `incident report filed by ${by}`;
        break;
      case 'note':
        text = a.text.slice(0, 2000);
        break;
    }
    this.log(by, via, text);
    this.refreshPhase();
    this.version++;
    return { accepted: true, text, ...(itemId ? { itemId } : {}), phase: s.phase };
  }

  private takeDelivery(id: string): void {
    this.seen.add(id);
    this.deliveries.push(id);
    this.state.deliveriesTaken++;
    while (this.deliveries.length > POSTMORTEM_LIMITS.deliveries) this.seen.delete(this.deliveries.shift() as string);
  }

  log(by: string, via: PostmortemChannel, text: string): void {
    this.state.log.push({ at: new Date().toISOString(), by, via, text });
    if (this.state.log.length > POSTMORTEM_LIMITS.notes)
      this.state.log.splice(0, this.state.log.length - POSTMORTEM_LIMITS.notes);
  }

  /** Reminders not yet sent, earliest first. */
  pending(): DueReminder[] {
    return pendingReminders(this.state);
  }

  /** Records a reminder as sent. */
  sent(subject: string, rung: ReminderRung, to: string[]): void {
    markSent(this.state, subject, rung, to);
    this.refreshPhase();
  }

  /** Overdue when anything still open is past its due time; done when finished. */
  refreshPhase(): PostmortemPhase {
    const now = Date.now();
    this.state.phase = this.finished()
      ? 'done'
      : openSubjects(this.state).some(([, r]) => r.dueAt !== undefined && Date.parse(r.dueAt) <= now)
        ? 'overdue'
        : 'open';
    return this.state.phase;
  }
}
