/** Runs steps in order: conditions, each kind's semantics, failures and what the status shows. */
import { ApplicationFailure, isCancellation, proxySinks, sleep } from '@temporalio/workflow';
import { formatDuration } from '../../shared/duration';
import type { JsonObject, JsonValue, Step, VerifyStep } from '../../shared/model';
import type { RunbookMetricsSinks } from '../../shared/sinks';
import { evaluateText, render, toText, truthy } from '../../shared/template';
import type { ApprovalGates } from './approvals';
import { callAction, describeFailure } from './call-action';
import { summarize, type RunState } from './run-state';

const { runbookMetrics } = proxySinks<RunbookMetricsSinks>();

/** Thrown (as an ApplicationFailure type) when a step fails and the runbook says to stop. */
export const STEP_FAILED = 'StepFailed';
export const APPROVAL_REJECTED = 'ApprovalRejected';

export class Executor {
  constructor(
    private readonly state: RunState,
    private readonly gates: ApprovalGates,
  ) {}

  private runInfo(): { runbookId: string; dryRun: boolean } {
    return { runbookId: this.state.runbook.id, dryRun: this.state.status.dryRun };
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
    try {
      const done = await this.execute(step);
      // A dry run's mutating step did not happen: it is skipped, with what it would have done.
      const state = done.wouldDo ? 'skipped' : 'succeeded';
      const { wouldDo: _, ...record } = done;
      this.state.updateStep(step.id, { state, finishedAt: now(), ...record });
    } catch (err) {
      if (isCancellation(err)) {
        this.state.updateStep(step.id, { state: 'failed', finishedAt: now(), error: { message: 'cancelled', type: 'Cancelled' } });
        throw err;
      }
      const f = describeFailure(err);
      const attempts = Math.max(f.attempts, this.state.step(step.id).attempts);
      this.state.updateStep(step.id, {
        state: 'failed',
        finishedAt: now(),
        attempts,
        error: { message: f.message, ...(f.type ? { type: f.type } : {}) },
      });
      if (step.onFailure === 'continue' && f.type !== APPROVAL_REJECTED) return;
      this.state.status.error = { message: f.message, ...(f.type ? { type: f.type } : {}), stepId: step.id };
      throw ApplicationFailure.create({
        message: `step '${step.id}' failed: ${f.message}`,
        type: f.type === APPROVAL_REJECTED ? APPROVAL_REJECTED : STEP_FAILED,
        nonRetryable: true,
      });
    }
  }

  private skipAll(step: Step, note: string): void {
    this.state.updateStep(step.id, { state: 'skipped', note });
    if (step.kind === 'parallel') for (const s of step.steps) this.skipAll(s, `parent ${step.id} skipped`);
  }

  /** Executes one step; returns what to record. Throws to fail it. */
  private async execute(step: Step): Promise<{ output?: JsonValue; outputSummary?: string; attempts?: number; note?: string; wouldDo?: true }> {
    const { dryRun } = this.state.status;
    switch (step.kind) {
      case 'action':
      case 'notify': {
        const input = render(step.with, this.state.scope()) as JsonObject;
        if (dryRun && (step.mutating || step.skipInDryRun)) {
          return { note: `dry run: would call ${step.action} with ${toText(input)}`, attempts: 0, wouldDo: true };
        }
        const r = await callAction(step, input, this.runInfo());
        return { output: r.output, outputSummary: summarize(r.output), attempts: r.attempt };
      }
      case 'verify':
        return this.verify(step);
      case 'wait':
        await sleep(step.durationMs, { summary: `${step.id}: wait ${formatDuration(step.durationMs)}` });
        return {};
      case 'approval':
        return this.approval(step);
      case 'parallel': {
        const results = await Promise.allSettled(step.steps.map((s) => this.run(s)));
        const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (failed) throw failed.reason;
        return {};
      }
    }
  }

  private async approval(step: Step & { kind: 'approval' }): Promise<{ note: string; wouldDo?: true }> {
    const message = toText(render(step.message, this.state.scope()));
    if (this.state.status.dryRun) return { note: `dry run: would wait for approval: ${message}`, wouldDo: true };
    const waitStart = Date.now();
    const decision = await this.gates.waitFor(step.id, message, step.timeoutMs);
    const labels = { runbook: this.state.runbook.id, outcome: decision ? decision.decision : 'timeout' };
    runbookMetrics.approvalWaited(labels, (Date.now() - waitStart) / 1000);
    if (!decision) {
      throw ApplicationFailure.create({
        message: `no decision within ${formatDuration(step.timeoutMs)}`,
        type: 'ApprovalTimeout',
        nonRetryable: true,
      });
    }
    const by = `${decision.actor} via ${decision.via}${decision.comment ? `: ${decision.comment}` : ''}`;
    if (decision.decision === 'reject') {
      throw ApplicationFailure.create({ message: `rejected by ${by}`, type: APPROVAL_REJECTED, nonRetryable: true });
    }
    return { note: `approved by ${by}` };
  }

  /** Repeats a read-only action until its expectation holds or the time is up. */
  private async verify(step: VerifyStep): Promise<{ output?: JsonValue; outputSummary?: string; attempts: number }> {
    const deadline = Date.now() + step.withinMs;
    for (let round = 1; ; round++) {
      const input = render(step.with, this.state.scope()) as JsonObject;
      const r = await callAction(step, input, this.runInfo());
      this.state.updateStep(step.id, { attempts: round, output: r.output, outputSummary: summarize(r.output) });
      if (truthy(evaluateText(step.until, { ...this.state.scope(), output: r.output }))) {
        return { output: r.output, outputSummary: summarize(r.output), attempts: round };
      }
      if (Date.now() + step.intervalMs > deadline) {
        throw ApplicationFailure.create({
          message: `'${step.until}' did not hold within ${formatDuration(step.withinMs)} (${round} checks; last: ${summarize(r.output) ?? 'no output'})`,
          type: 'VerifyTimeout',
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
