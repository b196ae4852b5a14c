/**
 * Paused steps: a step with onFailure: pause waits, after its retries, for an operator to retry
 * it, skip it (with a reason) or abort the run, by update (API, CLI) or signal (Web UI). The run
 * never has to be restarted from the top. Past the deadline, someone is told and the step waits
 * as long again (the kit's escalation ladder).
 */
import { decideStepUpdate, stepDecisionSignal } from '../../shared/messages';
import type { PendingStepDecision, StepDecision, StepDecisionRecord } from '../../shared/status';
import { climb, installDecisionHandlers, stepDecisionClaims, type Rung } from '../kit';
import { reportStepPaused } from './metrics';
import type { RunState } from './run-state';

export class StepDecisions {
  private readonly decided = new Map<string, StepDecisionRecord>();

  constructor(private readonly state: RunState) {}

  /** `signed`: decisions must come signed by the API (every run since signing). */
  install(signed: boolean): void {
    installDecisionHandlers(
      decideStepUpdate,
      stepDecisionSignal,
      {
        validate: (d) => this.validate(d),
        apply: (d, via) => this.apply(d, via),
        describe: {
          update: 'Retry, skip (with a reason) or abort a paused step: signed by the API (CLI, HTTP API, Slack).',
          signal: 'Retry, skip or abort a paused step: {stepId, action, actor, reason}.',
        },
        claims: stepDecisionClaims,
        unverified: (message, payload, reason) => this.state.unverified(message, payload, reason),
      },
      signed,
    );
  }

  validate(d: StepDecision): void {
    if (d === null || typeof d !== 'object') throw new TypeError('a decision object is required');
    if (!['retry', 'skip', 'abort'].includes(d.action))
      throw new TypeError("action must be 'retry', 'skip' or 'abort'");
    if (typeof d.actor !== 'string' || d.actor.trim() === '') throw new TypeError('actor is required');
    if (d.action === 'skip' && !(typeof d.reason === 'string' && d.reason.trim())) {
      throw new TypeError('skipping a step needs a reason');
    }
    if (!this.state.status.pendingStepDecisions.some((p) => p.stepId === d.stepId) || this.decided.has(d.stepId)) {
      const paused = this.state.status.pendingStepDecisions.map((p) => p.stepId).join(', ');
      throw new TypeError(`step '${String(d.stepId)}' is not paused${paused ? ` (paused: ${paused})` : ''}`);
    }
  }

  private apply(d: StepDecision, via: StepDecisionRecord['via']): { stepId: string; accepted: true } {
    const record: StepDecisionRecord = { ...d, actor: d.actor.trim(), via, at: new Date().toISOString() };
    this.decided.set(d.stepId, record);
    this.state.status.stepDecisions.push(record);
    return { stepId: d.stepId, accepted: true };
  }

  /** Waits for a decision on a failed step; undefined when the deadline passed. */
  async waitFor(
    stepId: string,
    error: PendingStepDecision['error'],
    timeoutMs: number,
    onEscalate?: () => Promise<void>,
  ): Promise<StepDecisionRecord | undefined> {
    const now = Date.now();
    const pending: PendingStepDecision = {
      stepId,
      error,
      requestedAt: new Date(now).toISOString(),
      deadline: new Date(now + timeoutMs).toISOString(),
      escalated: false,
    };
    this.state.status.pendingStepDecisions.push(pending);
    reportStepPaused({ runbook: this.state.status.runbook.id, stepId, reason: error.message });
    const endWait = this.state.wait('paused');
    this.state.updateStep(stepId, {
      state: 'waiting',
      note: `paused after failing: ${error.message}; retry, skip or abort`,
    });
    const rungs: Rung[] = onEscalate ? [{ waitMs: timeoutMs }, { waitMs: timeoutMs }] : [{ waitMs: timeoutMs }];
    try {
      await climb(
        rungs,
        () => this.decided.has(stepId),
        async (rung) => {
          pending.escalated = true;
          pending.deadline = new Date(Date.now() + rung.waitMs).toISOString();
          this.state.publish();
          await onEscalate?.();
        },
      );
      return this.decided.get(stepId);
    } finally {
      this.decided.delete(stepId);
      this.state.status.pendingStepDecisions = this.state.status.pendingStepDecisions.filter((p) => p !== pending);
      endWait();
    }
  }
}
