/** The kill switch through the Temporal client: read, freeze and unfreeze (admins only, via the API). */
import { WithStartWorkflowOperation, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { AppConfig } from '../config/load';
import {
  CONTROL_WORKFLOW,
  controlWorkflowId,
  controlStateQuery,
  freezeUpdate,
  unfreezeUpdate,
  type ControlState,
  type Freeze,
  type FreezeScope,
} from '../shared/coordination';
import { RunError } from './errors';
import { DEFAULT_DEADLINE_MS, temporalCall } from './call';

export function createControlService(deps: {
  client: Client;
  config: Pick<AppConfig, 'taskQueue'>;
  deadlineMs?: number;
}) {
  const { client } = deps;
  // Deadline, "cannot reach", and a refused update as a 409 with its reason (src/runs/call.ts).
  const temporal = temporalCall(client, deps.deadlineMs ?? DEFAULT_DEADLINE_MS);
  const call = <T>(fn: () => Promise<T>): Promise<T> => temporal(fn, { updateRefused: true });

  async function state(): Promise<ControlState> {
    return call(async () => {
      try {
        return await client.workflow.getHandle(controlWorkflowId(deps.config.taskQueue)).query(controlStateQuery);
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return { freezes: [], audit: [] };
        throw err;
      }
    });
  }

  async function freeze(scope: FreezeScope, by: string, reason: string): Promise<Freeze> {
    return call(() =>
      client.workflow.executeUpdateWithStart(freezeUpdate, {
        args: [{ scope, by, reason }],
        startWorkflowOperation: new WithStartWorkflowOperation(CONTROL_WORKFLOW, {
          workflowId: controlWorkflowId(deps.config.taskQueue),
          taskQueue: deps.config.taskQueue,
          args: [{}],
          workflowIdConflictPolicy: 'USE_EXISTING',
          staticSummary: 'durable-runbooks kill switch: freezes of mutating steps, and their audit',
        }),
      }),
    );
  }

  async function unfreeze(freezeId: string, by: string, reason: string): Promise<Freeze> {
    return call(async () => {
      try {
        return await client.workflow
          .getHandle(controlWorkflowId(deps.config.taskQueue))
          .executeUpdate(unfreezeUpdate, { args: [{ freezeId, by, reason }] });
      } catch (err) {
        if (err instanceof WorkflowNotFoundError)
          throw new RunError('not_found', `no freeze '${freezeId}' is in force`, 'id');
        throw err;
      }
    });
  }

  return { state, freeze, unfreeze };
}

export type ControlService = ReturnType<typeof createControlService>;
