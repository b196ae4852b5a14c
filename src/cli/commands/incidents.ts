/**
 * `runbook incidents ...`: open, list, show (with the timeline), the actions (ack, assign,
 * escalate, severity, update, resolve, reopen, close, note, flag, runbook, task, task-done) and
 * the MTTR report. An incident is named by its id (`INC-...`) or its workflow id
 * (`incident-<service>`, the service's open incident).
 */
import { Argument, type Command } from 'commander';
import type { IncidentDetail, IncidentReport, IncidentSummary } from '../../runs/incidents';
import type { StartedRun } from '../../runs/service';
import { parseDuration } from '../../shared/duration';
import { INCIDENT_ROLES, type IncidentAction, type IncidentActionResult } from '../../shared/incident-messages';
import { SEVERITIES } from '../../shared/severity';
import type { ContextFactory } from '../context';
import { CliError } from '../errors';
import { keyValues, table } from '../format';
import { pathOf } from '../http';
import { positiveInt } from '../options';

const mins = (ms?: number): string =>
  ms === undefined ? '-' : ms < 60_000 ? `${Math.round(ms / 1000)}s` : `${Math.round(ms / 60_000)}m`;

function renderShow(d: IncidentDetail): string {
  const i = d.incident;
  if (!i)
    return keyValues([
      ['workflow', d.workflowId],
      ['status', d.status],
      ['incident', 'no worker answered'],
    ]);
  const r = i.record;
  const head = keyValues([
    ['incident', r.id],
    ['title', r.title],
    ['severity', r.severity],
    ['service', r.service],
    ['state', r.state],
    ['commander', r.roles.commander],
    ['communications', r.roles.communications],
    ['scribe', r.roles.scribe],
    ['opened', r.openedAt],
    ['acknowledged', r.acknowledgedAt],
    ['resolved', r.resolvedAt],
    ['paged', i.paged.join(', ')],
    ['next update', i.cadence.nextStakeholdersAt],
    ['postmortem', i.postmortem],
    ['MTTA / MTTR', `${mins(i.accounting.mttaMs)} / ${mins(i.accounting.mttrMs)}`],
    ['workflow', d.workflowId],
    ['url', d.url],
  ]);
  const now = new Map((d.runbooks ?? []).map((r) => [r.workflowId, r]));
  const runbooks = i.children.length
    ? `\n\n${table(
        ['runbook', 'state', 'phase', 'waiting for', 'workflow'],
        i.children.map((c) => [
          c.runbookId,
          c.state,
          now.get(c.workflowId)?.phase,
          now.get(c.workflowId)?.pendingApprovals?.join(', '),
          c.workflowId,
        ]),
      )}`
    : '';
  const tasks = i.tasks.length
    ? `\n\n${table(
        ['task', 'assignee', 'due', 'state', 'title'],
        i.tasks.map((t) => [t.id, t.assignee, t.dueAt, t.state, t.title]),
      )}`
    : '';
  const timeline = table(
    ['when', 'what', 'who', 'text'],
    r.timeline.map((e) => [e.at, e.kind, e.by, e.text]),
  );
  return `${head}${runbooks}${tasks}\n\n${timeline}`;
}

function renderReport(r: IncidentReport): string {
  const rows = r.bySeverity.map((s) => [
    s.key,
    s.incidents,
    mins(s.mttdMs),
    mins(s.mttaMs),
    mins(s.mttrMs),
    mins(s.targetMs),
    `${s.met}/${s.incidents}`,
    mins(s.firstAutomatedMs),
    `${s.withoutHuman}/${s.incidents}`,
  ]);
  const services = r.byService.map((s) => [
    s.key,
    s.incidents,
    mins(s.mttrMs),
    mins(s.firstAutomatedMs),
    mins(s.approvalWaitMs),
    `${s.withoutHuman}/${s.incidents}`,
  ]);
  return [
    `${r.incidents} incidents since ${r.since}`,
    '',
    table(['severity', 'incidents', 'MTTD', 'MTTA', 'MTTR', 'target', 'met', 'first automated', 'no human'], rows),
    '',
    table(['service', 'incidents', 'MTTR', 'first automated', 'approval wait', 'no human'], services),
  ].join('\n');
}

