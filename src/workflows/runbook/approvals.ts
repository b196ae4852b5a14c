/**
 * Approval gates: a step waits until an allowed person decides, or its deadline passes.
 * Decisions arrive by update (API, CLI: the caller gets an answer from the validator) or by a
 * signal of the same meaning (the Web UI).
 */
import { condition, log, setHandler } from '@temporalio/workflow';
import { approvalDecisionSignal, decideApprovalUpdate } from '../../shared/messages';
import type { ApprovalDecision, ApprovalDecisionRecord, ApprovalDecisionResult } from '../../shared/status';
import type { RunState } from './run-state';

export class ApprovalGates {
  private readonly decided = new Map<string, ApprovalDecisionRecord>();

  constructor(private readonly state: RunState) {}

  /** Registers the handlers; called first thing in the workflow so early decisions are not lost. */
  install(): void {
    setHandler(decideApprovalUpdate, (d) => this.apply(d, d.via ?? 'api'), {
      validator: (d) => this.validate(d),
      description: 'Approve or reject a pending approval step (API, CLI).',
    });
    setHandler(
      approvalDecisionSignal,
      (d) => {
        try {
          this.validate(d);
          this.apply(d, d.via ?? 'web-ui');
        } catch (err) {
          log.warn('approval decision refused', { decision: d, reason: (err as Error).message });
        }
      },
      { description: 'Approve or reject a pending approval step (Web UI): {stepId, decision, actor, comment}.' },
    );
  }

  /** Throws (refusing the update) when the decision cannot apply now. */
  validate(d: ApprovalDecision): void {
    if (d === null || typeof d !== 'object') throw new TypeError('a decision object is required');
    if (d.decision !== 'approve' && d.decision !== 'reject') throw new TypeError("decision must be 'approve' or 'reject'");
    if (typeof d.actor !== 'string' || d.actor.trim() === '') throw new TypeError('actor is required');
    const pending = this.state.status.pendingApprovals.find((a) => a.stepId === d.stepId);
    if (!pending) {
      const open = this.state.status.pendingApprovals.map((a) => a.stepId).join(', ');
      throw new TypeError(`step '${String(d.stepId)}' is not waiting for approval${open ? ` (waiting: ${open})` : ''}`);
    }
  }

  private apply(d: ApprovalDecision, via: ApprovalDecisionRecord['via']): ApprovalDecisionResult {
    const record: ApprovalDecisionRecord = {
      decision: d.decision,
      actor: d.actor.trim(),
      via,
      ...(d.comment ? { comment: d.comment } : {}),
      at: new Date().toISOString(),
    };
    this.decided.set(d.stepId, record);
    this.state.status.decisions.push({ stepId: d.stepId, ...record });
    return { stepId: d.stepId, accepted: true, outcome: d.decision === 'approve' ? 'approved' : 'rejected' };
  }

  /** Waits for a decision on a step; undefined when the deadline passed first. */
  async waitFor(stepId: string, message: string, timeoutMs: number): Promise<ApprovalDecisionRecord | undefined> {
    const requestedAt = new Date();
    this.state.status.pendingApprovals.push({
      stepId,
      message,
      requestedAt: requestedAt.toISOString(),
      deadline: new Date(requestedAt.getTime() + timeoutMs).toISOString(),
    });
    this.state.setPhase('waiting_approval');
    this.state.updateStep(stepId, { state: 'waiting', note: `waiting for approval: ${message}` });
    try {
      const decided = await condition(() => this.decided.has(stepId), timeoutMs);
      return decided ? this.decided.get(stepId) : undefined;
    } finally {
      this.state.status.pendingApprovals = this.state.status.pendingApprovals.filter((a) => a.stepId !== stepId);
      if (this.state.status.pendingApprovals.length === 0) this.state.setPhase('running');
    }
  }
}
