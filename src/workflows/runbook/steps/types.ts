/**
 * What a step kind's runner is given and gives back. The interpreter (../execute.ts) handles
 * what every step shares (its condition, retries after failure, pauses, what the status shows);
 * a runner does what its kind means and returns what to record, or throws to fail the step.
 */
import type { JsonValue, Step, StepKind } from '../../../shared/model';
import type { KillSwitch } from '../../kit';
import type { AlertTracker } from '../alert';
import type { StepUndos } from '../compensation';
import type { GateSteps } from '../gate-steps';
import type { RunState } from '../run-state';

/** What a step records; `wouldDo` marks a step that did not happen (dry run, or passed undecided): skipped. */
export interface Done {
  output?: JsonValue;
  outputSummary?: string;
  attempts?: number;
  note?: string;
  wouldDo?: true;
}

export interface StepRun {
  readonly state: RunState;
  readonly gateSteps: GateSteps;
  readonly alerts: AlertTracker;
  readonly killSwitch: KillSwitch;
  readonly compensations: StepUndos;
  /** Takes the run's locks (once) before its first change. */
  beforeMutation(): Promise<void>;
  runInfo(): { runbookId: string; dryRun: boolean };
  /** Runs a child step with everything a step gets (containers). */
  run(step: Step): Promise<void>;
}

export type StepRunner<K extends StepKind> = (step: Extract<Step, { kind: K }>, x: StepRun) => Promise<Done>;
