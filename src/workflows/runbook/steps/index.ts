/**
 * Every step kind on the workflow side: what it does when run. The mapped type makes a
 * forgotten kind a type error. The loader side has the same table: src/runbooks/steps/index.ts.
 */
import type { Step, StepKind } from '../../../shared/model';
import { runAction, runNotify } from './action';
import { runApproval } from './approval';
import { runManual } from './manual';
import { runParallel } from './parallel';
import type { Done, StepRun, StepRunner } from './types';
import { runVerify } from './verify';
import { runWait } from './wait';

export const STEP_RUNNERS: { readonly [K in StepKind]: StepRunner<K> } = {
  action: runAction,
  notify: runNotify,
  verify: runVerify,
  approval: runApproval,
  wait: runWait,
  parallel: runParallel,
  manual: runManual,
};

/** Runs one step by its kind. Not async: one promise fewer per step (the SDK traces each). */
export function runStepKind(step: Step, x: StepRun): Promise<Done> {
  return (STEP_RUNNERS[step.kind] as StepRunner<StepKind>)(step as never, x);
}

export type { Done, StepRun } from './types';
