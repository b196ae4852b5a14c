/**
 * `runbook postmortems ...`: the follow-ups of resolved incidents, their owners and action items.
 * Every change goes through the API, which signs it with the caller's identity (from the token).
 */
import type { Command } from 'commander';
import type { PostmortemDetail, PostmortemSummary } from '../../runs/postmortems';
import type { PostmortemActionResult, PostmortemState } from '../../shared/postmortem';
import type { ContextFactory } from '../context';
import { CliError, EXIT } from '../errors';
import { keyValues, table } from '../format';
import { pathOf } from '../http';
import { positiveInt } from '../options';

const ITEM = /^ai-\d{1,6}$/;

function itemOf(text: string): string {
  if (!ITEM.test(text)) throw new CliError(`not an action item id: "${text}" (e.g. ai-1)`, EXIT.badInput);
  return text;
}

function timeOf(text: string): string {
  const ms = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(ms))
    throw new CliError(`not a time: "${text}" (ISO-8601, e.g. 2026-12-15 or 2026-12-15T17:00:00Z)`, EXIT.badInput);
  return new Date(ms).toISOString();
}

function nonEmpty(what: string, text: string | undefined): string {
  if (!text || text.trim() === '') throw new CliError(`${what} is required`, EXIT.badInput);
  return text.trim();
}

export function renderPostmortem(d: PostmortemDetail): string {
  const p: PostmortemState | null = d.postmortem;
  const head = keyValues([
    ['postmortem', d.workflowId],
    ['status', d.status],
    ['incident', p ? `${p.incidentId} ${p.title} (${p.severity}${p.service ? `, ${p.service}` : ''})` : undefined],
    ['phase', p?.phase],
    ['owner', p?.owner],
    ['due', p?.document.dueAt ?? (p ? 'optional' : undefined)],
    ['report due', p?.report.dueAt],
    ['report', p?.report.filedBy ? `filed by ${p.report.filedBy}` : undefined],
    ['issue', p?.document.ticket?.url ?? p?.document.ticketError],
    [
      'completed',
      p?.completed
        ? `${p.completed.at} by ${p.completed.by}${p.completed.url ? ` ${p.completed.url}` : ''}`
        : undefined,
    ],
    ['web ui', d.url],
  ]);
  if (!p) return `${head}\n\n(no worker answered: state unknown)`;
  const items = p.items.length
    ? table(
        ['item', 'state', 'owner', 'due', 'issue', 'title'],
        p.items.map((i) => [i.id, i.state, i.owner, i.dueAt, i.ticket?.url ?? i.ticketError ?? '-', i.title]),
      )
    : 'no action items';
  return `${head}\n\n${items}`;
}

function renderList(rows: PostmortemSummary[]): string {
  if (rows.length === 0) return 'no postmortems';
  return table(
    ['postmortem', 'incident', 'severity', 'phase', 'status', 'started'],
    rows.map((r) => [r.workflowId, r.incidentId, r.severity, r.phase, r.status, r.startTime]),
  );
}

export function registerPostmortemCommands(program: Command, context: ContextFactory): void {
  const pm = program.command('postmortems').description('postmortem follow-ups: owners, due dates, action items');

  const act = async (cmd: Command, id: string, body: Record<string, unknown>): Promise<void> => {
    const ctx = context(cmd);
    const r = await ctx.api.post<PostmortemActionResult>(`${pathOf('/v1/postmortems', id)}/actions`, {
      ...body,
      via: 'cli',
    });
    ctx.print(r, () => `${r.text} (phase ${r.phase})`);
  };

  pm.command('list')
    .description('list postmortems')
    .option('--phase <phase>', 'open, overdue or done')
    .option('--service <name>', 'only postmortems about this service')
    .option('--incident <id>', 'the postmortem of this incident')
    .option('--limit <n>', 'at most this many (1-500)', positiveInt(500))
    .action(async (opts: { phase?: string; service?: string; incident?: string; limit?: number }, cmd: Command) => {
      if (opts.phase !== undefined && !['open', 'overdue', 'done'].includes(opts.phase))
        throw new CliError(`--phase is open, overdue or done, not "${opts.phase}"`, EXIT.badInput);
      const ctx = context(cmd);
      const body = await ctx.api.get<{ postmortems: PostmortemSummary[] }>('/v1/postmortems', opts);
      ctx.print(body, () => renderList(body.postmortems));
    });

  pm.command('show')
    .description('show a postmortem: owner, due dates, action items')
    .argument('<id>', 'the postmortem (postmortem-<incident>)')
    .action(async (id: string, _opts: object, cmd: Command) => {
      const ctx = context(cmd);
      const d = await ctx.api.get<PostmortemDetail>(pathOf('/v1/postmortems', id));
      ctx.print(d, () => renderPostmortem(d));
    });

  pm.command('assign')
    .description('give the postmortem to another owner')
    .argument('<id>', 'the postmortem')
    .argument('<who>', 'the new owner')
    .action((id: string, who: string, _o: object, cmd: Command) =>
      act(cmd, id, { kind: 'assign-owner', owner: nonEmpty('who', who) }),
    );

  pm.command('complete')
    .description('the postmortem is written and published')
    .argument('<id>', 'the postmortem')
    .option('--url <url>', 'where it is published')
    .action((id: string, o: { url?: string }, cmd: Command) =>
      act(cmd, id, { kind: 'complete', ...(o.url ? { url: o.url } : {}) }),
    );

  pm.command('report')
    .description('the incident report is filed')
    .argument('<id>', 'the postmortem')
    .option('--url <url>', 'where it is')
    .action((id: string, o: { url?: string }, cmd: Command) =>
      act(cmd, id, { kind: 'report', ...(o.url ? { url: o.url } : {}) }),
    );

  pm.command('note')
    .description('add a note to the postmortem')
    .argument('<id>', 'the postmortem')
    .argument('<text>', 'the note')
    .action((id: string, text: string, _o: object, cmd: Command) =>
      act(cmd, id, { kind: 'note', text: nonEmpty('text', text) }),
    );

  const item = pm.command('item').description('action items: add, assign, close');
  item
    .command('add')
    .description('add an action item (opened as its own issue when the postmortem has a tracker)')
    .argument('<id>', 'the postmortem')
    .requiredOption('--title <text>', 'what is to be done')
    .requiredOption('--owner <who>', 'who does it')
    .requiredOption('--due <time>', 'when it is due (ISO-8601, e.g. 2026-12-15T17:00:00Z)')
    .action((id: string, o: { title: string; owner: string; due: string }, cmd: Command) =>
      act(cmd, id, {
        kind: 'add-item',
        title: nonEmpty('--title', o.title),
        owner: nonEmpty('--owner', o.owner),
        dueAt: timeOf(o.due),
      }),
    );
  item
    .command('assign')
    .description('give an action item to another owner')
    .argument('<id>', 'the postmortem')
    .argument('<item>', 'the item (ai-1)')
    .argument('<who>', 'the new owner')
    .action((id: string, it: string, who: string, _o: object, cmd: Command) =>
      act(cmd, id, { kind: 'assign-item', itemId: itemOf(it), owner: nonEmpty('who', who) }),
    );
  item
    .command('close')
    .description('close an action item (its issue is closed too)')
    .argument('<id>', 'the postmortem')
    .argument('<item>', 'the item (ai-1)')
    .option('--reason <text>', 'why, or what was done')
    .action((id: string, it: string, o: { reason?: string }, cmd: Command) =>
      act(cmd, id, { kind: 'close-item', itemId: itemOf(it), ...(o.reason ? { reason: o.reason } : {}) }),
    );
}
