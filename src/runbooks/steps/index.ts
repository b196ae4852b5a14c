/**
 * Every step kind on the loader side, by kind: its schema, how it compiles and what its plan
 * shows. The mapped type makes a forgotten kind a type error (it used to compile silently as a
 * 0 ms wait). The workflow side has the same table: src/workflows/runbook/steps/index.ts.
 */
import type { StepKind } from '../../shared/model';
import { actionKind } from './action';
import { approvalKind } from './approval';
import type { StepKindModule } from './common';
import { manualKind } from './manual';
import { notifyKind } from './notify';
import { parallelKind } from './parallel';
import { verifyKind } from './verify';
import { waitKind } from './wait';

export const STEP_KINDS: { readonly [K in StepKind]: StepKindModule<K> } = {
  action: actionKind,
  notify: notifyKind,
  verify: verifyKind,
  approval: approvalKind,
  wait: waitKind,
  parallel: parallelKind,
  manual: manualKind,
};

/** The keys that name a step's kind; exactly one must be present. */
export const STEP_KIND_KEYS = Object.keys(STEP_KINDS) as StepKind[];

export function kindModule<K extends StepKind>(kind: K): StepKindModule<K> {
  return STEP_KINDS[kind] as StepKindModule<K>;
}
