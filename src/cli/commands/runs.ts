/** Acting on runs: `start`, `status`, `runs`, `cancel`. */
import type { Command } from 'commander';
import type { RunDetail, RunSummary, StartedRun } from '../../runs/service';
import type { ContextFactory } from '../context';
import { CliError, EXIT } from '../errors';
import { keyValues } from '../format';
import { pathOf } from '../http';
import { collectParam, positiveInt } from '../options';
import { renderDetail, renderRuns, stepTable } from '../render-run';
import { succeeded, waitForRun } from '../wait';

interface StartOptions {
  param: Record<string, string>;
  dryRun?: boolean;
  emergency?: boolean;
  idempotencyKey?: string;
  reason?: string;
  wait?: boolean;
}

export function registerRunCommands(program: Command, context: ContextFactory): void {
  program
    .command('start')
    .description('start a run of a runbook')
    .argument('<id>', 'runbook id')
    .option('-p, --param <key=value>', 'a runbook param (repeatable)', collectParam, {})
    .option('--dry-run', 'run read-only steps only; record what mutating steps would do')
    .option('--idempotency-key <key>', 'a retry with the same key and request returns the same run')
    .option('--reason <text>', 'why, shown in the run summary')
    .option('--emergency', 'an emergency change: approvals that allow it take one vote now, the rest afterwards')
    .option('--wait', 'follow the run until it ends; exit 0 only if it succeeded')
    .action(async (id: string, opts: StartOptions, cmd: Command) => {
      const ctx = context(cmd);
      const started = await ctx.api.post<StartedRun>('/v1/runs', {
        runbook: id,
        params: opts.param,
        dryRun: opts.dryRun === true,
        ...(opts.idempotencyKey !== undefined ? { idempotencyKey: opts.idempotencyKey } : {}),
        ...(opts.reason !== undefined ? { reason: opts.reason } : {}),
        ...(opts.emergency ? { emergency: true } : {}),
        via: 'cli',
      });
      if (!opts.wait) {
        ctx.print(started, () => renderStarted(started));
        return;
      }
      if (!ctx.json) ctx.io.out(renderStarted(started));
      const final = await waitForRun(ctx, started.workflowId);
      // Under --json one document: the run as it ended.
      ctx.print(final, () =>
        final.run ? `\n${stepTable(final.run.steps)}\n\nrun ${final.run.phase}` : `\nrun closed: ${final.status}`,
      );
      if (!succeeded(final)) throw new CliError(failureMessage(final), EXIT.failed);
    });

  program
    .command('status')
    .description('show a run: phase, steps, pending approvals')
    .argument('<workflowId>', 'the run’s workflow id')
    .action(async (workflowId: string, _opts: object, cmd: Command) => {
      const ctx = context(cmd);
      const detail = await ctx.api.get<RunDetail>(pathOf('/v1/runs', workflowId));
      ctx.print(detail, () => renderDetail(detail));
    });

  program
    .command('runs')
    .description('list recent runs')
    .option('--runbook <id>', 'only runs of this runbook')
    .option('--phase <phase>', 'only runs in this phase (e.g. waiting_approval, failed)')
    .option('--service <name>', 'only runs about this service')
    .option('--limit <n>', 'at most this many (1-500)', positiveInt(500))
    .action(async (opts: { runbook?: string; phase?: string; service?: string; limit?: number }, cmd: Command) => {
      const ctx = context(cmd);
      const body = await ctx.api.get<{ runs: RunSummary[] }>('/v1/runs', opts);
      ctx.print(body, () => renderRuns(body.runs));
    });

  program
    .command('cancel')
    .description('ask a run to cancel (it undoes what it changed, then ends as cancelled)')
    .argument('<workflowId>', 'the run’s workflow id')
    .action(async (workflowId: string, _opts: object, cmd: Command) => {
      const ctx = context(cmd);
      const body = await ctx.api.post<{ workflowId: string; cancelRequested: boolean; by?: string }>(
        `${pathOf('/v1/runs', workflowId)}/cancel`,
      );
      ctx.print(body, () => `cancellation requested for ${body.workflowId}${body.by ? ` by ${body.by}` : ''}`);
    });
}

function renderStarted(s: StartedRun): string {
  const note = s.created ? undefined : 'already started by an earlier request with this idempotency key';
  return keyValues([
    ['started', s.workflowId],
    ['note', note],
    ['web ui', s.url],
  ]);
}

function failureMessage(d: RunDetail): string {
  if (!d.run) return `run ${d.workflowId} closed as ${d.status}`;
  const e = d.run.error;
  return `run ${d.workflowId} ended ${d.run.phase}${e ? `: ${e.message}` : ''}`;
}
