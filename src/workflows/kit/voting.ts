/**
 * Approval voting. A gate names who may decide (identities and groups) and how many distinct
 * approvals it needs; the person who started the run (or for whom a schedule started it) cannot
 * approve it; one vote per person; a rejection by an allowed approver ends it; its deadline may
 * escalate up a ladder (widening who may decide, telling someone). Decisions arrive through the decision handlers (update with a
 * validator for the API and CLI, a signal of the same meaning for the Web UI).
 */
import type {
  ApprovalDecision,
  ApprovalDecisionRecord,
  ApprovalDecisionResult,
  PendingApproval,
} from '../../shared/status';
import { checkIdentity } from '../../shared/identity';
import type { DecisionClaims } from '../../shared/signed';
import { climb, type Rung } from './escalation';
import type { Recorder } from './recorder';
import { untracked } from './untracked';

/** What a gate asks; the runbook's approval step has this shape, and hand-written workflows build one. */
export interface GateSpec {
  id: string;
  /** Who may decide: identities and `group:<name>`. Absent: anyone with the approver role. */
  approvers?: string[];
  timeoutMs: number;
  /** With `onTimeout: 'escalate'`: the next rung (more approvers, a new deadline, someone told). */
  onTimeout?: 'abort' | 'escalate' | 'continue';
  escalation?: { approvers?: string[]; timeoutMs: number; notify?: string };
}

export interface VotingRecorder extends Recorder {
  /** Who started the run: they cannot approve it. */
  readonly requester: string;
  /** The person a schedule started the run for (its trigger's `onBehalfOf`): they cannot approve it either. */
  readonly onBehalfOf?: string | undefined;
  /** A gate opened or closed (the status lists the open ones). */
  opened(p: PendingApproval): void;
  closed(p: PendingApproval): void;
  /** A decision was taken (the status keeps them all). */
  decided(d: ApprovalDecisionRecord & { stepId: string; retroactive?: boolean }): void;
}

interface Gate {
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
  /** The run must stop (e.g. its alert resolved): the gate closed without a decision. */
  | { outcome: 'interrupted' };

export interface OpenGate {
  message: string;
  /** Distinct approvals that count now. */
  needed: number;
  /** What the decision covers, shown to approvers. */
  guards: PendingApproval['guards'];
  /** Asked after an emergency change went ahead: never interrupted, no escalation. */
  retroactive?: boolean;
  /** @default the gate's timeoutMs */
  timeoutMs?: number;
  /** People who already voted on this gate (retroactive approvals): they cannot vote again. */
  exclude?: string[];
  /** Sent as the escalation rung begins. */
  onEscalate?: () => Promise<void>;
}

/** The decision a signed envelope's claims make (the channel travels apart, as `via`). */
export function approvalFromClaims(c: DecisionClaims): ApprovalDecision {
  return {
    stepId: String(c.stepId),
    decision: c.decision,
    actor: String(c.actor),
    opening: typeof c.opening === 'string' ? c.opening : '',
    ...(typeof c.comment === 'string' && c.comment !== '' ? { comment: c.comment.slice(0, 2000) } : {}),
  };
}

export class ApprovalVoting {
  private readonly open = new Map<string, Gate>();
  /** Why a gate that opened is no longer waiting: a late vote is told (its deadline passed, say). */
  private readonly ended = new Map<string, string>();
  /** When true, open gates (other than retroactive ones) close without a decision. */
  interrupt: () => boolean = () => false;

  constructor(
    private readonly recorder: VotingRecorder,
    private readonly groups: Readonly<Record<string, string[]>>,
  ) {}

  /** Who may decide: identities and the members of named groups; null means any approver. */
  resolve(approvers: string[] | undefined): Set<string> | null {
    if (!approvers) return null;
    return new Set(approvers.flatMap((a) => (a.startsWith('group:') ? (this.groups[a.slice(6)] ?? []) : [a])));
  }

  /** Gates waiting for a decision, by id. */
  waiting(): string[] {
    return [...this.open.keys()];
  }

