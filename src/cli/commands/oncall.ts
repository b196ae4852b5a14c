/** `runbook oncall now|at <time>`: who is on call, from the API's configuration. */
import type { Command } from 'commander';
import type { OnCallNow } from '../../shared/oncall';
import type { ContextFactory } from '../context';
import { CliError } from '../errors';
import { keyValues } from '../format';

type Answer = OnCallNow & { rotations: string[] };

function render(a: Answer): string {
  if (!a.rotation)
    return a.rotations.length
      ? `nobody: no rotation covers ${a.at} (rotations: ${a.rotations.join(', ')})`
      : 'nobody: no on-call rotation is configured (oncall.rotations)';
  const mark = (role: 'primary' | 'secondary') => (a.overridden.includes(role) ? ' (override)' : '');
  return keyValues([
    ['at', a.at],
    ['rotation', a.rotation],
    ['primary', `${a.primary ?? '-'}${mark('primary')}`],
    ['secondary', `${a.secondary ?? '-'}${mark('secondary')}`],
    ['until', a.until ?? '-'],
  ]);
}

export function registerOncallCommands(program: Command, context: ContextFactory): void {
  program
    .command('oncall')
    .description('who is on call: `oncall now`, or `oncall at <time>` (ISO-8601, e.g. 2026-12-01T09:30:00Z)')
    .argument('<when>', 'now | at')
    .argument('[time]', 'with at: the time')
    .action(async (when: string, time: string | undefined, _opts: object, cmd: Command) => {
      if (when !== 'now' && when !== 'at') throw new CliError(`expected now or at <time>, got "${when}"`, 2);
      if (when === 'at' && !time) throw new CliError('oncall at needs a time, e.g. oncall at 2026-12-01T09:30:00Z', 2);
      if (when === 'now' && time) throw new CliError('oncall now takes no time (use oncall at <time>)', 2);
      if (time && Number.isNaN(Date.parse(time)))
        throw new CliError(`not a time: "${time}" (ISO-8601 with its offset, e.g. 2026-12-01T09:30:00Z)`, 2);
      const ctx = context(cmd);
      const a = await ctx.api.get<Answer>('/v1/oncall', time ? { at: new Date(Date.parse(time)).toISOString() } : {});
      ctx.print(a, () => render(a));
    });
}
