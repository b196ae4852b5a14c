/** Messages a run understands. Defined once, used by the workflow, the API, the CLI and tests. */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { AlertNotice } from './alert';
import type { SignedAlert, SignedDecision, SignedStepDecision } from './signed';
import type { ApprovalDecision, ApprovalDecisionResult, RunStatus, StepDecision } from './status';
import type { SignedTaskDecision, TaskDecision, TaskDecisionResult } from './task-claims';

export const statusQuery = defineQuery<RunStatus>('status');

/**
 * The API (for the CLI, Slack, the console): a decision it signed; an answer comes back
 * (accepted, or why refused). Runs from before signing took the plain decision.
 */
export const decideApprovalUpdate = defineUpdate<ApprovalDecisionResult, [SignedDecision | ApprovalDecision]>(
  'decideApproval',
);

/** Web UI's signal form: in a signed run it decides nothing and is noted on the run as unverified. */
export const approvalDecisionSignal = defineSignal<[unknown]>('approvalDecision');

/** The API: retry, skip or abort a paused step, signed as decisions are. */
export const decideStepUpdate = defineUpdate<{ stepId: string; accepted: true }, [SignedStepDecision | StepDecision]>(
  'decideStep',
);

/** Web UI's signal form: noted as unverified, as the approval signal. */
export const stepDecisionSignal = defineSignal<[unknown]>('stepDecision');

/**
 * Alert triggers: a later notification of the alert that started the run (a repeat, or resolved),
 * signed by the API's alert ingest. Runs from before signing took the plain notice.
 */
export const alertSignal = defineSignal<[SignedAlert | AlertNotice]>('alert');

/** The API: a manual task done, or not done (with a note), signed as decisions are. */
export const decideTaskUpdate = defineUpdate<TaskDecisionResult, [SignedTaskDecision | TaskDecision]>('decideTask');

/** Web UI's signal form: noted as unverified, as the approval signal. */
export const taskDecisionSignal = defineSignal<[unknown]>('taskDecision');
