/**
 * The reminder ladder over the postmortem's state: what is still open (the document until it is
 * complete, the incident report until it is filed or the document complete, each open item),
 * which rungs are not yet sent and when each is due, and recording one as sent. Pure: workflow
 * time comes from the caller's Date (deterministic in a workflow).
 */
import {
  POSTMORTEM_LIMITS,
  REMINDER_OFFSETS_MS,
  REMINDER_RUNGS,
  type PostmortemState,
  type Reminded,
  type ReminderRung,
} from '../../shared/postmortem';

/** A reminder due: which subject (`document`, `report` or an item id), which rung, when. */
export interface DueReminder {
  subject: string;
  rung: ReminderRung;
  atMs: number;
}

/** Subjects still waiting on someone, each with its reminder record. */
export function openSubjects(s: PostmortemState): Array<[string, Reminded]> {
  const out: Array<[string, Reminded]> = [];
  if (!s.completed) out.push(['document', s.document]);
  if (!s.completed && !s.report.filedBy) out.push(['report', s.report]);
  for (const i of s.items) if (i.state === 'open') out.push([i.id, i]);
  return out;
}

/** Reminders not yet sent, earliest first (ties: document, report, then items in order). */
export function pendingReminders(s: PostmortemState): DueReminder[] {
  const out: DueReminder[] = [];
  for (const [subject, r] of openSubjects(s)) {
    if (!r.dueAt) continue;
    const due = Date.parse(r.dueAt);
    for (const rung of REMINDER_RUNGS)
      if (!r.sent.includes(rung)) out.push({ subject, rung, atMs: due + REMINDER_OFFSETS_MS[rung] });
  }
  return out.sort((a, b) => a.atMs - b.atMs);
}

function remindedOf(s: PostmortemState, subject: string): Reminded | undefined {
  if (subject === 'document') return s.document;
  if (subject === 'report') return s.report;
  return s.items.find((i) => i.id === subject);
}

/** Records a reminder as sent; the rungs before it count as sent too (a late run sends only the newest). */
export function markSent(s: PostmortemState, subject: string, rung: ReminderRung, to: string[]): void {
  const r = remindedOf(s, subject);
  if (!r) return;
  for (const earlier of REMINDER_RUNGS.slice(0, REMINDER_RUNGS.indexOf(rung) + 1))
    if (!r.sent.includes(earlier)) r.sent.push(earlier);
  s.reminders.push({ at: new Date().toISOString(), subject, rung, to });
  const over = s.reminders.length - POSTMORTEM_LIMITS.reminders;
  if (over > 0) s.reminders.splice(0, over);
}
