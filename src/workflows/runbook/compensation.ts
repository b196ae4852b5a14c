/**
 * Rollback as explicit data (the saga pattern): each completed mutating step with an undo pushes
 * it; when the run fails, aborts or is cancelled, the undos run in reverse order, each recorded
 * on its step. One undo failing does not stop the others.
 */
import { CancellationScope } from '@temporalio/workflow';
import type { ActionStep, JsonObject } from '../../shared/model';
import { render } from '../../shared/template';
import { callAction, describeFailure } from './call-action';
import type { RunState } from './run-state';

export class Compensations {
  private readonly stack: ActionStep[] = [];

  constructor(private readonly state: RunState) {}

  push(step: ActionStep): void {
    if (step.undo) this.stack.push(step);
  }

  /** Forget the undos: the run's changes are final. */
  clear(): void {
    this.stack.length = 0;
  }

  get size(): number {
    return this.stack.length;
  }

  /** Runs every pending undo, newest first, in a scope that cancellation cannot interrupt. */
  async rollback(): Promise<void> {
    if (this.stack.length === 0) return;
    this.state.setPhase('rolling_back');
    await CancellationScope.nonCancellable(async () => {
      while (this.stack.length > 0) {
        const step = this.stack.pop() as ActionStep;
        const undo = step.undo as NonNullable<ActionStep['undo']>;
        const at = (): string => new Date().toISOString();
        try {
          const input = render(undo.with, this.state.scope()) as JsonObject;
          await callAction({ ...undo, id: `${step.id}.undo` }, input, {
            runbookId: this.state.runbook.id,
            dryRun: false,
          });
          this.state.updateStep(step.id, { undo: { action: undo.action, state: 'succeeded', at: at() } });
        } catch (err) {
          this.state.updateStep(step.id, {
            undo: { action: undo.action, state: 'failed', error: describeFailure(err).message, at: at() },
          });
        }
      }
    });
  }
}
