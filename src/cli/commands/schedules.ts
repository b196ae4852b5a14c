/** Routine runs: `schedules list | sync [--dry-run] | pause | resume | trigger | backfill`. */
import { InvalidArgumentError, type Command } from 'commander';
import type { ScheduleStateChange, ScheduleView } from '../../schedules/service';
import type { ScheduleSyncDiff } from '../../schedules/sync';
import type { ContextFactory } from '../context';
import { CliError, EXIT } from '../errors';
import { keyValues } from '../format';
import { pathOf } from '../http';

/** An ISO 8601 time with a zone (`2025-01-06T07:00:00Z`); anything else is a usage error (exit 2). */
export function isoTime(text: string): string {
  if (
    !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(text) ||
    Number.isNaN(Date.parse(text))
  ) {
    throw new InvalidArgumentError('expected an ISO 8601 time with a zone, e.g. 2025-01-06T07:00:00Z');
  }
  return new Date(text).toISOString();
}

/** One block per schedule: long notes and three times do not fit a table row. */
export function renderSchedules(list: ScheduleView[]): string {
  if (list.length === 0)
    return 'no schedules (declare them under `schedules:` in a runbook, then `runbook schedules sync`)';
  return list
    .map((s) =>
      [
        `${s.id}${s.runbookId ? `  (runbook ${s.runbookId})` : ''}${s.declared ? '' : '  NOT DECLARED: the next sync deletes it'}`,
        keyValues([
          ['when', `${s.when}; ${s.policies}`],
          ['state', s.paused ? `paused${s.note ? `: ${s.note}` : ''}` : `active${s.note ? ` (${s.note})` : ''}`],
          ['next', s.paused ? 'none while paused' : s.nextActionTimes.join(', ') || '-'],
          ['last runs', s.recentActions.map((a) => `${a.scheduledAt} ${a.workflowId}`).join('; ') || '-'],
        ]).replace(/^/gm, '  '),
      ].join('\n'),
    )
    .join('\n\n');
}

export function renderDiff(d: ScheduleSyncDiff & { dryRun: boolean }): string {
  const lines: string[] = [];
  for (const c of d.create) lines.push(`+ create     ${c.id}  ${c.when}${c.paused ? ' (paused)' : ''}`);
  for (const u of d.update) {
    lines.push(`~ update     ${u.id}`);
    for (const change of u.changes) lines.push(`             ${change}`);
  }
  for (const x of d.delete) lines.push(`- delete     ${x.id}`);
  for (const c of d.conflicts) lines.push(`! left alone ${c.id}: ${c.reason}`);
  for (const f of d.failed ?? []) lines.push(`x failed     ${f.id}: ${f.op}: ${f.error}`);
  const [c, u, x] = d.dryRun ? ['to create', 'to update', 'to delete'] : ['created', 'updated', 'deleted'];
  const counts = `${d.create.length} ${c}, ${d.update.length} ${u}, ${d.delete.length} ${x}, ${d.unchanged.length} unchanged`;
  const head = d.dryRun ? `dry run (nothing changed): ${counts}` : `synced: ${counts}`;
  return [head, ...lines].join('\n');
}

function renderState(s: ScheduleStateChange): string {
  const state = s.paused ? 'paused' : 'active';
  return s.changed
    ? `schedule ${s.id} ${state} (${s.note})`
    : `schedule ${s.id} was already ${state}; nothing changed${s.note ? ` (note: ${s.note})` : ''}`;
}

export function registerScheduleCommands(program: Command, context: ContextFactory): void {
  const schedules = program.command('schedules').description('routine runs declared by runbooks (Temporal Schedules)');

  schedules
    .command('list')
    .description('schedules: when they fire, paused or not, next times and the last run')
    .action(async (_opts: object, cmd: Command) => {
      const ctx = context(cmd);
      const body = await ctx.api.get<{ schedules: ScheduleView[] }>('/v1/schedules');
      ctx.print(body, () => renderSchedules(body.schedules));
    });

  schedules
    .command('sync')
    .description("make Temporal's schedules match the library (admins); --dry-run shows the diff only")
    .option('--dry-run', 'show what would change, change nothing')
    .action(async (opts: { dryRun?: boolean }, cmd: Command) => {
      const ctx = context(cmd);
      const diff = await ctx.api.post<ScheduleSyncDiff & { dryRun: boolean }>('/v1/schedules/sync', {
        dryRun: opts.dryRun === true,
      });
      ctx.print(diff, () => renderDiff(diff));
      if ((diff.failed ?? []).length > 0)
        throw new CliError(`${diff.failed?.length} schedule change(s) failed`, EXIT.failed);
    });

  for (const [name, path, what] of [
    ['pause', 'pause', 'stop a schedule firing until resumed'],
    ['resume', 'resume', 'let a paused schedule fire again'],
  ] as const) {
    schedules
      .command(name)
      .description(what)
      .argument('<id>', 'schedule id (runbook-<runbook>-<schedule>)')
      .option('-m, --note <text>', 'why (shown on the schedule with your name)')
      .action(async (id: string, opts: { note?: string }, cmd: Command) => {
        const ctx = context(cmd);
        const s = await ctx.api.post<ScheduleStateChange>(
          `${pathOf('/v1/schedules', id)}/${path}`,
          opts.note !== undefined ? { note: opts.note } : {},
        );
        ctx.print(s, () => renderState(s));
      });
  }

  schedules
    .command('trigger')
    .description("start a run now (the schedule's overlap policy applies)")
    .argument('<id>', 'schedule id')
    .action(async (id: string, _opts: object, cmd: Command) => {
      const ctx = context(cmd);
      const r = await ctx.api.post<{ id: string; overlap: string }>(`${pathOf('/v1/schedules', id)}/trigger`, {});
      ctx.print(r, () => `schedule ${r.id} triggered (overlap ${r.overlap}); see it with: runbook schedules list`);
    });

  schedules
    .command('backfill')
    .description('start the runs the schedule would have started in a past window (at most 31 days)')
    .argument('<id>', 'schedule id')
    .requiredOption('--from <iso>', 'window start, e.g. 2025-01-06T00:00:00Z', isoTime)
    .requiredOption('--to <iso>', 'window end (after --from, not in the future)', isoTime)
    .action(async (id: string, opts: { from: string; to: string }, cmd: Command) => {
      const ctx = context(cmd);
      const r = await ctx.api.post<{ id: string; start: string; end: string; overlap: string }>(
        `${pathOf('/v1/schedules', id)}/backfill`,
        { start: opts.from, end: opts.to },
      );
      ctx.print(r, () => `schedule ${r.id}: backfill ${r.start} .. ${r.end} requested (overlap ${r.overlap})`);
    });
}
