/** Human gates: `approve` and `reject` a run's waiting approval step. Who decides comes from the token. */
import type { Command } from 'commander';
import type { ApprovalDecisionResult } from '../../shared/status';
import type { ContextFactory } from '../context';
import { pathOf } from '../http';

export function registerApprovalCommands(program: Command, context: ContextFactory): void {
  for (const decision of ['approve', 'reject'] as const) {
    program
      .command(decision)
      .description(`${decision} a run's step that is waiting for approval`)
      .argument('<workflowId>', 'the run’s workflow id')
      .argument('<stepId>', 'the approval step')
      .option('-m, --comment <text>', 'a comment recorded with the decision')
      .action(async (workflowId: string, stepId: string, opts: { comment?: string }, cmd: Command) => {
        const ctx = context(cmd);
        const result = await ctx.api.post<ApprovalDecisionResult>(`${pathOf('/v1/runs', workflowId)}/approvals`, {
          stepId,
          decision,
          ...(opts.comment !== undefined ? { comment: opts.comment } : {}),
          via: 'cli',
        });
        ctx.print(result, () =>
          result.outcome === 'pending'
            ? `decision recorded on step ${result.stepId} of ${workflowId}; it still waits for more approvals`
            : `step ${result.stepId} of ${workflowId}: ${result.outcome}`,
        );
      });
  }
}
