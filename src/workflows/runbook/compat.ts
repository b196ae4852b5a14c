/**
 * Runs in flight carry the runbook as it was compiled when they started. Fields added to the
 * model since then are filled here with the meaning they had before they existed, so those runs
 * go on unchanged (test/unit/replay.test.ts replays histories recorded before each addition).
 */
import type { RunbookDefinition, Step } from '../../shared/model';

function upgrade(step: Step): Step {
  if (step.kind === 'parallel') return { ...step, steps: step.steps.map(upgrade) };
  if (step.kind !== 'approval') return step;
  // Before N-of-M approvals: one approval by anyone, no bound inputs; a timeout aborted, unless
  // the step said onFailure: continue, which then meant going on without a decision.
  const onTimeout = step.onTimeout ?? (step.onFailure === 'continue' ? 'continue' : 'abort');
  return { ...step, required: step.required ?? 1, onTimeout, guards: step.guards ?? [] };
}

export function upgradeRunbook(rb: RunbookDefinition): RunbookDefinition {
  return { ...rb, steps: rb.steps.map(upgrade) };
}
