/** The kill switch from the command line: `freezes`, `freeze`, `unfreeze` (admins). */
import type { Command } from 'commander';
import type { ControlState, Freeze, FreezeScope } from '../../shared/coordination';
import type { ContextFactory } from '../context';
import { CliError } from '../errors';
import { table } from '../format';
import { pathOf } from '../http';

function scopeText(s: FreezeScope): string {
  return s.kind === 'all' ? 'all' : `${s.kind}=${s.value}`;
}

export function registerFreezeCommands(program: Command, context: ContextFactory): void {
  program
    .command('freezes')
    .description('freezes in force (the kill switch) and their audit trail')
    .action(async (_opts: unknown, cmd: Command) => {
      const ctx = context(cmd);
      const s = await ctx.api.get<ControlState>('/v1/freezes');
      ctx.print(s, () =>
        [
          s.freezes.length
            ? table(
                ['id', 'scope', 'by', 'at', 'reason'],
                s.freezes.map((f) => [f.id, scopeText(f.scope), f.by, f.at, f.reason]),
              )
            : 'no freezes in force',
          s.audit.length
            ? `\nAUDIT\n${table(
                ['action', 'id', 'scope', 'by', 'at', 'reason'],
                s.audit.map((a) => [a.action, a.freezeId, scopeText(a.scope), a.by, a.at, a.reason]),
              )}`
            : '',
        ].join(''),
      );
    });

  program
    .command('freeze')
    .description('stop mutating steps (all, or of one service, namespace or runbook) until unfrozen')
    .option('--all', 'every mutating step of every run')
    .option('--service <name>')
    .option('--namespace <name>')
    .option('--runbook <id>')
    .requiredOption('-m, --reason <text>', 'why (recorded in the audit trail)')
    .action(
      async (
        opts: { all?: boolean; service?: string; namespace?: string; runbook?: string; reason: string },
        cmd: Command,
      ) => {
        const chosen = (['service', 'namespace', 'runbook'] as const).filter((k) => opts[k] !== undefined);
        if (chosen.length + (opts.all ? 1 : 0) !== 1)
          throw new CliError('give exactly one of --all, --service, --namespace, --runbook', 2);
        const scope: FreezeScope = opts.all
          ? { kind: 'all' }
          : { kind: chosen[0] as 'service', value: opts[chosen[0] as 'service'] as string };
        const ctx = context(cmd);
        const f = await ctx.api.post<Freeze>('/v1/freezes', { scope, reason: opts.reason });
        ctx.print(
          f,
          () => `freeze ${f.id} in force: ${scopeText(f.scope)} (unfreeze with: runbook unfreeze ${f.id} -m <reason>)`,
        );
      },
    );

  program
    .command('unfreeze')
    .description('lift a freeze')
    .argument('<id>', 'the freeze id')
    .requiredOption('-m, --reason <text>', 'why (recorded in the audit trail)')
    .action(async (id: string, opts: { reason: string }, cmd: Command) => {
      const ctx = context(cmd);
      const f = await ctx.api.post<Freeze>(`${pathOf('/v1/freezes', id)}/unfreeze`, { reason: opts.reason });
      ctx.print(f, () => `freeze ${f.id} lifted: ${scopeText(f.scope)}`);
    });
}
