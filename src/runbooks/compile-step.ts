/** Turns validated authored steps into model steps, checking actions and templates on the way. */
import type { z } from 'zod';
import { catalogEntry, isMutating } from '../catalog';
import type { ActionRef, ActionStep, JsonObject, RetrySpec, Step } from '../shared/model';
import { compileApproval, type AuthoredApproval } from './compile-approval';
import { ms, type Report } from './compile-util';
import { hasTemplate } from '../shared/template';
import { checkCondition, checkTemplates, type ReferenceContext } from './references';
import type { AuthoredStep } from './schema';

const DEFAULT_ACTION_TIMEOUT_MS = 60_000;
/** Approvals wait a day unless the runbook says otherwise: someone must decide, or it aborts. */
const DEFAULT_APPROVAL_TIMEOUT_MS = 24 * 3_600_000;

type AnyStep = AuthoredStep & Record<string, unknown>;

function compileRetry(r: AnyStep['retry']): RetrySpec {
  return {
    maxAttempts: r?.maxAttempts ?? 3,
    initialIntervalMs: ms(r?.initialInterval, 1000),
    backoff: r?.backoff ?? 2,
    ...(r?.maxInterval ? { maxIntervalMs: ms(r.maxInterval, 0) } : {}),
    ...(r?.nonRetryable ? { nonRetryable: r.nonRetryable } : {}),
  };
}

function hasTemplateDeep(v: unknown): boolean {
  if (typeof v === 'string') return hasTemplate(v);
  if (Array.isArray(v)) return v.some(hasTemplateDeep);
  if (v !== null && typeof v === 'object') return Object.values(v).some(hasTemplateDeep);
  return false;
}

/** Checks a step's inputs against its catalog entry: known keys, required keys, literal values. */
function compileActionRef(
  action: string,
  inputs: JsonObject,
  path: PropertyKey[],
  withPath: PropertyKey[],
  report: Report,
): ActionRef {
  const entry = catalogEntry(action);
  if (!entry) {
    report(path, `unknown action '${action}'`);
    return { action, activity: 'unknown', mutating: true, with: inputs };
  }
  const shape = entry.input.shape as Record<string, z.ZodType>;
  for (const [key, value] of Object.entries(inputs)) {
    const field = shape[key];
    if (!field) {
      report([...withPath, key], `'${action}' has no input '${key}' (it takes ${Object.keys(shape).join(', ')})`);
    } else if (!hasTemplateDeep(value)) {
      const r = field.safeParse(value);
      if (!r.success) for (const issue of r.error.issues) report([...withPath, key, ...issue.path], issue.message);
    }
  }
  for (const [key, field] of Object.entries(shape)) {
    if (!(key in inputs) && !field.safeParse(undefined).success) report(withPath, `'${action}' needs input '${key}'`);
  }
  // Templated inputs may take any value at run time: the entry treats them as possibly mutating.
  const mutating = isMutating(entry, inputs);
  return {
    action,
    activity: entry.activity,
    mutating,
    ...(entry.skipInDryRun ? { skipInDryRun: true } : {}),
    ...(entry.nonRetryable.length ? { nonRetryable: entry.nonRetryable } : {}),
    with: inputs,
  };
}

export interface StepCompiler {
  params: ReadonlySet<string>;
  report: Report;
  seen: Set<string>;
}

/** Compiles a sequence; `done` holds the steps finished before the sequence starts. */
export function compileSteps(raw: AnyStep[], base: PropertyKey[], done: Set<string>, c: StepCompiler): Step[] {
  const out: Step[] = [];
  raw.forEach((s, i) => {
    const path = [...base, i];
    out.push(compileStep(s, path, done, c));
    for (const id of stepIds(out[out.length - 1] as Step)) done.add(id);
  });
  return out;
}

function kind_of(s: AnyStep): string | undefined {
  return (['parallel', 'approval', 'wait', 'action', 'notify', 'verify'] as const).find((k) => k in s);
}

function stepIds(s: Step): string[] {
  return s.kind === 'parallel' ? [s.id, ...s.steps.flatMap(stepIds)] : [s.id];
}

