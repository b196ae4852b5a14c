/**
 * The one walk over a runbook's steps: a step and, for containers (steps that hold `steps`),
 * its children, in order. Pure, so the loader, the planner and the workflow all use it.
 */
import type { Step } from './model';

/** A container's children; none for a leaf step. */
export function childSteps(s: Step): Step[] {
  return 'steps' in s ? s.steps : [];
}

/** Every step, each before its children, in file order. */
export function flattenSteps(steps: readonly Step[]): Step[] {
  return steps.flatMap((s) => [s, ...flattenSteps(childSteps(s))]);
}
