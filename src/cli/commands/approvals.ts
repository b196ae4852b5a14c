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

/** Paused steps: `retry`, `skip` (with a reason) or `abort`. */
export function registerStepDecisionCommands(program: Command, context: ContextFactory): void {
  const help = {
    retry: 'run a paused step again',
    skip: 'skip a paused step (a reason is required)',
    abort: 'abort the run at a paused step (completed steps are undone)',
  };
  for (const action of ['retry', 'skip', 'abort'] as const) {
    program
      .command(action)
      .description(help[action])
      .argument('<workflowId>', 'the run’s workflow id')
      .argument('<stepId>', 'the paused step')
      .option('-m, --reason <text>', 'why (required to skip)')
      .action(async (workflowId: string, stepId: string, opts: { reason?: string }, cmd: Command) => {
        const ctx = context(cmd);
        const result = await ctx.api.post<{ stepId: string; accepted: true }>(
          `${pathOf('/v1/runs', workflowId)}/steps`,
          {
            stepId,
            action,
            ...(opts.reason !== undefined ? { reason: opts.reason } : {}),
            via: 'cli',
          },
        );
        ctx.print(result, () => `step ${result.stepId} of ${workflowId}: ${action} accepted`);
      });
  }
}
