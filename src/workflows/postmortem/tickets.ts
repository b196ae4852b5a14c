/**
 * The postmortem's issues: the document's (the draft, at start) and one per action item (with a
 * marker naming it, so the tracker's webhook can say which item closed), closed when the item is
 * closed here. Each call has a fixed id (`postmortem-ticket`, `<item>-ticket`, `<item>-close`), so
 * its idempotency key is the same on every retry and in every continued run: the ticket action
 * finds an issue it opened before instead of opening another.
 */
import { workflowInfo } from '@temporalio/workflow';
import { FAILURE } from '../../shared/failures';
import type { RetrySpec } from '../../shared/model';
import {
  itemLabel,
  itemMarker,
  type ActionItem,
  type PostmortemDefinition,
  type TicketRef,
} from '../../shared/postmortem';
import { callAction, describeFailure, type CallOptions } from '../kit/actions';

/** Trackers are retried for about an hour before the item is tracked here only. */
const TICKET_RETRY: RetrySpec = { maxAttempts: 12, initialIntervalMs: 5000, backoff: 2, maxIntervalMs: 15 * 60_000 };
const PERMANENT = [
  FAILURE.UnknownTarget,
  FAILURE.TargetKindUnsupported,
  FAILURE.HttpClientError,
  FAILURE.MissingSecret,
  FAILURE.SecretNotAllowed,
];

const opts = (id: string, action: string): CallOptions => ({
  id,
  action,
  retry: TICKET_RETRY,
  timeoutMs: 60_000,
  nonRetryable: PERMANENT,
  runbookId: 'postmortem',
  dryRun: false,
});

export type Opened = { ticket: TicketRef } | { error: string };

async function open(
  id: string,
  input: { target: string; title: string; body: string; labels?: string[] },
): Promise<Opened> {
  try {
    const r = await callAction('ticket:issue:create', input, opts(id, 'ticket:issue:create'));
    const o = r.output;
    return { ticket: { target: o.target, kind: o.kind, id: o.id, url: o.url } };
  } catch (err) {
    return { error: describeFailure(err).message.slice(0, 500) };
  }
}

export function openDocument(d: PostmortemDefinition, target: string): Promise<Opened> {
  return open('postmortem-ticket', {
    target,
    title: `Postmortem: ${d.title} (${d.incidentId})`.slice(0, 255),
    body: d.draft.slice(0, 60_000),
    labels: [d.severity],
  });
}

/**
 * An item's issue. The marker rides in the body (GitHub's webhook sends the body); on Jira,
 * whose webhook sends labels, also as a label once the document's issue says the target is Jira.
 */
export function openItem(d: PostmortemDefinition, item: ActionItem, target: string, doc?: TicketRef): Promise<Opened> {
  const { workflowId } = workflowInfo();
  const marker = itemMarker(workflowId, item.id);
  const label = doc?.kind === 'jira' ? itemLabel(workflowId, item.id) : undefined;
  const body = [
    `Action item ${item.id} of the postmortem of ${d.incidentId}: ${d.title}`,
    `Owner: ${item.owner}\nDue: ${item.dueAt}`,
    ...(doc ? [`Postmortem: ${doc.url}`] : []),
    'Close this issue when it is done: the postmortem follow-up closes the item with it.',
    ...(marker ? [marker] : []),
  ].join('\n\n');
  return open(`${item.id}-ticket`, {
    target,
    title: `${item.title} (${d.incidentId} ${item.id})`.slice(0, 255),
    body,
    labels: ['action-item', ...(label ? [label] : [])],
  });
}

/** Closes an issue; answers the error's message if it could not be. */
export async function closeIssue(id: string, t: TicketRef): Promise<string | undefined> {
  try {
    await callAction(
      'ticket:issue:close',
      { target: t.target, id: t.id, reason: 'completed' },
      opts(id, 'ticket:issue:close'),
    );
    return undefined;
  } catch (err) {
    return describeFailure(err).message.slice(0, 500);
  }
}
