/**
 * Backups and DR failovers from the command line: `backups` (the plans), `backup <plan>`,
 * `verify-restore <plan>`, `failover <plan>` (it then waits for `approve <id> failover`), and
 * `recovery-report <id>` (a backup's, a verification's or a failover's report; `--markdown`).
 */
import type { Command } from 'commander';
import type { RecoveryReport } from '../../runs/recovery';
import type { StartedRun } from '../../runs/service';
import type { ContextFactory } from '../context';
import { CliError, EXIT } from '../errors';
import { table } from '../format';
import { pathOf } from '../http';

interface Plans {
  backups: Array<{
    name: string;
    database: string;
    store: string;
    tier: string;
    schedule: string | null;
    verifySchedule: string | null;
  }>;
  failovers: Array<{ name: string; primary: string; standby: string; tier: string }>;
}

export function registerRecoveryCommands(program: Command, context: ContextFactory): void {
  program
    .command('backups')
    .description('backup and failover plans from configuration, and their schedules')
    .action(async (_opts: unknown, cmd: Command) => {
      const ctx = context(cmd);
      const p = await ctx.api.get<Plans>('/v1/recovery/plans');
      ctx.print(p, () =>
        [
          p.backups.length
            ? table(
                ['plan', 'database', 'store', 'tier', 'backup schedule', 'verify schedule'],
                p.backups.map((b) => [b.name, b.database, b.store, b.tier, b.schedule ?? '-', b.verifySchedule ?? '-']),
              )
            : 'no backup plans (backupPlans: in configuration)',
          p.failovers.length
            ? `\n\nFAILOVER PLANS\n${table(
                ['plan', 'primary', 'standby', 'tier'],
                p.failovers.map((f) => [f.name, f.primary, f.standby, f.tier]),
              )}`
            : '',
        ].join(''),
      );
    });

  const starter = (
    name: string,
    description: string,
    path: (plan: string, drill: boolean) => string,
    after: string,
    drillable = false,
  ) => {
    const c = program
      .command(name)
      .description(description)
      .argument('<plan>', 'the plan’s name in configuration')
      .option('--reason <text>', 'why, shown in the run summary');
    if (drillable)
      c.option('--drill', 'a drill: against the plan’s standby environment, reset after').option(
        '--to <time>',
        'a PITR plan’s last safe point (ISO 8601 with its offset); default the end of the WAL archive',
      );
    return c.action(async (plan: string, opts: { reason?: string; drill?: boolean; to?: string }, cmd: Command) => {
      const ctx = context(cmd);
      if (opts.to !== undefined && opts.drill) throw new CliError('--to is for a failover, not a drill', EXIT.badInput);
      const s = await ctx.api.post<StartedRun>(path(plan, opts.drill === true), {
        via: 'cli',
        ...(opts.reason !== undefined ? { reason: opts.reason } : {}),
        ...(opts.to !== undefined ? { pointInTime: opts.to } : {}),
      });
      ctx.print(
        s,
        () =>
          `${s.created ? 'started' : 'already started'} ${s.workflowId}\n${s.url}\n${after.replace('<id>', s.workflowId)}`,
      );
    });
  };
  starter(
    'backup',
    'back up a plan’s database now (and apply its retention)',
    (p) => `${pathOf('/v1/backups', p)}/runs`,
    'report: runbook recovery-report <id>',
  );
  starter(
    'verify-restore',
    'restore a plan’s newest and a random older backup into scratch databases and check them',
    (p) => `${pathOf('/v1/backups', p)}/verifications`,
    'report: runbook recovery-report <id>',
  );
  starter(
    'failover',
    'fail a database over to its standby (waits for an approval before promoting); --drill: against its standby environment',
    (p, drill) => (drill ? `${pathOf('/v1/failovers', p)}/drills` : pathOf('/v1/failovers', p)),
    'approve: runbook approve <id> failover    report: runbook recovery-report <id> --markdown',
    true,
  );

  program
    .command('recovery-report')
    .description('a backup’s, a restore verification’s or a failover’s report')
    .argument('<workflowId>', 'the run’s workflow id')
    .option('--markdown', 'a failover’s report as Markdown')
    .option('--svg', 'a failover’s phase timeline as an SVG picture')
    .action(async (id: string, opts: { markdown?: boolean; svg?: boolean }, cmd: Command) => {
      const ctx = context(cmd);
      const r = await ctx.api.get<RecoveryReport>(pathOf('/v1/recovery/runs', id));
      if (opts.markdown && r.markdown) return ctx.io.out(r.markdown);
      if (opts.svg && r.svg) return ctx.io.out(r.svg);
      ctx.print(r, () => `${r.workflowType} ${r.status}\n${JSON.stringify(r.report, null, 2)}`);
    });
}