export function registerIncidentCommands(program: Command, context: ContextFactory): void {
  const inc = program.command('incidents').description('incidents: open, list, show, act on them, report MTTR');

  inc
    .command('open')
    .description('open an incident (alerts for its service join it)')
    .argument('<title>', 'what is wrong, in a line')
    .option('-s, --severity <label>', 'sev1-sev4, P0-P3 or P1-P4 (as configured), critical/high/warning/info', 'sev3')
    .option('--service <name>', 'the service it is about (one open incident per service)')
    .option('--runbook <id>', 'a runbook to run for it at once')
    .option('--security', 'a security incident (straight to the manager)')
    .option('--data-loss', 'data was lost (straight to the manager)')
    .action(
      async (
        title: string,
        o: { severity: string; service?: string; runbook?: string; security?: boolean; dataLoss?: boolean },
        cmd: Command,
      ) => {
        const ctx = context(cmd);
        const started = await ctx.api.post<StartedRun>('/v1/incidents', {
          title,
          severity: o.severity,
          ...(o.service ? { service: o.service } : {}),
          ...(o.runbook ? { runbook: o.runbook } : {}),
          ...(o.security ? { security: true } : {}),
          ...(o.dataLoss ? { dataLoss: true } : {}),
          via: 'cli',
        });
        ctx.print(started, () =>
          keyValues([
            ['workflow', started.workflowId],
            ['url', started.url],
          ]),
        );
      },
    );

  inc
    .command('list')
    .description('incidents, newest first')
    .option('--state <state>', 'triage, acknowledged, monitoring, closed')
    .option('--severity <sev>', SEVERITIES.join(', '))
    .option('--service <name>')
    .option('--limit <n>', 'at most this many (1-500)', positiveInt(500))
    .action(async (o: { state?: string; severity?: string; service?: string; limit?: number }, cmd: Command) => {
      const ctx = context(cmd);
      const q = Object.fromEntries(
        Object.entries({ ...o, limit: o.limit === undefined ? undefined : String(o.limit) }).filter(
          ([, v]) => v !== undefined,
        ),
      ) as Record<string, string>;
      const { incidents } = await ctx.api.get<{ incidents: IncidentSummary[] }>('/v1/incidents', q);
      ctx.print(incidents, () =>
        incidents.length
          ? table(
              ['incident', 'severity', 'service', 'state', 'opened', 'workflow'],
              incidents.map((i) => [i.incidentId, i.severity, i.service, i.state, i.startTime, i.workflowId]),
            )
          : 'no incidents',
      );
    });

  inc
    .command('show')
    .description('an incident: state, roles, pages, runbooks, tasks and its timeline')
    .argument('<id>', 'INC-... or incident-<service>')
    .action(async (id: string, _o: object, cmd: Command) => {
      const ctx = context(cmd);
      const d = await ctx.api.get<Parameters<typeof renderShow>[0]>(pathOf('/v1/incidents', id));
      ctx.print(d, () => renderShow(d));
    });

  inc
    .command('report')
    .description("MTTD, MTTA, MTTR against seed 004's targets, by severity and service")
    .option('--since <duration>', 'how far back, e.g. 30d', '30d')
    .action(async (o: { since: string }, cmd: Command) => {
      if (!parseDuration(o.since)) throw new CliError(`--since takes a duration such as 30d, got "${o.since}"`, 2);
      const ctx = context(cmd);
      const r = await ctx.api.get<IncidentReport>('/v1/incidents/report', { since: o.since });
      ctx.print(r, () => renderReport(r));
    });

  const act = (
    name: string,
    description: string,
    args: Argument[],
    build: (
      a: string[],
      o: Record<string, unknown>,
    ) => IncidentAction | { kind: 'task'; assignee: string; title: string; due?: string },
    options: Array<[string, string]> = [],
  ) => {
    const c = inc.command(name).description(description).argument('<id>', 'INC-... or incident-<service>');
    for (const a of args) c.addArgument(a);
    for (const [flags, d] of options) c.option(flags, d);
    c.action(async (...all: unknown[]) => {
      const cmd = all[all.length - 1] as Command;
      const o = all[all.length - 2] as Record<string, unknown>;
      // A variadic argument arrives as one array: flattened, it reads as the rest of the words.
      const [id, ...rest] = (all.slice(0, -2) as Array<string | string[]>).flat();
      const action = build(rest, o);
      const ctx = context(cmd);
      const r = await ctx.api.post<IncidentActionResult & { incidentId: string }>(
        `${pathOf('/v1/incidents', id as string)}/actions`,
        { action, via: 'cli' },
      );
      ctx.print(r, () => `${r.incidentId}: ${r.text} (now ${r.state})`);
    });
  };
  const arg = (n: string, d: string) => new Argument(`<${n}>`, d);
  act('ack', 'acknowledge: you take it (commander if none yet)', [], () => ({ kind: 'ack' }));
  act(
    'assign',
    'give a role to someone',
    [arg('role', INCIDENT_ROLES.join(', ')).choices([...INCIDENT_ROLES]), arg('who', 'their identity')],
    ([role, who]) => ({ kind: 'assign', role: role as (typeof INCIDENT_ROLES)[number], who: who as string }),
  );
  act(
    'escalate',
    'page the next level now (or --level)',
    [],
    (_a, o) => ({
      kind: 'escalate',
      ...(o.level ? { level: String(o.level) } : {}),
      ...(o.reason ? { reason: String(o.reason) } : {}),
    }),
    [
      ['--level <name>', 'the level to page'],
      ['--reason <text>', 'why'],
    ],
  );
  act(
    'severity',
    'change the severity (re-plans paging and cadence)',
    [arg('severity', SEVERITIES.join(', ')).choices([...SEVERITIES])],
    ([sev]) => ({ kind: 'severity', severity: sev as (typeof SEVERITIES)[number] }),
  );
  act(
    'update',
    'post a stakeholder update (and the status page with --status)',
    [arg('text', 'the update')],
    ([text], o) => ({
      kind: 'update',
      text: text as string,
      ...(o.status ? { statusPage: true, status: o.status as 'identified' } : {}),
    }),
    [['--status <status>', 'investigating, identified, monitoring or resolved: the status page too']],
  );
  act(
    'resolve',
    'resolved: monitoring begins, the postmortem opens',
    [],
    (_a, o) => ({ kind: 'resolve', ...(o.note ? { note: String(o.note) } : {}) }),
    [['-m, --note <text>', 'what fixed it']],
  );
  act('reopen', 'it is back', [], (_a, o) => ({ kind: 'reopen', ...(o.reason ? { reason: String(o.reason) } : {}) }), [
    ['--reason <text>', 'why'],
  ]);
  act(
    'close',
    'close without waiting out the monitoring window',
    [],
    (_a, o) => ({ kind: 'close', ...(o.note ? { note: String(o.note) } : {}) }),
    [['-m, --note <text>', 'a note']],
  );
  act('note', 'a line on the timeline', [arg('text', 'the note')], ([text]) => ({
    kind: 'note',
    text: text as string,
  }));
  act(
    'flag',
    'a security incident or data loss (pages the manager level)',
    [arg('flag', 'security or data-loss').choices(['security', 'data-loss'])],
    ([flag]) => ({ kind: 'flag', flag: flag as 'security' }),
  );
  act(
    'runbook',
    'run a runbook for the incident (key=value params)',
    [arg('runbook', 'runbook id'), new Argument('[params...]', 'key=value')],
    ([runbook, ...kv]) => ({
      kind: 'runbook',
      runbook: runbook as string,
      params: Object.fromEntries(
        kv.map((p) => {
          const i = p.indexOf('=');
          if (i < 1) throw new CliError(`expected key=value, got "${p}"`, 2);
          return [p.slice(0, i), p.slice(i + 1)];
        }),
      ),
    }),
  );
  act(
    'task',
    'a manual task for someone (done outside the system)',
    [arg('assignee', 'who does it'), arg('title', 'what to do')],
    ([assignee, title], o) => {
      const due = o.due ? parseDuration(String(o.due)) : undefined;
      if (o.due && !due) throw new CliError(`--due takes a duration such as 30m, got "${String(o.due)}"`, 2);
      return {
        kind: 'task',
        assignee: assignee as string,
        title: title as string,
        ...(due ? { due: String(o.due) } : {}),
      };
    },
    [['--due <duration>', 'due in, e.g. 30m']],
  );
  act(
    'task-done',
    'say a manual task was done (or --not-done with a note)',
    [arg('task', 'task id, e.g. task-1')],
    ([taskId], o) => {
      if (o.notDone && !o.note) throw new CliError('--not-done needs --note saying why', 2);
      return {
        kind: 'task-done',
        taskId: taskId as string,
        done: !o.notDone,
        ...(o.note ? { note: String(o.note) } : {}),
      };
    },
    [
      ['--not-done', 'it was not done'],
      ['-m, --note <text>', 'what was done, or why not'],
    ],
  );
}
