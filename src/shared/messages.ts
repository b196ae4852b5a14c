/** Messages a run understands. Defined once, used by the workflow, the API, the CLI and tests. */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { AlertNotice } from './alert';
import type { ApprovalDecision, ApprovalDecisionResult, RunStatus, StepDecision } from './status';

export const statusQuery = defineQuery<RunStatus>('status');

/** API and CLI: an answer comes back (accepted or why refused), through the update's validator. */
export const decideApprovalUpdate = defineUpdate<ApprovalDecisionResult, [ApprovalDecision]>('decideApproval');

/** Web UI: same meaning as the update; a refused decision is recorded in the run's log. */
export const approvalDecisionSignal = defineSignal<[ApprovalDecision]>('approvalDecision');

/** API and CLI: retry, skip or abort a paused step. */
export const decideStepUpdate = defineUpdate<{ stepId: string; accepted: true }, [StepDecision]>('decideStep');

/** Web UI: same meaning as the update: {stepId, action: retry|skip|abort, actor, reason}. */
export const stepDecisionSignal = defineSignal<[StepDecision]>('stepDecision');

/** Alert triggers: a later notification of the alert that started the run (a repeat, or resolved). */
export const alertSignal = defineSignal<[AlertNotice]>('alert');
