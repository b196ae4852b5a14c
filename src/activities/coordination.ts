/**
 * Coordination activities: asking a target's lock (signal-with-start of its lock workflow),
 * checking which runs are still open, and reading the kill switch. Built over a narrow slice of
 * the Temporal workflow client (the worker's own, from the activity context, by default).
 */
import type { WorkflowClient } from '@temporalio/client';
import {
  controlWorkflowId,
  controlStateQuery,
  freezesFor,
  LOCK_WORKFLOW,
  acquireLockSignal,
  lockWorkflowId,
  type Freeze,
  type LockRequest,
  type RunScope,
  watchFreezesUpdate,
} from '../shared/coordination';

export type CoordinationClient = Pick<WorkflowClient, 'signalWithStart' | 'getHandle'>;

export function createCoordinationActivities(deps: {
  workflows: () => CoordinationClient;
  taskQueue: () => string;
  /** How often a lock checks that its holders still run. @default 60000 */
  lockHolderCheckMs?: number;
}) {
  /** Asks for a lock; the answer arrives at the run as a signal. Safe to retry. */
  async function requestLock(input: { target: string } & LockRequest): Promise<void> {
    const { target, ...request } = input;
    await deps.workflows().signalWithStart(LOCK_WORKFLOW, {
      workflowId: lockWorkflowId(target),
      taskQueue: deps.taskQueue(),
      args: [{ target, ...(deps.lockHolderCheckMs ? { holderCheckMs: deps.lockHolderCheckMs } : {}) }],
      signal: acquireLockSignal,
      signalArgs: [request],
    });
  }

  /** Which of these runs are still running (a lock frees the places of the others). */
  async function openRuns(input: { workflowIds: string[] }): Promise<string[]> {
    const open: string[] = [];
    for (const id of input.workflowIds) {
      try {
        const d = await deps.workflows().getHandle(id).describe();
        if (d.status.name === 'RUNNING') open.push(id);
      } catch (err) {
        if ((err as Error).name !== 'WorkflowNotFoundError') throw err;
      }
    }
    return open;
  }

  /**
   * The freezes that stop this run's mutating steps now (none when no kill switch was ever used).
   * With a `watcher`, a frozen run is also remembered by the control workflow, which signals it
   * once no freeze covers it (asked again there, atomically, so an unfreeze in between is not missed).
   */
  async function checkFreeze(input: RunScope & { watcher?: string }): Promise<Freeze[]> {
    const { watcher, ...scope } = input;
    try {
      const handle = deps.workflows().getHandle(controlWorkflowId(deps.taskQueue()));
      const covering = freezesFor((await handle.query(controlStateQuery)).freezes, scope);
      if (covering.length === 0 || !watcher) return covering;
      return await handle.executeUpdate(watchFreezesUpdate, { args: [{ watcher, scope }] });
    } catch (err) {
      if ((err as Error).name === 'WorkflowNotFoundError') return [];
      throw err;
    }
  }

  return { requestLock, openRuns, checkFreeze };
}
