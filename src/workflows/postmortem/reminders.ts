/**
 * Reminders and escalations, to the definition's notify target. Not the kit's Notifier: its
 * notices are numbered per run (`<workflow>/notice-<n>`), and a continued run counts from 1
 * again under the same workflow id, so its first reminder would carry the key of the first run's
 * first one, and receivers that deduplicate by key (PagerDuty's dedup_key, Slack's) would drop it.
 * Here each reminder's key names what it is about (`remind-<subject>-<rung>`): unique for the
 * postmortem's whole life and the same on a retry. A failure to notify never fails the workflow.
 */
import type { RetrySpec } from '../../shared/model';
import type { PostmortemState, ReminderRung } from '../../shared/postmortem';
import { callActivity } from '../kit/actions';

const NOTIFY_RETRY: RetrySpec = { maxAttempts: 3, initialIntervalMs: 1000, backoff: 2 };

/** Who a rung tells: the owner, or the managers (with the owner) at the escalation. */
export function recipients(s: PostmortemState, subject: string, rung: ReminderRung): string[] {
  const owner =
    subject === 'document' || subject === 'report'
      ? s.owner
      : (s.items.find((i) => i.id === subject)?.owner ?? s.owner);
  return rung === 'escalated' ? [...new Set([...s.managers, owner])] : [owner];
}

export function reminderText(s: PostmortemState, subject: string, rung: ReminderRung, to: string[]): string {
  const item = s.items.find((i) => i.id === subject);
  const what =
    subject === 'document'
      ? `the postmortem of ${s.incidentId} (${s.title})`
      : subject === 'report'
        ? `the incident report of ${s.incidentId} (${s.title})`
        : `action item ${subject} '${item?.title ?? ''}' of ${s.incidentId}`;
  const due = (subject === 'document' ? s.document.dueAt : subject === 'report' ? s.report.dueAt : item?.dueAt) ?? '';
  const when = {
    before: `is due in 24 hours (${due})`,
    due: `is due now (${due})`,
    after: `is 24 hours overdue (due ${due})`,
    escalated: `is 48 hours overdue (due ${due}): escalated`,
  }[rung];
  return `${to.map((p) => `@${p}`).join(' ')}: ${what} ${when}`;
}

export async function sendReminder(
  target: string | undefined,
  subject: string,
  rung: ReminderRung,
  message: string,
): Promise<void> {
  if (!target) return;
  await callActivity(
    'notify:webhook:post',
    { target, message, severity: rung === 'escalated' || rung === 'after' ? 'warning' : 'info' },
    {
      id: `remind-${subject}-${rung}`,
      action: 'notify:webhook:post',
      retry: NOTIFY_RETRY,
      timeoutMs: 30_000,
      runbookId: 'postmortem',
      dryRun: false,
    },
  ).catch(() => undefined);
}
