/**
 * Turns validated authored steps into model steps: the checks every step gets (unique id, its
 * condition, common fields its kind cannot honour), then its kind's own compile (./steps).
 */
import type { Step } from '../shared/model';
import { childSteps } from '../shared/steps';
import { ms, type Report } from './compile-util';
import { checkCondition, type ReferenceContext } from './references';
import { kindModule, STEP_KIND_KEYS } from './steps';
import { compileRetry, type AnyStep, type CommonStep, type StepKindModule } from './steps/common';

export interface StepCompiler {
  params: ReadonlySet<string>;
  report: Report;
  seen: Set<string>;
}

/** Compiles a sequence; `done` holds the steps finished before the sequence starts. */
export function compileSteps(raw: AnyStep[], base: PropertyKey[], done: Set<string>, c: StepCompiler): Step[] {
  const out: Step[] = [];
  raw.forEach((s, i) => {
    const step = compileStep(s, [...base, i], done, c);
    out.push(step);
    for (const id of stepIds(step)) done.add(id);
  });
  return out;
}

function stepIds(s: Step): string[] {
  return [s.id, ...childSteps(s).flatMap(stepIds)];
}

function compileStep(s: AnyStep, path: PropertyKey[], done: ReadonlySet<string>, c: StepCompiler): Step {
  if (c.seen.has(s.id)) c.report([...path, 'id'], `duplicate step id '${s.id}'`);
  c.seen.add(s.id);
  const ctx: ReferenceContext = { params: c.params, steps: done, allowOutput: false };
  const notification = 'notify' in s || (typeof s.action === 'string' && s.action.startsWith('notify:'));
  if (s.required !== undefined && !notification)
    c.report([...path, 'required'], 'required is for notifications (notify steps and notify:* actions) only');
  if (s.required !== undefined && s.onFailure !== undefined)
    c.report([...path, 'required'], 'give required or onFailure, not both (required: true is onFailure: fail)');
  if (s.when !== undefined) checkCondition(s.when, ctx, [...path, 'when'], c.report);
  const common: CommonStep = {
    id: s.id,
    ...(s.name !== undefined ? { name: s.name } : {}),
    ...(s.when !== undefined ? { when: s.when } : {}),
    retry: compileRetry(s.retry),
    // A notification that fails never stops a remediation, unless the runbook says it must arrive.
    onFailure: s.onFailure ?? (notification && s.required !== true ? 'continue' : 'fail'),
    ...(s.onFailure === 'pause'
      ? {
          pause: {
            timeoutMs: ms(s.pause?.timeout, 3_600_000),
            ...(s.pause?.escalateTo ? { escalateTo: s.pause.escalateTo } : {}),
          },
        }
      : {}),
  };
  if (s.pause !== undefined && s.onFailure !== 'pause')
    c.report([...path, 'pause'], 'pause settings need onFailure: pause');
  // The loader checked that exactly one kind key is present.
  const kind = kindModule(STEP_KIND_KEYS.find((k) => k in s) as Step['kind']) as StepKindModule<Step['kind']>;
  // Fields every step may carry but some kinds cannot honour: refuse rather than ignore them.
  const refuses = kind.refuses ?? {};
  if (s.onFailure === 'pause' && refuses.pause) c.report([...path, 'onFailure'], refuses.pause);
  if (s.retry !== undefined && refuses.retry) c.report([...path, 'retry'], refuses.retry);
  if (s.timeout !== undefined && refuses.timeout) c.report([...path, 'timeout'], refuses.timeout);
  return kind.compile(s, common, { ctx, path, report: c.report, child: (raw, at) => compileStep(raw, at, done, c) });
}
