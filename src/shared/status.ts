/** What a run reports about itself: the `status` query's answer, in structure. */
import type { RunAlert } from './alert';
import type { JsonValue, ParamValue, StepKind, TriggerInfo } from './model';

export type RunPhase =
  | 'starting'
  | 'running'
  | 'waiting_approval'
  /** A step failed and waits for an operator: retry, skip or abort. */
  | 'paused'
  /** Undoing completed mutating steps after a failure, abort or cancel. */
  | 'rolling_back'
  /** An emergency change went ahead; the remaining approvals are asked for afterwards. */
  | 'awaiting_retroactive_approval'
  /** Waiting for a target lock (or a concurrency slot) held by other runs. */
  | 'waiting_lock'
  /** A kill switch stops the next mutating step; read-only steps would go on. */
  | 'frozen'
  | 'succeeded'
  /** The alert that started the run resolved: it stopped before its next change or approval. */
  | 'auto_resolved'
  | 'failed'
  | 'rejected'
  | 'cancelled';

export const FINAL_PHASES: ReadonlySet<RunPhase> = new Set([
  'succeeded',
  'failed',
  'rejected',
  'cancelled',
  'auto_resolved',
]);

export type StepStateName = 'pending' | 'running' | 'waiting' | 'succeeded' | 'failed' | 'skipped';

export interface StepStatus {
  id: string;
  name?: string;
  kind: StepKind;
  action?: string;
  mutating: boolean;
  state: StepStateName;
  /** Activity attempts made (1 = first try succeeded). */
  attempts: number;
  startedAt?: string;
  finishedAt?: string;
  /** A short text form of the output, for tables and the Web UI. */
  outputSummary?: string;
  /** Full output (also kept in history); outputs are never secrets by contract. */
  output?: JsonValue;
  /** Why the step was skipped, or what it would have done in a dry run. */
  note?: string;
  error?: { message: string; type?: string };
  /** The undo of this step, once the run has rolled back. */
  undo?: { action: string; state: 'succeeded' | 'failed'; error?: string; at: string };
  /** Manual steps: the task as it stands (who, by when, done or not, by whom). */
  task?: StepTask;
}

/** A manual step's task, as the status shows it. */
export interface StepTask {
  title: string;
  instructions?: string;
  /** An identity or `group:<name>`. */
  assignee: string;
  /** ISO. */
  dueAt: string;
  state: 'open' | 'done' | 'not-done';
  /** Reminders sent so far. */
  reminders: number;
  /** Who settled it, when, through what, and their note. */
  by?: string;
  at?: string;
  via?: DecisionChannel;
  note?: string;
}

export interface ApprovalDecisionRecord {
  decision: 'approve' | 'reject';
  actor: string;
  via: DecisionChannel;
  comment?: string;
  at: string;
}

export interface PendingApproval {
  stepId: string;
  message: string;
  requestedAt: string;
  deadline?: string;
  /** Distinct approvals needed now, and those given so far. */
  required: number;
  approvals: Array<{ actor: string; at: string; comment?: string }>;
  /** Who may decide (identities, groups expanded), or 'any approver'. */
  allowed: string[] | 'any approver';
  /** The mutating steps this decision covers, with their inputs as resolved now. */
  guards: Array<{ stepId: string; action: string; inputs: JsonValue }>;
  escalated: boolean;
  /** Asked after an emergency change went ahead. */
  retroactive: boolean;
}

/** A paused step waiting for an operator. */
export interface PendingStepDecision {
  stepId: string;
  error: { message: string; type?: string };
  requestedAt: string;
  deadline: string;
  escalated: boolean;
}

/** How an approval gate was passed. */
export interface GateOutcome {
  stepId: string;
  mode: 'normal' | 'emergency' | 'continued-without-decision';
  /**
   * For emergency gates: the approvals asked for afterwards. `cancelled`: asked, and the run was
   * cancelled before they came; `not-asked`: the run ended before asking.
   */
  retroactive?: 'pending' | 'approved' | 'rejected' | 'overdue' | 'not-asked' | 'cancelled';
  /** With retroactive `cancelled` or `not-asked`: why nobody reviewed the change, and what of it stands. */
  unreviewed?: UnreviewedEmergency;
}

