/** Runs steps in order: conditions, each kind's semantics, failures, pauses and what the status shows. */
import { DECISION_FAILURES, FAILURE, LOCK_FAILURES } from '../../shared/failures';
import { ApplicationFailure, isCancellation, patched, proxySinks, sleep } from '@temporalio/workflow';
import { formatDuration } from '../../shared/duration';
import type { JsonObject, JsonValue, Step, VerifyStep } from '../../shared/model';
import type { RunbookMetricsSinks } from '../../shared/sinks';
import { evaluateText, render, toText, truthy } from '../../shared/template';
import { describeFailure, type KillSwitch, type Notifier } from '../kit';
import { callStep } from './call-step';
import type { StepUndos } from './compensation';
import type { GateSteps } from './gate-steps';
import { summarize, type RunState } from './run-state';
import type { StepDecisions } from './step-decisions';
import { waitWhileFrozen } from './freeze';
import type { AlertTracker } from './alert';

const { runbookMetrics } = proxySinks<RunbookMetricsSinks>();

/** What a step records; `wouldDo` marks a step that did not happen (dry run, or passed undecided): skipped. */
type Done = { output?: JsonValue; outputSummary?: string; attempts?: number; note?: string; wouldDo?: true };

export class Executor {
  constructor(
    private readonly state: RunState,
    private readonly gateSteps: GateSteps,
    private readonly decisions: StepDecisions,
    private readonly compensations: StepUndos,
    private readonly alerts: AlertTracker,
    /** Takes the run's locks (once) before its first change. */
    private readonly beforeMutation: () => Promise<void>,
    private readonly killSwitch: KillSwitch,
    private readonly notifier: Notifier,
  ) {}

  private runInfo(): { runbookId: string; dryRun: boolean } {
    return { runbookId: this.state.runbook.id, dryRun: this.state.status.dryRun };
  }

  /** Sends a notification from the run itself (escalations); a failure to notify does not fail the run. */
  notify(target: string, message: string): Promise<void> {
    return this.notifier.notify(target, message);
  }

  async runAll(steps: Step[]): Promise<void> {
    for (const step of steps) await this.run(step);
  }

  private async run(step: Step): Promise<void> {
    const now = (): string => new Date().toISOString();
    if (step.when !== undefined && !truthy(evaluateText(step.when, this.state.scope()))) {
      this.skipAll(step, `when was false: ${step.when}`);
      return;
    }
    this.state.updateStep(step.id, { state: 'running', startedAt: now() });
    for (;;) {
      const before = this.state.step(step.id).attempts;
      try {
        const done = await this.execute(step);
        // A dry run's mutating step did not happen: it is skipped, with what it would have done.
        const { wouldDo, ...record } = done;
        if (record.attempts !== undefined) record.attempts += before;
        this.state.updateStep(step.id, { state: wouldDo ? 'skipped' : 'succeeded', finishedAt: now(), ...record });
        if (step.kind === 'action' && !wouldDo) this.compensations.push(step);
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
    if (step.kind === 'parallel') for (const s of step.steps) this.skipAll(s, `parent ${step.id} skipped`);
  }

  /** Executes one step; returns what to record. Throws to fail it. */
  private async execute(step: Step): Promise<Done> {
    const { dryRun } = this.state.status;
    switch (step.kind) {
      case 'action':
      case 'notify': {
        const input = render(step.with, this.state.scope()) as JsonObject;
        if (dryRun && (step.mutating || step.skipInDryRun)) {
          return { note: `dry run: would call ${step.action} with ${toText(input)}`, attempts: 0, wouldDo: true };
        }
        if (step.mutating) {
          this.alerts.check(`mutating step '${step.id}'`);
          await this.beforeMutation();
          // Runs started before the kill switch existed replay without asking it.
          if (patched('kill-switch')) await waitWhileFrozen(this.state, step.id, this.killSwitch);
          await this.gateSteps.checkBinding(step.id, step.action, input);
        }
        const r = await callStep(step, input, this.runInfo());
        return { output: r.output, outputSummary: summarize(r.output), attempts: r.attempt };
      }
      case 'verify':
        return this.verify(step);
      case 'wait':
        await sleep(step.durationMs, { summary: `${step.id}: wait ${formatDuration(step.durationMs)}` });
        return {};
      case 'approval': {
        const message = toText(render(step.message, this.state.scope()));
        if (dryRun) return { note: `dry run: would wait for approval: ${message}`, wouldDo: true };
        this.alerts.check(`approval '${step.id}'`);
        const waitStart = Date.now();
        let outcome = 'approve';
        try {
          const passed = await this.gateSteps.pass(step, message);
          // Passed without a decision (onTimeout: continue): recorded as skipped, not as approved.
          return passed.undecided ? { note: passed.note, wouldDo: true } : { note: passed.note };
        } catch (err) {
          const type = describeFailure(err).type;
          outcome =
            type === FAILURE.ApprovalRejected ? 'reject' : type === FAILURE.AutoResolved ? 'alert-resolved' : 'timeout';
          throw err;
        } finally {
          runbookMetrics.approvalWaited({ runbook: this.state.runbook.id, outcome }, (Date.now() - waitStart) / 1000);
        }
      }
      case 'parallel': {
        const results = await Promise.allSettled(step.steps.map((s) => this.run(s)));
        const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (failed) throw failed.reason;
        return {};
      }
    }
  }

  /** Repeats a read-only action until its expectation holds or the time is up. */
  private async verify(step: VerifyStep): Promise<Done> {
    const deadline = Date.now() + step.withinMs;
    for (let round = 1; ; round++) {
      const input = render(step.with, this.state.scope()) as JsonObject;
      const r = await callStep(step, input, this.runInfo());
      this.state.updateStep(step.id, { output: r.output, outputSummary: summarize(r.output) });
      if (truthy(evaluateText(step.until, { ...this.state.scope(), output: r.output }))) {
        return { output: r.output, outputSummary: summarize(r.output), attempts: round };
      }
      if (Date.now() + step.intervalMs > deadline) {
        throw ApplicationFailure.create({
          message: `'${step.until}' did not hold within ${formatDuration(step.withinMs)} (${round} checks; last: ${summarize(r.output) ?? 'no output'})`,
          type: FAILURE.VerifyTimeout,
          nonRetryable: true,
          details: [{ attempt: round }],
        });
      }
      await sleep(step.intervalMs, { summary: `${step.id}: next check in ${formatDuration(step.intervalMs)}` });
    }
  }
}

/** Run-level metrics, reported through the same sink. */
export function reportRunStarted(runbook: string, trigger: string): void {
  runbookMetrics.runStarted({ runbook, trigger });
}
export function reportRunFinished(runbook: string, trigger: string, outcome: string): void {
  runbookMetrics.runFinished({ runbook, trigger, outcome });
}
