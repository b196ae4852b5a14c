/** Alert triggers from the command line: the routing rules, a dry routing test, the journal. */
import type { Command } from 'commander';
import type { AlertRouteConfig } from '../../config/schema';
import type { JournalEntry } from '../../alerts/journal';
import type { ContextFactory } from '../context';
import { CliError } from '../errors';
import { assignments, keyValues, table } from '../format';

function matchText(m: AlertRouteConfig['match']): string {
  return (
    [
      ...(m.source ? [`source in ${m.source.join('|')}`] : []),
      ...Object.entries(m.labels ?? {}).map(([k, v]) => `${k}=${v}`),
      ...Object.entries(m.labelsRegex ?? {}).map(([k, v]) => `${k}=~${v}`),
      ...(m.severity ? [`severity in ${m.severity.join('|')}`] : []),
    ].join(', ') || 'everything'
  );
}

function pairs(values: string[], flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const i = v.indexOf('=');
    if (i <= 0) throw new CliError(`${flag} takes name=value, got '${v}'`, 2);
    out[v.slice(0, i)] = v.slice(i + 1);
  }
  return out;
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];

export function registerAlertCommands(program: Command, context: ContextFactory): void {
  const alerts = program
    .command('alerts')
    .description('alert routing rules, a dry routing test, and alerts that did not become runs');

  alerts
    .command('routes')
    .description('the routing rules, first match wins')
    .action(async (_opts: unknown, cmd: Command) => {
      const ctx = context(cmd);
      const r = await ctx.api.get<{ routes: AlertRouteConfig[] }>('/v1/alerts/routes');
      ctx.print(r, () =>
        r.routes.length
          ? table(
              ['route', 'match', 'runbook', 'params', 'owner'],
              r.routes.map((x) => [x.id, matchText(x.match), x.runbook, assignments(x.params), x.owner]),
            )
          : 'no routes: every alert is journalled as unrouted',
      );
    });

  alerts
    .command('test')
    .description('which route an alert would take and with what params (starts nothing)')
    .option('-l, --label <name=value>', 'a label of the alert (repeat)', collect, [])
    .option('-a, --annotation <name=value>', 'an annotation (repeat)', collect, [])
    .option('--source <source>', 'alertmanager | grafana | pagerduty | generic', 'alertmanager')
    .action(async (opts: { label: string[]; annotation: string[]; source: string }, cmd: Command) => {
      if (opts.label.length === 0) throw new CliError('give at least one --label name=value', 2);
      const ctx = context(cmd);
      const body = {
        source: opts.source,
        labels: pairs(opts.label, '--label'),
        annotations: pairs(opts.annotation, '--annotation'),
      };
      const r = await ctx.api.post<{
        route?: string;
        runbook?: string;
        params?: Record<string, unknown>;
        workflowId?: string;
        problem?: string;
      }>('/v1/alerts/test', body);
      ctx.print(r, () =>
        keyValues([
          ['route', r.route ?? '(none)'],
          ['runbook', r.runbook],
          ['params', r.params ? assignments(r.params) : undefined],
          ['run id', r.workflowId],
          ['problem', r.problem],
        ]),
      );
    });

  alerts
    .command('journal')
    .description('alerts kept for inspection: unrouted, malformed, unstartable, unauthorized')
    .option('--kind <kind>', 'unrouted | malformed | unstartable | unauthorized | oversized | cut', 'unrouted')
    .option('--limit <n>', 'newest first, at most this many', '20')
    .action(async (opts: { kind: string; limit: string }, cmd: Command) => {
      const ctx = context(cmd);
      const r = await ctx.api.get<{ entries: JournalEntry[] }>('/v1/alerts/journal', {
        kind: opts.kind,
        limit: opts.limit,
      });
      ctx.print(r, () =>
        r.entries.length
          ? table(
              ['at', 'source', 'reason', 'labels'],
              r.entries.map((e) => [
                e.at,
                e.source,
                e.reason,
                e.alert ? assignments(e.alert.labels) : (e.body ?? '').slice(0, 60),
              ]),
              { maxCell: 100 },
            )
          : `no ${opts.kind} alerts`,
      );
    });
}
