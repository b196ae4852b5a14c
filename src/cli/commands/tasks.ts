/** Manual steps: `task <run> <step> done|not-done [--note]`. Who says so comes from the token; the run checks they may. */
import { Argument, type Command } from 'commander';
import type { TaskDecisionResult } from '../../shared/task-claims';
import type { ContextFactory } from '../context';
import { pathOf } from '../http';

export function registerTaskCommands(program: Command, context: ContextFactory): void {
  program
    .command('task')
    .description("say a run's manual step is done, or not done (a note is required)")
    .argument('<workflowId>', 'the run’s workflow id')
    .argument('<stepId>', 'the manual step')
    .addArgument(new Argument('<outcome>', 'done or not-done').choices(['done', 'not-done']))
    .option('-m, --note <text>', 'what was done, or why not (required for not-done)')
    .action(async (workflowId: string, stepId: string, outcome: string, opts: { note?: string }, cmd: Command) => {
      if (outcome === 'not-done' && !opts.note?.trim()) cmd.error('error: not-done needs --note saying why');
      const ctx = context(cmd);
      const result = await ctx.api.post<TaskDecisionResult>(`${pathOf('/v1/runs', workflowId)}/tasks`, {
        stepId,
        done: outcome === 'done',
        ...(opts.note !== undefined ? { note: opts.note } : {}),
        via: 'cli',
      });
      ctx.print(result, () => `step ${result.stepId} of ${workflowId}: ${result.state}`);
    });
}