/** An emergency gate whose retroactive approval never came: what ended the run, when, and what stands. */
export interface UnreviewedEmergency {
  endedBy: 'cancel' | 'failure' | 'rejection' | 'alert-resolved';
  at: string;
  /** The steps the gate covered that ran and were not undone: changes in place that nobody reviewed. */
  standing: string[];
  /** One line for people, e.g. `not reviewed: the run was cancelled at ... while 1 more approval was asked for`. */
  note: string;
}

export interface RunStatus {
  runbook: { id: string; title: string; version: string };
  params: Record<string, ParamValue>;
  trigger: TriggerInfo;
  dryRun: boolean;
  phase: RunPhase;
  startedAt: string;
  finishedAt?: string;
  steps: StepStatus[];
  pendingApprovals: PendingApproval[];
  decisions: Array<ApprovalDecisionRecord & { stepId: string; retroactive?: boolean }>;
  pendingStepDecisions: PendingStepDecision[];
  stepDecisions: Array<StepDecisionRecord>;
  gates: GateOutcome[];
  /** Workflow time spent waiting on approval gates (set once a gate has waited). */
  approvalWaitMs?: number;
  emergency: boolean;
  /** Target locks and concurrency slots this run asked for. */
  locks: Array<{ target: string; state: 'waiting' | 'held' | 'released' | 'denied' | 'timed-out'; heldBy: string[] }>;
  error?: { message: string; type?: string; stepId?: string };
  /** The alert that started the run (alert triggers only): repeats seen, resolution. */
  alert?: RunAlert;
  /** The run's live Slack message (`announce:`), and why it could not be kept current, if so. */
  announce?: { target: string; problem?: string };
  /**
   * Decisions that did not come signed through the API (the Web UI's signal form, a raw Temporal
   * client): shown, never counted. The latest few, cut short.
   */
  unverified?: UnverifiedNote[];
}

export interface UnverifiedNote {
  at: string;
  /** The message it came as: `approvalDecision`, `decideStep`... */
  message: string;
  /** What it claimed, as typed (cut to a few words): never an identity the run trusts. */
  claimed: string;
  reason: string;
}

/** How a decision reached the run (signed by the API: never read from a payload). Legacy runs: web-ui. */
export type DecisionChannel = 'api' | 'cli' | 'web-ui' | 'slack' | 'console';

/** An approval decision as sent to a run. */
export interface ApprovalDecision {
  stepId: string;
  decision: 'approve' | 'reject';
  /** Who decides: set by the API from the bearer token (canonical, src/shared/identity.ts). */
  actor: string;
  /** Runs before signed decisions only: new runs take the channel from the signed claims. */
  via?: DecisionChannel;
  comment?: string;
  /** When the gate this decides opened (signed decisions): never carried to a later opening. */
  opening?: string;
}

export interface ApprovalDecisionResult {
  stepId: string;
  accepted: true;
  outcome: 'approved' | 'rejected' | 'pending';
}

/** An operator's decision on a paused step. */
export interface StepDecision {
  stepId: string;
  action: 'retry' | 'skip' | 'abort';
  actor: string;
  /** Required to skip. */
  reason?: string;
  via?: DecisionChannel;
}

export interface StepDecisionRecord extends StepDecision {
  via: DecisionChannel;
  at: string;
}

/** What a run returns when it ends. */
export interface RunResult {
  phase: RunPhase;
  steps: Array<Pick<StepStatus, 'id' | 'state' | 'attempts' | 'outputSummary' | 'error'>>;
  error?: RunStatus['error'];
  /** Emergency runs: how each gate was passed, with its retroactive outcome. */
  gates?: GateOutcome[];
  /** Workflow time the run spent waiting on approval gates (an incident adds up its runbooks'). */
  approvalWaitMs?: number;
}
