/**
 * The postmortem follow-up (src/workflows/postmortem): one workflow per resolved incident, for
 * weeks. Its input as the incident starts it, what people may do to it (signed by the API, as
 * every decision is), what it answers, and the markers that let a tracker's webhook name an
 * action item. Workflow-safe: types, message definitions and pure helpers only.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Severity } from './severity';
import type { Signed, SignedStart } from './signed';
import type { UnverifiedNote } from './status';

/** What the incident knows at resolution, as it starts the follow-up. */
export interface PostmortemDefinition {
  incidentId: string;
  incidentWorkflowId: string;
  title: string;
  severity: Severity;
  service?: string;
  /** ISO. */
  resolvedAt: string;
  /** ISO; absent: the document is optional for this severity (no reminders for it). */
  dueAt?: string;
  /** ISO: the incident report of seed 004 (24 h after resolution). */
  reportDueAt?: string;
  /** The commander, else who resolved. */
  owner: string;
  /** Told when the document or an item is still open 48 h after its due time. */
  managers: string[];
  /** A `tickets.targets` name: the postmortem and each item become issues there. @default none (tracked here only) */
  ticketTarget?: string;
  /** A notify target name for reminders. @default none (reminders are recorded, not sent) */
  notifyTarget?: string;
  /** Markdown draft (postmortemMarkdown of src/shared/incident.ts), <= 60,000 chars. */
  draft: string;
}

export interface PostmortemWorkflowInput {
  definition: PostmortemDefinition;
  signed?: SignedStart;
  carry?: PostmortemCarry;
  /** Continue as new past this many history events. @default 2000 */
  historyLimit?: number;
}

/** What a continued run takes over: the state, bounded (items, notes and deliveries capped). */
export interface PostmortemCarry {
  state: PostmortemState;
  /** Delivery ids of tracker webhooks taken, newest last (at most MAX_DELIVERIES). */
  deliveries: string[];
}

/** Caps that keep the state (and what continue-as-new carries) bounded. */
export const POSTMORTEM_LIMITS = { items: 100, notes: 20, deliveries: 500, reminders: 50 } as const;

/** An issue in a tracker, as ticket:issue:create answered. */
export interface TicketRef {
  target: string;
  kind: 'github' | 'jira';
  id: string;
  url: string;
}

/** Something with a due time: the document, the incident report, an action item. */
export interface Reminded {
  /** ISO. */
  dueAt?: string;
  /** Rungs of the reminder ladder already sent (REMINDER_RUNGS names). */
  sent: ReminderRung[];
}

/** -24 h, at the due time and +24 h to the owner, then +48 h to the managers. */
export const REMINDER_RUNGS = ['before', 'due', 'after', 'escalated'] as const;
export type ReminderRung = (typeof REMINDER_RUNGS)[number];
const H = 3_600_000;
export const REMINDER_OFFSETS_MS: Readonly<Record<ReminderRung, number>> = {
  before: -24 * H,
  due: 0,
  after: 24 * H,
  escalated: 48 * H,
};

export interface ActionItem extends Reminded {
  /** `ai-<n>`, unique in the postmortem for ever (continued runs go on counting). */
  id: string;
  title: string;
  owner: string;
  dueAt: string;
  addedBy: string;
  addedAt: string;
  state: 'open' | 'closed';
  /** The item's own issue, once opened. */
  ticket?: TicketRef;
  /** Why no issue could be opened (the item is tracked here only). */
  ticketError?: string;
  closedBy?: string;
  closedAt?: string;
  closedVia?: PostmortemChannel;
  /** Whether the tracker's issue is closed too (closed there, or closed by this workflow). */
  ticketClosed?: boolean;
}

/** What the postmortem answers (`postmortem` query), and what a continued run carries. */
export interface PostmortemState {
  incidentId: string;
  title: string;
  severity: Severity;
  service?: string;
  phase: PostmortemPhase;
  owner: string;
  managers: string[];
  document: Reminded & { ticket?: TicketRef; ticketError?: string; ticketClosed?: boolean };
  report: Reminded & { filedBy?: string; filedAt?: string; url?: string };
  completed?: { by: string; at: string; url?: string };
  items: ActionItem[];
  /** The next item's number. */
  nextItem: number;
  /** Deliveries of tracker webhooks taken (each counted once). */
  deliveriesTaken: number;
  /** Reminders and escalations as sent (newest last, at most POSTMORTEM_LIMITS.reminders). */
  reminders: Array<{ at: string; subject: string; rung: ReminderRung; to: string[] }>;
  /** What people did (each action in words, notes too), newest last, at most POSTMORTEM_LIMITS.notes. */
  log: Array<{ at: string; by: string; via: PostmortemChannel; text: string }>;
  /** Unsigned messages: noted, never applied (at most POSTMORTEM_LIMITS.notes). */
  unverified: UnverifiedNote[];
  /** Runs so far (1 + continue-as-new count). */
  runs: number;
}