  /** Throws (refusing the decision) when it cannot apply now. */
  validate(d: ApprovalDecision): void {
    if (d === null || typeof d !== 'object') throw new TypeError('a decision object is required');
    if (d.decision !== 'approve' && d.decision !== 'reject')
      throw new TypeError("decision must be 'approve' or 'reject'");
    if (typeof d.actor !== 'string' || d.actor.trim() === '') throw new TypeError('actor is required');
    const gate = this.open.get(d.stepId);
    if (!gate) {
      const open = this.waiting().join(', ');
      const why = this.ended.get(d.stepId);
      throw new TypeError(
        `step '${String(d.stepId)}' is not waiting for approval${why ? `: ${why}` : ''}${open ? ` (waiting: ${open})` : ''}`,
      );
    }
    const actor = d.actor.trim();
    if (d.opening !== undefined) {
      // Signed: the API canonicalized the actor; a decision never carries over to a later opening.
      const id = checkIdentity(actor);
      if ('error' in id || id.identity !== actor) throw new TypeError(`${actor} is not a canonical identity`);
      if (d.opening !== gate.pending.requestedAt)
        throw new TypeError(
          `the decision was made on an earlier opening of '${d.stepId}' (it opened again at ${gate.pending.requestedAt}): decide again`,
        );
    }
    if (actor === this.recorder.requester) throw new TypeError(`${actor} started this run and cannot approve it`);
    // A validator refusal never reaches history: runs from before this check replay as they ran.
    if (actor === this.recorder.onBehalfOf)
      throw new TypeError(`${actor} cannot approve this run: ${this.recorder.requester} started it on their behalf`);
    if (gate.allowed && !gate.allowed.has(actor)) {
      throw new TypeError(
        `${actor} may not decide on '${d.stepId}' (allowed: ${[...gate.allowed].join(', ') || 'nobody'})`,
      );
    }
    if (gate.votes.has(actor)) throw new TypeError(`${actor} has already approved '${d.stepId}'`);
  }

  /** Applies a validated decision. */
  apply(d: ApprovalDecision, via: ApprovalDecisionRecord['via']): ApprovalDecisionResult {
    const gate = this.open.get(d.stepId) as Gate;
    const record: ApprovalDecisionRecord = {
      decision: d.decision,
      actor: d.actor.trim(),
      via,
      ...(d.comment ? { comment: d.comment } : {}),
      at: new Date().toISOString(),
    };
    this.recorder.decided({ stepId: d.stepId, ...record, ...(gate.pending.retroactive ? { retroactive: true } : {}) });
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
    this.recorder.publish();
    const approved = gate.votes.size - gate.excluded >= gate.pending.required;
    return { stepId: d.stepId, accepted: true, outcome: approved ? 'approved' : 'pending' };
  }

  /**
   * Opens a gate and waits for enough approvals, a rejection or the deadline (after escalation,
   * if the gate says so).
   */
  async decide(spec: GateSpec, o: OpenGate): Promise<GateResult> {
    const requestedAt = new Date();
    const timeoutMs = o.timeoutMs ?? spec.timeoutMs;
    const allowed = this.resolve(spec.approvers);
    const gate: Gate = {
      allowed,
      votes: new Map((o.exclude ?? []).map((a) => [a, { decision: 'approve', actor: a, via: 'api', at: '' }])),
      excluded: (o.exclude ?? []).length,
      pending: {
        stepId: spec.id,
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
    this.open.set(spec.id, gate);
    this.recorder.opened(gate.pending);
    const endWait = this.recorder.wait(o.retroactive ? 'retroactive-approval' : 'approval');
    const interrupted = (): boolean => !o.retroactive && this.interrupt();
    const done = (): boolean => gate.rejection !== undefined || gate.votes.size - excluded >= o.needed || interrupted();
    const rungs: Rung[] = [{ waitMs: timeoutMs }];
    if (spec.onTimeout === 'escalate' && spec.escalation && !o.retroactive) {
      rungs.push({
        waitMs: spec.escalation.timeoutMs,
        ...(spec.escalation.approvers ? { widenTo: spec.escalation.approvers } : {}),
      });
    }
    try {
      const r = await untracked(
        climb(rungs, done, async (rung) => {
          const wider = this.resolve(rung.widenTo);
          gate.allowed = wider === null || gate.allowed === null ? null : new Set([...gate.allowed, ...wider]);
          gate.pending.allowed = gate.allowed ? [...gate.allowed] : 'any approver';
          gate.pending.escalated = true;
          gate.pending.deadline = new Date(Date.now() + rung.waitMs).toISOString();
          this.recorder.publish();
          await o.onEscalate?.();
        }),
      );
      if (interrupted()) {
        this.ended.set(spec.id, 'the run stopped waiting for it');
        return { outcome: 'interrupted' };
      }
      if (gate.rejection) {
        this.ended.set(spec.id, `${gate.rejection.actor} rejected it`);
        return { outcome: 'rejected', by: gate.rejection };
      }
      if (!r.done) {
        this.ended.set(spec.id, `its deadline passed at ${gate.pending.deadline as string}`);
        return { outcome: 'timeout', escalated: gate.pending.escalated };
      }
      this.ended.set(spec.id, 'it was approved');
      return { outcome: 'approved', votes: [...gate.votes.values()].slice(excluded) };
    } finally {
      this.open.delete(spec.id);
      this.recorder.closed(gate.pending);
      endWait();
    }
  }
}
