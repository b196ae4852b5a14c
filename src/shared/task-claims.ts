/**
 * A person's word on a manual task (done, or not done and why), as the API signs it and a
 * workflow takes it: a runbook's `manual` step, or an incident's task (its id in `stepId`).
 * Signed like every decision (src/shared/signed.ts); workflow-safe types only.
 */
import type { Signed } from './signed';
import type { DecisionChannel } from './status';

export interface TaskDecisionClaims {
  purpose: 'task-decision';
  workflowId: string;
  /** The task: a runbook's manual step id, or an incident's task id. */
  stepId: string;
  /** Canonical identity (src/shared/identity.ts), from the caller's credentials. */
  actor: string;
  done: boolean;
  /** Required when not done. */
  note?: string;
  /**
   * The approver groups (configuration's `approverGroups`) the actor is in when the API signs:
   * what lets a member of a `group:<name>` assignee settle the task.
   */
  groups?: string[];
  channel: 'api' | 'cli' | 'slack' | 'console';
  expiresAt: string;
}

export type SignedTaskDecision = Signed<TaskDecisionClaims>;

/** A task decision as the workflow takes it (from verified claims only). */
export interface TaskDecision {
  stepId: string;
  done: boolean;
  actor: string;
  note?: string;
  /** The approver groups the actor is in (signed by the API). */
  groups?: string[];
  /** Runs before signed decisions only: signed ones take the channel from the claims. */
  via?: DecisionChannel;
}

export interface TaskDecisionResult {
  stepId: string;
  accepted: true;
  state: 'done' | 'not-done';
}

/** The longest note a task keeps. */
export const TASK_NOTE_MAX = 2000;