/** `Phase` of a postmortem: open, overdue (something past its due time), done. */
export type PostmortemPhase = 'open' | 'overdue' | 'done';

export type PostmortemChannel = 'api' | 'cli' | 'slack' | 'console' | 'github' | 'jira';
export const POSTMORTEM_CHANNELS = [
  'api',
  'cli',
  'slack',
  'console',
  'github',
  'jira',
] as const satisfies ReadonlyArray<PostmortemChannel>;

/** A tracker's event, as the API verified its signature: which issue it says closed. */
export interface TrackerClose {
  kind: 'github' | 'jira';
  /** The issue (GitHub number as text, Jira key). */
  id: string;
  /** The ticket targets the event's repository or project is (the item's must be one). */
  targets: string[];
  /** X-GitHub-Delivery, X-Atlassian-Webhook-Identifier or a hash of the body. */
  deliveryId: string;
}

/** What a person (or a verified tracker event) does to a postmortem. */
export type PostmortemAction =
  | { kind: 'assign-owner'; owner: string }
  | { kind: 'add-item'; title: string; owner: string; dueAt: string }
  | { kind: 'assign-item'; itemId: string; owner: string }
  | { kind: 'close-item'; itemId: string; reason?: string; tracker?: TrackerClose }
  | { kind: 'complete'; url?: string }
  | { kind: 'report'; url?: string }
  | { kind: 'note'; text: string };

export const POSTMORTEM_ACTION_KINDS = [
  'assign-owner',
  'add-item',
  'assign-item',
  'close-item',
  'complete',
  'report',
  'note',
] as const satisfies ReadonlyArray<PostmortemAction['kind']>;

/** One action on one postmortem, as the API authenticated it (or a tracker's signature proved). */
export interface PostmortemActionClaims {
  purpose: 'postmortem-action';
  workflowId: string;
  actor: string;
  action: PostmortemAction;
  channel: PostmortemChannel;
  /** Distinct per request (the update id): a retried request is the same action. */
  requestId: string;
  expiresAt: string;
}
export type SignedPostmortemAction = Signed<PostmortemActionClaims>;

export interface PostmortemActionResult {
  accepted: true;
  /** What it did, in words ("ai-2 closed by bob"). */
  text: string;
  /** The item added or acted on. */
  itemId?: string;
  phase: PostmortemPhase;
}

/**
 * Refusals callers tell apart (the validator's message starts with one): a webhook delivery
 * taken before, and an event about an item already closed, are answered as "nothing to do".
 */
export const POSTMORTEM_REFUSAL = {
  duplicate: 'duplicate delivery',
  alreadyClosed: 'already closed',
} as const;

export const postmortemQuery = defineQuery<PostmortemState>('postmortem');
/** The API's signed actions; the validator refuses (and tells why) what cannot apply. */
export const postmortemActionUpdate = defineUpdate<PostmortemActionResult, [SignedPostmortemAction]>(
  'postmortemAction',
);
/** An unsigned action (Web UI form, raw clients): only noted. */
export const postmortemActionSignal = defineSignal<[unknown]>('postmortemActionUnsigned');

/** The workflow id of an incident's postmortem. */
export const postmortemWorkflowId = (incidentId: string): string => `postmortem-${incidentId}`;

/** What an item's issue carries so a tracker's webhook can name it: ids only, never trusted alone. */
const SAFE_ID = /^[A-Za-z0-9._:@-]{1,200}$/;
const MARKER = /<!-- durable-runbooks:postmortem-item=(ai-\d{1,6}) workflow=([A-Za-z0-9._:@-]{1,200}) -->/;

/** The hidden marker in an item's GitHub body (undefined for a workflow id it cannot carry). */
export function itemMarker(workflowId: string, itemId: string): string | undefined {
  return SAFE_ID.test(workflowId)
    ? `<!-- durable-runbooks:postmortem-item=${itemId} workflow=${workflowId} -->`
    : undefined;
}

export function parseItemMarker(body: string): { workflowId: string; itemId: string } | undefined {
  const m = MARKER.exec(body);
  return m ? { itemId: m[1] as string, workflowId: m[2] as string } : undefined;
}

/** A Jira label naming the item (labels take no spaces; the catalog allows 50 characters). */
const LABEL = /^dr-pm\.(ai-\d{1,6})\.([A-Za-z0-9._:@-]{1,200})$/;
export function itemLabel(workflowId: string, itemId: string): string | undefined {
  const label = `dr-pm.${itemId}.${workflowId}`;
  return SAFE_ID.test(workflowId) && label.length <= 50 ? label : undefined;
}

export function parseItemLabel(labels: readonly string[]): { workflowId: string; itemId: string } | undefined {
  for (const l of labels) {
    const m = LABEL.exec(l);
    if (m) return { itemId: m[1] as string, workflowId: m[2] as string };
  }
  return undefined;
}
