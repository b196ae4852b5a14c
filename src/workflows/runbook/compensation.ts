/**
 * A runbook's rollback: each completed mutating step with an `undo` pushes it onto the kit's
 * compensations; when the run fails, aborts or is cancelled, the undos run in reverse order, each
 * recorded on its step. One undo failing does not stop the others.
 */
import type { ActionStep, JsonObject } from '../../shared/model';
import { render } from '../../shared/template';
import { Compensations, describeFailure } from '../kit';
import { callStep } from './call-step';
import type { RunState } from './run-state';

export class StepUndos {
  private readonly undos: Compensations;

  constructor(private readonly state: RunState) {
    this.undos = new Compensations(() => state.setBase('rolling_back'));
  }

  push(step: ActionStep): void {
    const undo = step.undo;
    if (!undo) return;
    this.undos.push(step.id, async () => {
      const at = (): string => new Date().toISOString();
      try {
        const input = render(undo.with, this.state.scope()) as JsonObject;
        await callStep({ ...undo, id: `${step.id}.undo` }, input, { runbookId: this.state.runbook.id, dryRun: false });
        this.state.updateStep(step.id, { undo: { action: undo.action, state: 'succeeded', at: at() } });
      } catch (err) {
        const error = describeFailure(err).message;
        this.state.updateStep(step.id, { undo: { action: undo.action, state: 'failed', error, at: at() } });
      }
    });
  }

  /** Forget the undos: the run's changes are final. */
  clear(): void {
    this.undos.clear();
  }

  get size(): number {
    return this.undos.size;
  }

  /** Runs every pending undo, newest first, in a scope that cancellation cannot interrupt. */
  async rollback(): Promise<void> {
    await this.undos.rollback();
  }
}
