/**
 * The workflow kit: what runbooks, incidents, failovers, drills and follow-ups share, each piece
 * over a narrow recorder so a hand-written workflow can use it without any runbook state.
 * Deterministic code only (the rooms lint keeps it so).
 */
export {
  callAction,
  callActivity,
  describeFailure,
  type ActionActivity,
  type CallOptions,
  type InputOf,
  type OutputOf,
  type StepFailure,
} from './actions';
export { Compensations } from './compensation';
export { climb, type ClimbResult, type Rung } from './escalation';
export { KillSwitch } from './freeze';
export { installDecisionHandlers, type DecisionHandler } from './handlers';
export { TargetLocks, type LockEntry, type LockOptions, type LockRecorder } from './locks';
export { Notifier } from './notify';
export { PageLadder, type LadderHooks } from './paging';
export { derivePhase, PhaseOwner, type BasePhase, type WaitKind } from './phase';
export type { Recorder } from './recorder';
export {
  ManualTasks,
  MAX_EARLY_REMINDERS,
  reminderSlot,
  type ManualTaskState,
  type TaskHooks,
  type TaskOptions,
  type TaskSettlement,
  type TaskSpec,
} from './tasks';
export {
  approvalClaims,
  noteUnverified,
  signedRun,
  stepDecisionClaims,
  taskDecisionClaims,
  verifiedAlert,
  verifiedStart,
} from './trust';
export { quietCondition, untracked } from './untracked';
export {
  ApprovalVoting,
  approvalFromClaims,
  type GateResult,
  type GateSpec,
  type OpenGate,
  type VotingRecorder,
} from './voting';
export { installApprovalHandlers } from './approval-handlers';
