/**
 * Plans: what a run would do with these params, resolved as far as can be known before it
 * starts. Stable: the same runbook version and params give the same plan and the same hash.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../shared/canonical';
import { formatDuration } from '../shared/duration';
import type { JsonValue, ParamValue, RunbookDefinition, Step } from '../shared/model';
import { evaluateText, render, toPlainJson, toText, truthy, Unresolved } from '../shared/template';

export interface PlanStep {
  id: string;
  name?: string;
  kind: Step['kind'];
  action?: string;
  mutating: boolean;
  /** yes / no (its `when` is false) / depends (its `when` needs values from the run). */
  runs: 'yes' | 'no' | 'depends';
  when?: string;
  /** Inputs with templates resolved; `<steps.x.output.y>` marks what only the run knows. */
  inputs?: JsonValue;
  message?: string;
  /** For approvals: who, how many, what a deadline does, which steps the decision covers. */
  approval?: {
    approvers: string[] | 'any approver';
    required: number;
    onTimeout: string;
    guards: string[];
    emergency: boolean;
  };
  /** For mutating steps with an undo: the undo's action. */
  undo?: string;
  onFailure?: string;
  wait?: string;
  until?: string;
  steps?: PlanStep[];
}

export interface Plan {
  runbook: { id: string; title: string; version: string };
  /** The lock the run takes (its target), and the runbook's concurrency limit. */
  target?: string;
  concurrency?: number;
  params: Record<string, ParamValue>;
  steps: PlanStep[];
  mutatingSteps: string[];
  /** sha256 of the plan's canonical JSON (without the hash). */
  hash: string;
}

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
  switch (step.kind) {
    case 'action':
      return {
        ...base,
        action: step.action,
        inputs: toPlainJson(render(step.with, scope)),
        ...(step.undo ? { undo: step.undo.action } : {}),
      };
    case 'notify':
      return { ...base, action: step.action, inputs: toPlainJson(render(step.with, scope)) };
    case 'verify':
      return { ...base, action: step.action, inputs: toPlainJson(render(step.with, scope)), until: step.until };
    case 'approval':
      return {
        ...base,
        message: toText(render(step.message, scope)),
        approval: {
          approvers: step.approvers ?? 'any approver',
          required: step.required,
          onTimeout: step.onTimeout,
          guards: step.guards,
          emergency: step.emergency !== undefined,
        },
      };
    case 'wait':
      return { ...base, wait: formatDuration(step.durationMs) };
    case 'parallel':
      return { ...base, steps: step.steps.map((s) => planStep(s, scope, runs)) };
  }
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
