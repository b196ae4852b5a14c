/**
 * Runs in flight carry the runbook as it was compiled when they started. Fields added to the
 * model since then are filled here with the meaning they had before they existed, so those runs
 * go on unchanged (test/unit/replay.test.ts replays histories recorded before each addition).
 */
import type { RunbookDefinition, Step } from '../../shared/model';

function upgrade(step: Step): Step {
  if (step.kind === 'parallel') return { ...step, steps: step.steps.map(upgrade) };
  if (step.kind !== 'approval') return step;
  // Before N-of-M approvals: one approval by anyone, abort on timeout, no bound inputs.
  return { ...step, required: step.required ?? 1, onTimeout: step.onTimeout ?? 'abort', guards: step.guards ?? [] };
}

export function upgradeRunbook(rb: RunbookDefinition): RunbookDefinition {
  return { ...rb, steps: rb.steps.map(upgrade) };
}
