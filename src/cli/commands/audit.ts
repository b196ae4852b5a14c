/** `runbook audit`: the API's audit log of human actions, newest first (admins). */
import type { Command } from 'commander';
import type { ContextFactory } from '../context';
import { table } from '../format';
import { positiveInt } from '../options';

interface AuditEntry {
  at: string;
  identity: string;
  channel: string;
  action: string;
  target?: string;
  requestId: string;
  status: number;
  outcome: string;
}

export function registerAuditCommands(program: Command, context: ContextFactory): void {
  program
    .command('audit')
    .description('who did what through the API: starts, decisions, cancels, freezes, schedules (admins)')
    .option('--limit <n>', 'at most this many (1-1000)', positiveInt(1000))
    .action(async (opts: { limit?: number }, cmd: Command) => {
      const ctx = context(cmd);
      const body = await ctx.api.get<{ entries: AuditEntry[] }>('/v1/audit', opts);
      ctx.print(body, () =>
        body.entries.length
          ? table(
              ['at', 'who', 'via', 'action', 'target', 'status', 'outcome', 'request'],
              body.entries.map((e) => [
                e.at,
                e.identity,
                e.channel,
                e.action,
                e.target ?? '-',
                String(e.status),
                e.outcome,
                e.requestId,
              ]),
            )
          : 'no audited actions yet',
      );
    });
}
