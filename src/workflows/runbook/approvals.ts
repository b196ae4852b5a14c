/**
 * Approval gates. A gate names who may decide and how many distinct approvals it needs; the
 * person who started the run cannot approve it; one vote per person; a rejection by an allowed
 * approver ends it. Decisions arrive by update (API, CLI: the validator answers why a decision is
 * refused) or by a signal of the same meaning (Web UI). A decision is bound to the resolved inputs
 * of the steps it covers (see bindings).
 */
import { condition, log, setHandler } from '@temporalio/workflow';
import { approvalDecisionSignal, decideApprovalUpdate } from '../../shared/messages';
import type { ApprovalStep } from '../../shared/model';
import type {
  ApprovalDecision,
  ApprovalDecisionRecord,
  ApprovalDecisionResult,
  PendingApproval,
} from '../../shared/status';
import type { RunState } from './run-state';

interface Gate {
  step: ApprovalStep;
  pending: PendingApproval;
  /** null: anyone with the approver role (the API checks roles). */
  allowed: Set<string> | null;
  votes: Map<string, ApprovalDecisionRecord>;
  /** Earlier voters counted in votes (so they cannot vote again) but not toward this opening. */
  excluded: number;
  rejection?: ApprovalDecisionRecord;
}

export type GateResult =
  | { outcome: 'approved'; votes: ApprovalDecisionRecord[] }
  | { outcome: 'rejected'; by: ApprovalDecisionRecord }
  | { outcome: 'timeout'; escalated: boolean }
  /** The run must stop (its alert resolved): the gate closed without a decision. */
  | { outcome: 'interrupted' };

export class ApprovalGates {
  private readonly open = new Map<string, Gate>();
  /** When true, open gates (other than retroactive ones) close without a decision. */
  interrupt: () => boolean = () => false;

  constructor(
    private readonly state: RunState,
    private readonly groups: Readonly<Record<string, string[]>>,
  ) {}

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

  /** Who may decide: identities and the members of named groups; undefined means any approver. */
  resolve(approvers: string[] | undefined): Set<string> | null {
    if (!approvers) return null;
    return new Set(approvers.flatMap((a) => (a.startsWith('group:') ? (this.groups[a.slice(6)] ?? []) : [a])));
  }

  /** Throws (refusing the update) when the decision cannot apply now. */
  validate(d: ApprovalDecision): void {
    if (d === null || typeof d !== 'object') throw new TypeError('a decision object is required');
    if (d.decision !== 'approve' && d.decision !== 'reject')
      throw new TypeError("decision must be 'approve' or 'reject'");
    if (typeof d.actor !== 'string' || d.actor.trim() === '') throw new TypeError('actor is required');
    const gate = this.open.get(d.stepId);
    if (!gate) {
      const open = [...this.open.keys()].join(', ');
      throw new TypeError(`step '${String(d.stepId)}' is not waiting for approval${open ? ` (waiting: ${open})` : ''}`);
    }
    const actor = d.actor.trim();
    if (actor === this.state.status.trigger.requestedBy)
      throw new TypeError(`${actor} started this run and cannot approve it`);
    if (gate.allowed && !gate.allowed.has(actor)) {
      throw new TypeError(
        `${actor} may not decide on '${d.stepId}' (allowed: ${[...gate.allowed].join(', ') || 'nobody'})`,
      );
    }
    if (gate.votes.has(actor)) throw new TypeError(`${actor} has already approved '${d.stepId}'`);
  }

