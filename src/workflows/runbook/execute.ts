/** Runs steps in order: conditions, failures, pauses and what the status shows; each kind's meaning is in ./steps. */
import { ApplicationFailure, isCancellation } from '@temporalio/workflow';
import { formatDuration } from '../../shared/duration';
import { DECISION_FAILURES, FAILURE, LOCK_FAILURES } from '../../shared/failures';
import type { MessageEvent } from '../../shared/message-events';
import type { JsonObject, Step } from '../../shared/model';
import { childSteps } from '../../shared/steps';
import { evaluateText, truthy } from '../../shared/template';
import { describeFailure, untracked, type KillSwitch, type Notifier } from '../kit';
import type { AlertTracker } from './alert';
import type { StepUndos } from './compensation';
import type { GateSteps } from './gate-steps';
import type { RunState } from './run-state';
import type { StepDecisions } from './step-decisions';
import { runStepKind, type Done, type StepRun } from './steps';

export { reportRunFinished, reportRunStarted } from './metrics';

export class Executor implements StepRun {
  constructor(
    readonly state: RunState,
    readonly gateSteps: GateSteps,
    private readonly decisions: StepDecisions,
    readonly compensations: StepUndos,
    readonly alerts: AlertTracker,
    /** Takes the run's locks (once) before its first change. */
    readonly beforeMutation: () => Promise<void>,
    readonly killSwitch: KillSwitch,
    private readonly notifier: Notifier,
  ) {}

  runInfo(): { runbookId: string; dryRun: boolean } {
    return { runbookId: this.state.runbook.id, dryRun: this.state.status.dryRun };
  }

  /** Sends a notification from the run itself (escalations); a failure to notify does not fail the run. */
  notify(target: string, message: string, event?: MessageEvent): Promise<void> {
    return this.notifier.notify(target, message, 'warning', event);
  }

  /** The scope every notice's template has: the runbook and the run. */
  noticeScope(): { runbook: JsonObject; run: JsonObject } {
    return {
      runbook: { id: this.state.runbook.id, title: this.state.runbook.title },
      run: { workflowId: this.state.workflowId, phase: this.state.status.phase },
    };
  }

  async runAll(steps: Step[]): Promise<void> {
    for (const step of steps) await untracked(this.run(step));
  }

  async run(step: Step): Promise<void> {
    const now = (): string => new Date().toISOString();
    if (step.when !== undefined && !truthy(evaluateText(step.when, this.state.scope()))) {
      this.skipAll(step, `when was false: ${step.when}`);
      return;
    }
    this.state.updateStep(step.id, { state: 'running', startedAt: now() });
    for (;;) {
      const before = this.state.step(step.id).attempts;
      try {
        const done = await untracked(this.execute(step));
        // A dry run's mutating step did not happen: it is skipped, with what it would have done.
        const { wouldDo, ...record } = done;
        if (record.attempts !== undefined) record.attempts += before;
        this.state.updateStep(step.id, { state: wouldDo ? 'skipped' : 'succeeded', finishedAt: now(), ...record });
        return;
      } catch (err) {
        if (isCancellation(err)) {
          this.state.updateStep(step.id, {
            state: 'failed',
            finishedAt: now(),
            error: { message: 'cancelled', type: FAILURE.Cancelled },
          });
          throw err;
        }
        const f = describeFailure(err);
        if (f.type === FAILURE.AutoResolved) {
          this.state.updateStep(step.id, { state: 'skipped', finishedAt: now(), note: f.message });
          throw err;
        }
        const error = { message: f.message, ...(f.type ? { type: f.type } : {}) };
        this.state.updateStep(step.id, { state: 'failed', finishedAt: now(), attempts: before + f.attempts, error });
        const decision = f.type !== undefined && (DECISION_FAILURES.has(f.type) || LOCK_FAILURES.has(f.type));
        if (step.onFailure === 'pause' && step.pause && !decision) {
          const escalateTo = step.pause.escalateTo;
          const d = await this.decisions.waitFor(
            step.id,
            error,
            step.pause.timeoutMs,
            escalateTo
              ? () =>
                  this.notify(
                    escalateTo,
                    `Step '${step.id}' of ${this.state.runbook.title} is paused after failing (${f.message}) and needs a decision.`,
                    { kind: 'step_paused', scope: { ...this.noticeScope(), step: { id: step.id, error: f.message } } },
                  )
              : undefined,
          );
          if (d?.action === 'retry') {
            this.state.updateStep(step.id, { state: 'running', note: `retried by ${d.actor}` });
            continue;
          }
          if (d?.action === 'skip') {
            this.state.updateStep(step.id, { state: 'skipped', note: `skipped by ${d.actor}: ${d.reason ?? ''}` });
            return;
          }
          const why = d
            ? `aborted by ${d.actor}${d.reason ? `: ${d.reason}` : ''}`
            : `no decision within ${formatDuration(step.pause.timeoutMs)}`;
          this.state.status.error = { message: why, type: FAILURE.Aborted, stepId: step.id };
          throw ApplicationFailure.create({
            message: `step '${step.id}' failed and was ${d ? why : `not decided on: ${why}`}`,
            type: FAILURE.Aborted,
            nonRetryable: true,
          });
        }
        if (step.onFailure === 'continue' && !decision) return;
        this.state.status.error = { ...error, stepId: step.id };
        throw ApplicationFailure.create({
          message: `step '${step.id}' failed: ${f.message}`,
          type:
            f.type === FAILURE.ApprovalRejected || (f.type !== undefined && LOCK_FAILURES.has(f.type))
              ? f.type
              : FAILURE.StepFailed,
          nonRetryable: true,
        });
      }
    }
  }

  private skipAll(step: Step, note: string): void {
    this.state.updateStep(step.id, { state: 'skipped', note });
    for (const s of childSteps(step)) this.skipAll(s, `parent ${step.id} skipped`);
  }

  /** Executes one step by its kind; returns what to record. Throws to fail it. */
  private execute(step: Step): Promise<Done> {
    return runStepKind(step, this);
  }
}
