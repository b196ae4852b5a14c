/**
 * Coordination between runs: target locks (one mutating run per target, or N runs of a runbook)
 * and the kill switch (freezes). Messages and ids shared by the workflows, activities and API.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { LockAnswerClaims, Signed } from './signed';

// ---- target locks -------------------------------------------------------------------------

export interface LockRequest {
  /** Workflow id of the run asking. */
  holder: string;
  /** Wait in line, or be told at once that it is taken. */
  onBusy: 'wait' | 'fail';
  /** How many runs may hold it at once (1 for a target; N for a runbook's concurrency limit). */
  capacity: number;
}

export interface LockState {
  target: string;
  capacity: number;
  holders: string[];
  queue: string[];
}

/** A lock's answer to the run that asked: sent as a signal to that run. */
export interface LockAnswer {
  target: string;
  outcome: 'granted' | 'denied' | 'queued';
  heldBy: string[];
  /** The same answer, signed by the lock workflow (every answer since the patch; runs check it). */
  signed?: Signed<LockAnswerClaims>;
}

export const acquireLockSignal = defineSignal<[LockRequest]>('acquireLock');
export const releaseLockSignal = defineSignal<[{ holder: string }]>('releaseLock');
export const lockStateQuery = defineQuery<LockState>('lockState');
export const lockAnswerSignal = defineSignal<[LockAnswer]>('lockAnswer');

export const LOCK_WORKFLOW = 'targetLockWorkflow';
export function lockWorkflowId(target: string): string {
  return `lock:${target}`;
}

// ---- kill switch --------------------------------------------------------------------------

export type FreezeScope = { kind: 'all' } | { kind: 'service' | 'namespace' | 'runbook'; value: string };

export interface Freeze {
  id: string;
  scope: FreezeScope;
  by: string;
  reason: string;
  at: string;
}

export interface FreezeAuditEntry {
  action: 'freeze' | 'unfreeze';
  freezeId: string;
  scope: FreezeScope;
  by: string;
  reason: string;
  at: string;
}

/** What a freeze may cover of a run. */
export interface RunScope {
  runbookId: string;
  service?: string;
  namespace?: string;
}

/** A frozen run that asked to be told when the freezes covering it are lifted. */
export interface FreezeWatch {
  /** Workflow id of the run. */
  watcher: string;
  scope: RunScope;
}

export interface ControlState {
  freezes: Freeze[];
  audit: FreezeAuditEntry[];
  /** Frozen runs waiting to be told (absent in control workflows started before runs were woken). */
  watchers?: FreezeWatch[];
}

export const freezeUpdate = defineUpdate<Freeze, [{ scope: FreezeScope; by: string; reason: string }]>('freeze');
export const unfreezeUpdate = defineUpdate<Freeze, [{ freezeId: string; by: string; reason: string }]>('unfreeze');
export const controlStateQuery = defineQuery<ControlState>('controlState');
/**
 * A frozen run asks: which freezes cover me now? If any, the control workflow remembers it and
 * signals `freezesChanged` once none does, so the run waits without polling (a run frozen for a
 * day would otherwise fill its history with checks).
 */
export const watchFreezesUpdate = defineUpdate<Freeze[], [FreezeWatch]>('watchFreezes');
/** To a watching run: the freezes changed; ask again. */
export const freezesChangedSignal = defineSignal('freezesChanged');

export const CONTROL_WORKFLOW = 'controlWorkflow';
/**
 * One kill switch per deployment (task queue): the runs a worker fleet executes obey the switch
 * the API of that deployment sets.
 */
export function controlWorkflowId(taskQueue: string): string {
  return `durable-runbooks-control:${taskQueue}`;
}

/** Which freezes stop a run's mutating steps. */
export function freezesFor(freezes: Freeze[], run: RunScope): Freeze[] {
  return freezes.filter((f) => {
    const s = f.scope;
    if (s.kind === 'all') return true;
    if (s.kind === 'runbook') return s.value === run.runbookId;
    if (s.kind === 'service') return s.value === run.service;
    return s.value === run.namespace;
  });
}