  private apply(d: ApprovalDecision, via: ApprovalDecisionRecord['via']): ApprovalDecisionResult {
    const gate = this.open.get(d.stepId) as Gate;
    const record: ApprovalDecisionRecord = {
      decision: d.decision,
      actor: d.actor.trim(),
      via,
      ...(d.comment ? { comment: d.comment } : {}),
      at: new Date().toISOString(),
    };
    this.state.status.decisions.push({
      stepId: d.stepId,
      ...record,
      ...(gate.pending.retroactive ? { retroactive: true } : {}),
    });
    if (d.decision === 'reject') {
      gate.rejection = record;
      return { stepId: d.stepId, accepted: true, outcome: 'rejected' };
    }
    gate.votes.set(record.actor, record);
    gate.pending.approvals.push({
      actor: record.actor,
      at: record.at,
      ...(record.comment ? { comment: record.comment } : {}),
    });
    this.state.publish();
    return {
      stepId: d.stepId,
      accepted: true,
      outcome: gate.votes.size - gate.excluded >= gate.pending.required ? 'approved' : 'pending',
    };
  }

  /**
   * Opens a gate and waits for enough approvals, a rejection or the deadline (after escalation,
   * if the step says so). `needed` is how many approvals count now; `exclude` are people who
   * already voted on this step (for retroactive approvals).
   */
  async decide(
    step: ApprovalStep,
    o: {
      message: string;
      needed: number;
      guards: PendingApproval['guards'];
      retroactive?: boolean;
      timeoutMs?: number;
      exclude?: string[];
      onEscalate?: () => Promise<void>;
    },
  ): Promise<GateResult> {
    const requestedAt = new Date();
    const timeoutMs = o.timeoutMs ?? step.timeoutMs;
    const allowed = this.resolve(step.approvers);
    const gate: Gate = {
      step,
      allowed,
      votes: new Map((o.exclude ?? []).map((a) => [a, { decision: 'approve', actor: a, via: 'api', at: '' }])),
      excluded: (o.exclude ?? []).length,
      pending: {
        stepId: step.id,
        message: o.message,
        requestedAt: requestedAt.toISOString(),
        deadline: new Date(requestedAt.getTime() + timeoutMs).toISOString(),
        required: o.needed,
        approvals: [],
        allowed: allowed ? [...allowed] : 'any approver',
        guards: o.guards,
        escalated: false,
        retroactive: o.retroactive ?? false,
      },
    };
    const excluded = gate.excluded;
    this.open.set(step.id, gate);
    this.state.status.pendingApprovals.push(gate.pending);
    this.state.setPhase(o.retroactive ? 'awaiting_retroactive_approval' : 'waiting_approval');
    // The gate's own step waits (a re-approval or a retroactive one reopens a finished step: leave it).
    if (this.state.step(step.id).state === 'running')
      this.state.updateStep(step.id, { state: 'waiting', note: `waiting for approval: ${o.message}` });
    const interrupted = (): boolean => !o.retroactive && this.interrupt();
    const done = (): boolean => gate.rejection !== undefined || gate.votes.size - excluded >= o.needed || interrupted();
    try {
      let decided = await condition(done, timeoutMs);
      if (!decided && step.onTimeout === 'escalate' && step.escalation && !o.retroactive) {
        const wider = this.resolve(step.escalation.approvers);
        gate.allowed = wider === null || gate.allowed === null ? null : new Set([...gate.allowed, ...wider]);
        gate.pending.allowed = gate.allowed ? [...gate.allowed] : 'any approver';
        gate.pending.escalated = true;
        gate.pending.deadline = new Date(Date.now() + step.escalation.timeoutMs).toISOString();
        this.state.publish();
        await o.onEscalate?.();
        decided = await condition(done, step.escalation.timeoutMs);
      }
      if (interrupted()) return { outcome: 'interrupted' };
      if (gate.rejection) return { outcome: 'rejected', by: gate.rejection };
      if (!decided) return { outcome: 'timeout', escalated: gate.pending.escalated };
      return { outcome: 'approved', votes: [...gate.votes.values()].slice(excluded) };
    } finally {
      this.open.delete(step.id);
      this.state.status.pendingApprovals = this.state.status.pendingApprovals.filter((a) => a !== gate.pending);
      if (this.state.status.pendingApprovals.length === 0) this.state.setPhase('running');
    }
  }
}
