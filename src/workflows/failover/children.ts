/**
 * The pluggable parts of a failover (moving traffic, deploying to the standby site, moving
 * traffic back) are runbooks of the library, run as child runs signed in this sandbox: the
 * failover is their trigger, its requester theirs (who therefore cannot approve them either).
 * A child's own approvals are its own: a runbook meant for a failover should need none, the
 * failover's approval having covered it.
 */
import { ParentClosePolicy, startChild, workflowInfo } from '@temporalio/workflow';
import { RUNBOOK_WORKFLOW } from '../../shared/constants';
import type { RunbookRef } from '../../shared/failover';
import type { TriggerInfo } from '../../shared/model';
import type { RunResult } from '../../shared/status';
import { describeFailure } from '../kit';
import { signChildStart } from '../kit/child-start';

/** Runs a runbook to its end; throws with its error when it does not succeed. */
export async function runChild(ref: RunbookRef, role: string, requestedBy: string): Promise<RunResult> {
  const workflowId = `${workflowInfo().workflowId}-${role}`;
  const trigger: TriggerInfo = { source: 'failover', requestedBy, reason: `${role} of ${workflowInfo().workflowId}` };
  const handle = await startChild(RUNBOOK_WORKFLOW, {
    workflowId,
    args: [
      {
        runbookId: ref.runbook,
        params: ref.params,
        trigger,
        signed: signChildStart(RUNBOOK_WORKFLOW, workflowId, ref.runbook, ref.params, trigger),
      },
    ],
    // A failover cancelled mid-way asks its parts to stop (and roll back) too.
    parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
    staticSummary: `${ref.runbook}: ${role} of ${workflowInfo().workflowId}`.slice(0, 390),
  });
  const result = (await handle.result()) as RunResult;
  if (result.phase !== 'succeeded')
    throw new Error(
      `runbook ${ref.runbook} (${workflowId}) ${result.phase}${result.error ? `: ${result.error.message}` : ''}`,
    );
  return result;
}

export const childError = (err: unknown): string => describeFailure(err).message;
