/**
 * The envelope every catalog activity speaks, so the interpreter handles all actions alike:
 * the step context (for idempotency keys and dry runs) plus the rendered inputs in, the output
 * plus how many attempts it took out.
 */
import type { JsonObject, JsonValue } from './model';

export interface StepContext {
  workflowId: string;
  runId: string;
  stepId: string;
  runbookId: string;
  /** Derived from the workflow id and step id: the same on every retry and after a crash. */
  idempotencyKey: string;
  dryRun: boolean;
}

/** What an action's activity is called with; `I` is the action's input type (its catalog schema). */
export interface ActionInput<I = JsonObject> {
  step: StepContext;
  input: I;
}

/** What an action's activity answers; `O` is the action's output type. */
export interface ActionResult<O = JsonValue> {
  output: O;
  attempt: number;
  /** In a dry run, what a mutating action would have done instead of doing it. */
  dryRun?: { wouldDo: string };
}

/** Details attached to an action's failure, so the workflow can report attempts. */
export interface ActionFailureDetails {
  attempt: number;
}
