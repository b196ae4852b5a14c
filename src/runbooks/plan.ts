/**
 * Plans: what a run would do with these params, resolved as far as can be known before it
 * starts. Stable: the same runbook version and params give the same plan and the same hash.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../shared/canonical';
import type { ParamValue, RunbookDefinition, Step } from '../shared/model';
import type { Plan, PlanStep } from './plan-types';
import { kindModule } from './steps';
import type { StepKindModule } from './steps/common';
import { evaluateText, render, toText, truthy, Unresolved } from '../shared/template';

export type { Plan, PlanStep } from './plan-types';

function planStep(step: Step, scope: Record<string, unknown>, parentRuns: PlanStep['runs']): PlanStep {
  let runs: PlanStep['runs'] = parentRuns;
  if (step.when !== undefined && runs !== 'no') {
    const v = evaluateText(step.when, scope);
    runs = v instanceof Unresolved ? 'depends' : truthy(v) ? runs : 'no';
  }
  const base: PlanStep = {
    id: step.id,
    ...(step.name !== undefined ? { name: step.name } : {}),
    kind: step.kind,
    mutating: 'mutating' in step ? step.mutating : false,
    runs,
    ...(step.when !== undefined ? { when: step.when } : {}),
    ...(step.onFailure !== 'fail' ? { onFailure: step.onFailure } : {}),
  };
  const kind = kindModule(step.kind) as StepKindModule<Step['kind']>;
  return { ...base, ...kind.plan(step as never, scope, (child) => planStep(child, scope, runs)) };
}

function mutating(steps: PlanStep[]): string[] {
  return steps.flatMap((s) => [...(s.mutating && s.runs !== 'no' ? [s.id] : []), ...mutating(s.steps ?? [])]);
}

export function planRun(runbook: RunbookDefinition, params: Record<string, ParamValue>): Plan {
  // Only params are known before the run: steps, run and alert stay unresolved.
  const scope = { params };
  const steps = runbook.steps.map((s) => planStep(s, scope, 'yes'));
  const body = {
    runbook: { id: runbook.id, title: runbook.title, version: runbook.version },
    ...(runbook.target ? { target: toText(render(runbook.target, scope)) } : {}),
    ...(runbook.concurrency ? { concurrency: runbook.concurrency } : {}),
    params,
    steps,
    mutatingSteps: mutating(steps),
  };
  return { ...body, hash: createHash('sha256').update(canonicalJson(body)).digest('hex') };
}
