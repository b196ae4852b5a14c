/** Loads one runbook file: YAML with line numbers, schema validation, compilation to the model. */
import { createHash } from 'node:crypto';
import type { ParamSpec, RunbookDefinition } from '../shared/model';
import { assignGuards } from './guards';
import { compileSteps } from './compile-step';
import { ms } from './compile-util';
import { RunbookLoadError } from './errors';
import { parseYamlFile } from '../files/yaml-file';
import { checkTemplates } from './references';
import { checkParamSpec } from './params';
import { runbookFile, type AuthoredRunbook } from './schema';
import { kindModule, STEP_KIND_KEYS } from './steps';
import type { AnyStep } from './steps/common';
import { compileSchedules } from './compile-schedule';
import type { ScheduleDef } from '../shared/schedule';

/** Parses and validates runbook text; throws RunbookLoadError listing every problem found. */
export function loadRunbookText(text: string, file: string): RunbookDefinition {
  return loadRunbook(text, file).runbook;
}

/** As loadRunbookText, with the runbook's schedules (which never travel into a run). */
export function loadRunbook(text: string, file: string): { runbook: RunbookDefinition; schedules: ScheduleDef[] } {
  const { raw, problems, report } = parseYamlFile(text, file);
  if (problems.length > 0) throw new RunbookLoadError(problems);
  const parsed = runbookFile.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) report(issue.path, issue.message);
    throw new RunbookLoadError(problems);
  }
  const rb = parsed.data;
  validateSteps(rb.steps, ['steps'], report);
  for (const [name, spec] of Object.entries(rb.params)) {
    for (const m of checkParamSpec(spec)) report(['params', name], m);
  }
  if (problems.length > 0) throw new RunbookLoadError(problems);

  const definition = compile(rb, text, report);
  const schedules = compileSchedules(definition, rb.schedules ?? [], report);
  if (problems.length > 0) throw new RunbookLoadError(problems);
  return { runbook: definition, schedules };
}

/** Checks each step against the schema of its kind, so errors name the exact field. */
function validateSteps(steps: unknown[], base: PropertyKey[], report: (p: PropertyKey[], m: string) => void): void {
  steps.forEach((s, i) => {
    const path = [...base, i];
    if (s === null || typeof s !== 'object' || Array.isArray(s)) {
      report(path, 'a step must be a mapping');
      return;
    }
    const kinds = STEP_KIND_KEYS.filter((k) => k in s);
    if (kinds.length !== 1) {
      report(
        path,
        kinds.length === 0
          ? `a step needs one of: ${STEP_KIND_KEYS.join(', ')}`
          : `a step has exactly one kind, found ${kinds.join(' and ')}`,
      );
      return;
    }
    const kind = kindModule(kinds[0] as (typeof STEP_KIND_KEYS)[number]);
    const r = kind.schema.safeParse(s);
    if (!r.success) {
      for (const issue of r.error.issues) report([...path, ...issue.path], issue.message);
      return;
    }
    // A container's children are steps too, each checked against the schema of its own kind.
    if (kind.children)
      validateSteps((s as Record<string, unknown[]>)[kind.children] as unknown[], [...path, kind.children], report);
  });
}

function compile(rb: AuthoredRunbook, text: string, report: (p: PropertyKey[], m: string) => void): RunbookDefinition {
  const params: Record<string, ParamSpec> = {};
  for (const [name, p] of Object.entries(rb.params)) {
    params[name] = {
      type: p.type,
      required: p.required ?? p.default === undefined,
      ...(p.description !== undefined ? { description: p.description } : {}),
      ...(p.default !== undefined ? { default: p.default } : {}),
      ...(p.values !== undefined ? { values: p.values } : {}),
    };
  }
  const paramNames = new Set(Object.keys(params));
  for (const field of ['service', 'target'] as const) {
    const text = rb[field];
    if (text !== undefined)
      checkTemplates(text, { params: paramNames, steps: new Set(), allowOutput: false }, [field], report);
  }
  if (rb.lock && rb.target === undefined) report(['lock'], 'lock settings need a target');
  const steps = compileSteps(rb.steps as AnyStep[], ['steps'], new Set(), {
    params: paramNames,
    report,
    seen: new Set(),
  });
  assignGuards(steps, report);
  return {
    id: rb.id,
    title: rb.title,
    description: rb.description,
    version: createHash('sha256').update(text).digest('hex').slice(0, 12),
    ...(rb.service !== undefined ? { service: rb.service } : {}),
    ...(rb.severity !== undefined ? { severity: rb.severity } : {}),
    tags: rb.tags,
    params,
    steps,
    ...(rb.target !== undefined
      ? { target: rb.target, lock: { onBusy: rb.lock?.onBusy ?? 'wait', timeoutMs: ms(rb.lock?.timeout, 3_600_000) } }
      : {}),
    ...(rb.concurrency !== undefined ? { concurrency: rb.concurrency } : {}),
    ...(rb.emergency ? { emergency: { requesters: rb.emergency.requesters } } : {}),
    ...(rb.announce ? { announce: { target: rb.announce.target } } : {}),
    ...(rb.alertResolved
      ? {
          alertResolved: {
            action: rb.alertResolved.action,
            ...(rb.alertResolved.notify ? { notify: rb.alertResolved.notify } : {}),
          },
        }
      : {}),
  };
}
