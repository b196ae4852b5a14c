/**
 * The compiled runbook model: what the loader produces from YAML and what the workflow interprets.
 * Plain data (JSON-safe) so it can travel in workflow arguments and be pinned in history: a run
 * always finishes on the version of the runbook it started with.
 */

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export type ParamType = 'string' | 'int' | 'number' | 'bool' | 'enum' | 'duration';
export type ParamValue = string | number | boolean;

export interface ParamSpec {
  type: ParamType;
  description?: string;
  /** @default false unless no default is given */
  required: boolean;
  default?: ParamValue;
  /** Allowed values, for `enum`. */
  values?: string[];
}

/** Maps to a Temporal RetryPolicy. */
export interface RetrySpec {
  /** @default 3 */
  maxAttempts: number;
  /** @default 1000 */
  initialIntervalMs: number;
  /** @default 2 */
  backoff: number;
  maxIntervalMs?: number;
  /** Failure types never retried (in addition to the action's own non-retryable errors). */
  nonRetryable?: string[];
}

/**
 * What a failed step (after its retries) does: fail the run (and roll back), continue, or pause
 * for an operator to decide retry / skip / abort.
 */
export type OnFailure = 'fail' | 'continue' | 'pause';

/** How long a paused step waits for a decision, and who is told when that runs out. */
export interface PauseSpec {
  /** @default 1 hour */
  timeoutMs: number;
  /** Notify target told at the deadline; the step then waits as long again before aborting. */
  escalateTo?: string;
}

interface StepBase {
  id: string;
  name?: string;
  /** A template expression; the step is skipped when it is falsy. */
  when?: string;
  retry: RetrySpec;
  /** Per-attempt timeout of the step's activity, or the whole step's for waits and approvals. */
  timeoutMs: number;
  onFailure: OnFailure;
  /** With onFailure: pause. */
  pause?: PauseSpec;
}

/** What every step that calls the catalog carries, resolved at load from the catalog. */
export interface ActionRef {
  action: string;
  /** Activity type the catalog maps the action to. */
  activity: string;
  mutating: boolean;
  /** Not called in dry runs although not mutating (e.g. notifications to people). */
  skipInDryRun?: boolean;
  /** Failure types the action declares permanent (from the catalog): never retried. */
  nonRetryable?: string[];
  /** The catalog's heartbeat timeout for a long action (a restore): a dead worker is noticed in this time. */
  heartbeatTimeoutMs?: number;
  /** What cannot be taken back (the catalog's `requiresApproval`): an approval must guard the step. */
  requiresApproval?: true;
  /** Inputs: JSON with `${{ }}` templates in strings. */
  with: JsonObject;
}

export interface ActionStep extends StepBase, ActionRef {
  kind: 'action';
  /**
   * How to undo this (mutating) step. Undos of completed steps run in reverse order when the run
   * fails, aborts or is cancelled. Its inputs may read this step's own output.
   */
  undo?: ActionRef & { timeoutMs: number; retry: RetrySpec };
}

export interface NotifyStep extends StepBase, ActionRef {
  kind: 'notify';
}

export interface VerifyStep extends StepBase, ActionRef {
  kind: 'verify';
  /** Expression over `output` (and the usual roots) that must become truthy. */
  until: string;
  intervalMs: number;
  /** Give up after this long. */
  withinMs: number;
}

export interface ApprovalStep extends StepBase {
  kind: 'approval';
  /** Shown to approvers; may use templates. */
  message: string;
  /** Who may decide: identities and `group:<name>` (groups from configuration). Absent: any approver. */
  approvers?: string[];
  /** Distinct approvals needed (N of M). @default 1 */
  required: number;
  /** What the deadline (the step's timeout) leads to. `continue` must be written out. @default abort */
  onTimeout: 'abort' | 'escalate' | 'continue';
  /** With onTimeout: escalate: who else may decide, and the new deadline. */
  escalation?: { approvers?: string[]; timeoutMs: number; notify?: string };
  /**
   * Emergency changes: in a run started as an emergency, one approval lets the change go ahead
   * now, and the remaining ones are asked for afterwards, within this window.
   */
  emergency?: { retroactiveWithinMs: number };
  /** Mutating steps this approval covers; their resolved inputs are bound to the decision. */
  guards: string[];
}

export interface WaitStep extends StepBase {
  kind: 'wait';
  durationMs: number;
}

export interface ParallelStep extends StepBase {
  kind: 'parallel';
  steps: Step[];
}

/**
 * A person does something outside the system (document the incident, phone the security team)
 * and says so: done, or not done with a note. Reminded before the deadline, at it and after it.
 */
export interface ManualStep extends StepBase {
  kind: 'manual';
  /** What to do, shown to the assignee and in reminders; may use templates. */
  title: string;
  /** Longer instructions; may use templates. */
  instructions?: string;
  /** Who does it: an identity, `group:<name>` (any member, per configuration's approverGroups), or a template giving one. */
  assignee: string;
  /** How long they have, from when the step begins. */
  deadlineMs: number;
  /** Remind this often before the deadline and after it. Absent: once at half the time, at the deadline, then each deadline's length. */
  remindMs?: number;
  /** Notify target for reminders. @default default */
  notify: string;
  /** Anyone the API lets decide (the operator role) may settle it, not only the assignee. @default false */
  anyone: boolean;
  /** What "not done" does: fail the step (then onFailure applies), or record it and go on. @default fail */
  onNotDone: 'fail' | 'continue';
}

export type Step = ActionStep | NotifyStep | VerifyStep | ApprovalStep | WaitStep | ParallelStep | ManualStep;
export type StepKind = Step['kind'];

export interface RunbookDefinition {
  id: string;
  title: string;
  description: string;
  /** Short content hash of the source file: which version a run used. */
  version: string;
  /** Template naming the service a run is about (a search attribute). */
  service?: string;
  /** Default severity of runs (a search attribute). */
  severity?: string;
  tags: string[];
  params: Record<string, ParamSpec>;
  steps: Step[];
  /**
   * What the runbook mutates (a template), e.g. `service:${{ params.service }}`. Two runs that
   * mutate the same target never overlap, whichever runbooks they are.
   */
  target?: string;
  /** When the target is held by another run: wait (up to timeoutMs) or fail at once. */
  lock?: { onBusy: 'wait' | 'fail'; timeoutMs: number };
  /** At most this many runs of this runbook at once (others wait). */
  concurrency?: number;
  /**
   * Runs started by an alert, once the alert resolves: `stop` before the next mutating step or
   * approval (the default), or `finish` the runbook. `notify` is told when a run stops so.
   */
  alertResolved?: { action: 'stop' | 'finish'; notify?: string };
  /**
   * Who may start a run of it as an emergency change (identities in canonical form and
   * `group:<name>`, groups from configuration, resolved by the API at start). Absent: nobody.
   */
  emergency?: { requesters: string[] };
  /** The run's live message: a `kind: slack` target, posted at the start and kept current. */
  announce?: { target: string };
}

/** `incident`: a runbook an incident started (its requester the person who asked, or the route's owner). */
export type TriggerSource = 'api' | 'cli' | 'web-ui' | 'schedule' | 'alert' | 'slack' | 'incident' | 'failover';

export interface TriggerInfo {
  source: TriggerSource;
  /** Identity of whoever started the run (from their token, never from a request body). */
  requestedBy: string;
  /** Free-form reason shown in the run's summary. */
  reason?: string;
  /**
   * A schedule's runs: the person the schedule acts for (who last created, changed, triggered or
   * backfilled it through the API). Like the requester, they cannot decide its approvals.
   */
  onBehalfOf?: string;
}
