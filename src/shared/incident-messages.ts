/**
 * The incident workflow's contract (src/workflows/incident): its input, what it is asked to do
 * (actions a person takes, signed by the API as decisions are), and what it answers. Defined
 * once for the workflow, the API, the CLI, Slack and tests. Workflow-safe types only.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { AlertNotice } from './alert';
import type { IncidentAccounting, IncidentRecord } from './incident';
import type { IncidentPolicy } from './incident-policy';
import type { PageStep } from './paging-plan';
import type { Signed, SignedStart } from './signed';
import type { Severity } from './severity';
import type { UnverifiedNote } from './status';

/** The roles of incident command (seed 002), assigned at triage. */
export const INCIDENT_ROLES = ['commander', 'communications', 'scribe'] as const;
export type IncidentRole = (typeof INCIDENT_ROLES)[number];

/** Where an incident's messages go: target names of `notify.targets` and `tickets.targets`. */
export interface IncidentChannels {
  /**
   * Every page goes to these targets, naming who is paged (PagerDuty, Slack, email kinds); the
   * kind as configured when the incident opened (a Slack page carries Acknowledge / Escalate buttons).
   */
  page: Array<{ target: string; kind: string }>;
  /** Stakeholder updates and reminders to the communications lead. */
  stakeholders?: string;
  /** The status page (a `statuspage` target, or any target). */
  statusPage?: string;
  /** The status page target's kind when the incident opened (`statuspage`: incidents on the page itself). */
  statusPageKind?: string;
  /** The postmortem's ticket system (a `tickets.targets` name). */
  postmortem?: string;
}

/**
 * What the API signs as the incident's "definition" (its digest is in the start claims): the
 * rules as configured when it opened, so a config change never changes a replay.
 */
export interface IncidentDefinition {
  policy: IncidentPolicy;
  channels: IncidentChannels;
  /** After resolution, how long alerts may reopen it before it closes. */
  monitorMs: number;
  /** Triage (roles unassigned) past this long: remind the paged responder. */
  triageReminderMs: number;
  /** Continue as new past this many history events (once nothing is in flight). @default 4000 */
  continueAfterEvents?: number;
  /** Runbooks started as children when it opens (the route's `runbooks`). */
  runbooks: Array<{ id: string; params: Record<string, unknown> }>;
}

/** The params a start signs (`params` of the start claims). */
export interface IncidentParams {
  title: string;
  severity: Severity;
  service?: string;
  /** Event triggers of seed 002: straight to the manager. */
  security?: boolean;
  dataLoss?: boolean;
}

/** What continue-as-new carries: everything a later run needs, nothing that grows without bound. */
export interface IncidentCarry {
  record: IncidentRecord;
  /** Paging triggers already taken (`level/until`) and levels paged. */
  paged: string[];
  levels: string[];
  children: ChildRunbook[];
  tasks: ManualTaskState[];
  /** Cadence: the last update of each kind (ISO) and how many reminders were sent for the current one. */
  cadence: CadenceState;
  postmortem?: string;
  /** Fingerprints of the alerts still firing. */
  alertsSeen: string[];
  /** Request ids of the latest actions applied (a retried request is one action). */
  requests?: string[];
  events: number;
  /** Claims of the start: who opened it, the trigger. */
  openedBy: string;
  notes: UnverifiedNote[];
}

export interface IncidentWorkflowInput {
  definition: IncidentDefinition;
  signed?: SignedStart;
  /** The alert that opened it (alert routes). */
  alert?: AlertNotice;
  /** A continued run's state (continue-as-new): trusted, as it was written by this workflow. */
  carry?: IncidentCarry;
}

export interface ChildRunbook {
  workflowId: string;
  runbookId: string;
  startedBy: string;
  state: 'running' | 'succeeded' | 'failed' | 'cancelled';
  startedAt: string;
  endedAt?: string;
  error?: string;
}

/** A manual task: a person does something outside the system, and says so. */
export interface ManualTaskState {
  id: string;
  title: string;
  assignee: string;
  /** ISO. */
  dueAt?: string;
  createdBy: string;
  createdAt: string;
  state: 'open' | 'done' | 'not-done';
  by?: string;
  at?: string;
  note?: string;
  reminders: number;
}

export interface CadenceState {
  lastStakeholdersAt?: string;
  lastStatusPageAt?: string;
  /** Reminders sent for the stakeholder update now due (reset by each update): 1 reminded, 2 escalated. */
  reminded: number;
  /** The same for the status page. */
  statusPageReminded?: number;
  /** Updates that came due and were not sent in time, in all. */
  overdue: number;
}

/** What a person does to an incident. Each is an entry on the timeline, with who and when. */
export type IncidentAction =
  | { kind: 'ack' }
  | { kind: 'assign'; role: IncidentRole; who: string }
  | { kind: 'escalate'; level?: string; reason?: string }
  | { kind: 'severity'; severity: Severity; reason?: string }
  | {
      kind: 'update';
      text: string;
      statusPage?: boolean;
      status?: 'investigating' | 'identified' | 'monitoring' | 'resolved';
    }
  | { kind: 'resolve'; note?: string }
  | { kind: 'reopen'; reason?: string }
  | { kind: 'close'; note?: string }
  | { kind: 'note'; text: string }
  | { kind: 'flag'; flag: 'security' | 'data-loss' }
  | { kind: 'runbook'; runbook: string; params: Record<string, unknown> }
  | { kind: 'task'; title: string; assignee: string; dueInMs?: number }
  | { kind: 'task-done'; taskId: string; done: boolean; note?: string };

export const INCIDENT_ACTION_KINDS = [
  'ack',
  'assign',
  'escalate',
  'severity',
  'update',
  'resolve',
  'reopen',
  'close',
  'note',
  'flag',
  'runbook',
  'task',
  'task-done',
] as const satisfies ReadonlyArray<IncidentAction['kind']>;

/** One person's action on one incident, as the API authenticated it. */
export interface IncidentActionClaims {
  purpose: 'incident-action';
  workflowId: string;
  /** The incident (the workflow id is the service's, used again by its next incident). */
  incidentId: string;
  actor: string;
  action: IncidentAction;
  channel: 'api' | 'cli' | 'slack' | 'console';
  /** Distinct per request: a retried request is the same action (updates are deduplicated by it). */
  requestId: string;
  expiresAt: string;
}
export type SignedIncidentAction = Signed<IncidentActionClaims>;

export interface IncidentActionResult {
  accepted: true;
  state: IncidentRecord['state'];
  /** What the action did, in words (e.g. "acknowledged by bob"). */
  text: string;
}

/** What the incident answers: its record, its accounting and what comes next. */
export interface IncidentStatus {
  record: IncidentRecord;
  accounting: IncidentAccounting;
  /** The paging plan now and the levels paged. */
  plan: PageStep[];
  paged: string[];
  children: ChildRunbook[];
  tasks: ManualTaskState[];
  cadence: CadenceState & { nextStakeholdersAt?: string; nextStatusPageAt?: string };
  postmortem?: string;
  notes: UnverifiedNote[];
}

export const incidentQuery = defineQuery<IncidentStatus>('incident');

/** The API: a person's action, signed; the validator refuses what cannot apply (why, to the caller). */
export const incidentActionUpdate = defineUpdate<IncidentActionResult, [SignedIncidentAction]>('incidentAction');

/** The Web UI's signal form: decides nothing, noted on the incident as unverified. */
export const incidentActionSignal = defineSignal<[unknown]>('incidentActionUnsigned');
