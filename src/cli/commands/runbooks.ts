/** Reading the library: `list`, `show <id>`, `plan <id>`. */
import { childSteps } from '../../shared/steps';
import type { Command } from 'commander';
import type { Plan, PlanStep } from '../../runbooks/plan';
import { formatDuration } from '../../shared/duration';
import type { ParamSpec, RunbookDefinition, Step } from '../../shared/model';
import type { ContextFactory } from '../context';
import { assignments, keyValues, table, yesNo } from '../format';
import { pathOf } from '../http';
import { collectParam } from '../options';

type RunbookSummary = Pick<RunbookDefinition, 'id' | 'title' | 'description' | 'version' | 'tags' | 'params'> & {
  file?: string;
};

export function registerRunbookCommands(program: Command, context: ContextFactory): void {
  program
    .command('list')
    .description('list the runbooks in the library')
    .action(async (_opts: object, cmd: Command) => {
      const ctx = context(cmd);
      const body = await ctx.api.get<{ runbooks: RunbookSummary[] }>('/v1/runbooks');
      ctx.print(body, () => renderList(body.runbooks));
    });

  program
    .command('show')
    .description('show a runbook: params and steps')
    .argument('<id>', 'runbook id')
    .action(async (id: string, _opts: object, cmd: Command) => {
      const ctx = context(cmd);
      const rb = await ctx.api.get<RunbookDefinition & { file?: string }>(pathOf('/v1/runbooks', id));
      ctx.print(rb, () => renderRunbook(rb));
    });

  program
    .command('plan')
    .description('show what a run would do with these params, without starting it')
    .argument('<id>', 'runbook id')
    .option('-p, --param <key=value>', 'a runbook param (repeatable)', collectParam, {})
    .action(async (id: string, opts: { param: Record<string, string> }, cmd: Command) => {
      const ctx = context(cmd);
      const plan = await ctx.api.post<Plan>(`${pathOf('/v1/runbooks', id)}/plan`, { params: opts.param });
      ctx.print(plan, () => renderPlan(plan));
    });
}

function paramNames(params: Record<string, ParamSpec>): string {
  return Object.entries(params)
    .map(([name, p]) => (p.required ? `${name}*` : name))
    .join(', ');
}

function renderList(runbooks: RunbookSummary[]): string {
  if (runbooks.length === 0) return 'no runbooks';
  const rows = runbooks.map((rb) => [rb.id, rb.title, paramNames(rb.params), rb.tags.join(', ')]);
  const anyRequired = runbooks.some((rb) => Object.values(rb.params).some((p) => p.required));
  return `${table(['id', 'title', 'params', 'tags'], rows, { maxCell: 60 })}${anyRequired ? '\n(* required param)' : ''}`;
}

function stepRows(steps: Step[], depth = 0): string[][] {
  return steps.flatMap((s) => [
    [
      `${'  '.repeat(depth)}${s.id}`,
      s.kind,
      'action' in s ? s.action : '',
      yesNo('mutating' in s && s.mutating),
      stepDetail(s),
    ],
    ...stepRows(childSteps(s), depth + 1),
  ]);
}

function stepDetail(s: Step): string {
  const when = s.when !== undefined ? `when ${s.when}` : '';
  const own =
    s.kind === 'approval'
      ? s.message
      : s.kind === 'wait'
        ? `wait ${formatDuration(s.durationMs)}`
        : s.kind === 'verify'
          ? `until ${s.until}`
          : (s.name ?? '');
  return [own, when].filter(Boolean).join('; ');
}

function renderRunbook(rb: RunbookDefinition & { file?: string }): string {
  const head = keyValues([
    ['runbook', `${rb.id}: ${rb.title}`],
    ['version', rb.version],
    ['file', rb.file],
    ['service', rb.service],
    ['severity', rb.severity],
    ['tags', rb.tags.join(', ')],
  ]);
  const params = Object.entries(rb.params).map(([name, p]) => [
    name,
    p.type === 'enum' ? `enum(${(p.values ?? []).join('|')})` : p.type,
    yesNo(p.required),
    p.default,
    p.description,
  ]);
  return [
    head,
    rb.description.trim(),
    params.length
      ? `PARAMS\n${table(['name', 'type', 'required', 'default', 'description'], params)}`
      : 'PARAMS\n(none)',
    `STEPS\n${table(['id', 'kind', 'action', 'mutating', 'detail'], stepRows(rb.steps))}`,
  ]
    .filter(Boolean)
    .join('\n\n');
}

function planRows(steps: PlanStep[], depth = 0): string[][] {
  return steps.flatMap((s) => [
    [`${'  '.repeat(depth)}${s.id}`, s.kind, s.runs, yesNo(s.mutating), s.action ?? '', planDetail(s)],
    ...planRows(s.steps ?? [], depth + 1),
  ]);
}

function planDetail(s: PlanStep): string {
  const own = s.inputs !== undefined ? JSON.stringify(s.inputs) : (s.message ?? (s.wait ? `wait ${s.wait}` : ''));
  return [own, s.until ? `until ${s.until}` : '', s.runs === 'depends' && s.when ? `when ${s.when}` : '']
    .filter(Boolean)
    .join('; ');
}

function renderPlan(plan: Plan): string {
  const head = keyValues([
    ['plan', `${plan.runbook.id}: ${plan.runbook.title}`],
    ['version', plan.runbook.version],
    ['params', assignments(plan.params) || '(none)'],
    ['hash', plan.hash],
  ]);
  const steps = table(['step', 'kind', 'runs', 'mutating', 'action', 'detail'], planRows(plan.steps));
  return `${head}\n\n${steps}\n\nmutating steps: ${plan.mutatingSteps.join(', ') || 'none'}`;
}