function compileStep(s: AnyStep, path: PropertyKey[], done: ReadonlySet<string>, c: StepCompiler): Step {
  if (c.seen.has(s.id)) c.report([...path, 'id'], `duplicate step id '${s.id}'`);
  c.seen.add(s.id);
  const ctx: ReferenceContext = { params: c.params, steps: done, allowOutput: false };
  if (s.when !== undefined) checkCondition(s.when, ctx, [...path, 'when'], c.report);
  const common = {
    id: s.id,
    ...(s.name !== undefined ? { name: s.name } : {}),
    ...(s.when !== undefined ? { when: s.when } : {}),
    retry: compileRetry(s.retry),
    onFailure: s.onFailure ?? 'fail',
    ...(s.onFailure === 'pause'
      ? {
          pause: {
            timeoutMs: ms(s.pause?.timeout, 3_600_000),
            ...(s.pause?.escalateTo ? { escalateTo: s.pause.escalateTo } : {}),
          },
        }
      : {}),
  } as const;
  if (s.pause !== undefined && s.onFailure !== 'pause')
    c.report([...path, 'pause'], 'pause settings need onFailure: pause');
  if (s.onFailure === 'pause' && kind_of(s) === 'parallel')
    c.report([...path, 'onFailure'], 'pause each branch instead: a parallel step cannot be retried as a whole');

  // Fields every step may carry but some kinds cannot honour: refuse rather than ignore them.
  const kind = (['parallel', 'approval', 'wait'] as const).find((k) => k in s);
  if (kind && s.retry !== undefined)
    c.report([...path, 'retry'], `a ${kind} step calls no action, so it has nothing to retry`);
  if ((kind === 'parallel' || kind === 'wait') && s.timeout !== undefined) {
    c.report(
      [...path, 'timeout'],
      kind === 'wait'
        ? 'a wait step lasts its duration; it takes no timeout'
        : 'a parallel step has no timeout of its own; give one to each branch',
    );
  }

  if ('parallel' in s) {
    const children = (s.parallel as AnyStep[]).map((child, i) => compileStep(child, [...path, 'parallel', i], done, c));
    return { ...common, kind: 'parallel', timeoutMs: ms(s.timeout, 0), steps: children };
  }
  if ('action' in s && typeof s.action === 'string') {
    const inputs = (s.with ?? {}) as JsonObject;
    checkTemplates(inputs, ctx, [...path, 'with'], c.report);
    const ref = compileActionRef(s.action, inputs, [...path, 'action'], [...path, 'with'], c.report);
    const undo = s.undo as
      { action: string; with?: JsonObject; timeout?: string; retry?: AnyStep['retry'] } | undefined;
    if (undo && !ref.mutating)
      c.report([...path, 'undo'], `'${s.action}' changes nothing here, so there is nothing to undo`);
    let undoRef: ActionStep['undo'];
    if (undo) {
      // The undo runs after its step, so it may read the step's own output.
      const undoCtx = { ...ctx, steps: new Set([...done, s.id]) };
      checkTemplates(undo.with ?? {}, undoCtx, [...path, 'undo', 'with'], c.report);
      const r = compileActionRef(
        undo.action,
        undo.with ?? {},
        [...path, 'undo', 'action'],
        [...path, 'undo', 'with'],
        c.report,
      );
      undoRef = { ...r, timeoutMs: ms(undo.timeout, DEFAULT_ACTION_TIMEOUT_MS), retry: compileRetry(undo.retry) };
    }
    return {
      ...common,
      kind: 'action',
      timeoutMs: ms(s.timeout, DEFAULT_ACTION_TIMEOUT_MS),
      ...ref,
      ...(undoRef ? { undo: undoRef } : {}),
    };
  }
  if ('notify' in s) {
    const n = s.notify as { target?: string; message: string; title?: string; severity?: string };
    const inputs: JsonObject = { target: n.target ?? 'default', message: n.message };
    if (n.title !== undefined) inputs.title = n.title;
    if (n.severity !== undefined) inputs.severity = n.severity;
    checkTemplates(inputs, ctx, [...path, 'notify'], c.report);
    const ref = compileActionRef('notify:webhook', inputs, [...path, 'notify'], [...path, 'notify'], c.report);
    return { ...common, kind: 'notify', timeoutMs: ms(s.timeout, DEFAULT_ACTION_TIMEOUT_MS), ...ref };
  }
  if ('verify' in s) {
    const v = s.verify as { action: string; with?: JsonObject; until: string; interval?: string; within: string };
    const inputs = v.with ?? {};
    checkTemplates(inputs, ctx, [...path, 'verify', 'with'], c.report);
    checkCondition(v.until, { ...ctx, allowOutput: true }, [...path, 'verify', 'until'], c.report);
    const ref = compileActionRef(
      v.action,
      inputs,
      [...path, 'verify', 'action'],
      [...path, 'verify', 'with'],
      c.report,
    );
    if (ref.mutating)
      c.report(
        [...path, 'verify', 'action'],
        `verify repeats its action, so it must be read-only; '${v.action}' mutates`,
      );
    return {
      ...common,
      kind: 'verify',
      timeoutMs: ms(s.timeout, DEFAULT_ACTION_TIMEOUT_MS),
      ...ref,
      until: v.until,
      intervalMs: ms(v.interval, 10_000),
      withinMs: ms(v.within, 60_000),
    };
  }
  if ('approval' in s) {
    return compileApproval(
      s.approval as AuthoredApproval,
      { ...common, timeoutMs: ms(s.timeout, DEFAULT_APPROVAL_TIMEOUT_MS) },
      ctx,
      [...path, 'approval'],
      c.report,
    );
  }
  const w = s as AnyStep & { wait: string };
  return { ...common, kind: 'wait', timeoutMs: 0, durationMs: ms(w.wait, 0) };
}
