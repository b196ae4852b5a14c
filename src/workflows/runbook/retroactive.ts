/**
 * The approvals emergency gates deferred: asked for once the run's change is done, and, when the
 * run ends before they come, the truth of what happened instead. A cancel while they are asked
 * for is `cancelled` (the change stands, nobody reviewed it), never `not-asked`; a run that ends
 * before asking says which of the changes the gate let through are still in place, unreviewed.
 * Status only: none of this writes a command, so runs in flight replay as they ran.
 */
import type { ApprovalStep } from '../../shared/model';
import type { GateOutcome, UnreviewedEmergency } from '../../shared/status';
import type { ApprovalVoting } from '../kit';
import { reportApprovalDecided, reportApprovalRequested } from './metrics';
import type { RunState } from './run-state';

/** An emergency gate passed on fewer approvals than it needs; `outcome` is the run's record of it. */
export interface Emergency {
  step: ApprovalStep;
  voters: string[];
  outcome: GateOutcome;
}

const ENDED: Record<UnreviewedEmergency['endedBy'], string> = {
  cancel: 'was cancelled',
  failure: 'failed',
  rejection: 'was rejected',
  'alert-resolved': 'stopped as its alert resolved',
};

export class RetroactiveReviews {
  private readonly emergencies: Emergency[] = [];
  /** The gate whose retroactive approvals are being asked for now. */
  private asking: Emergency | undefined;

  constructor(
    private readonly state: RunState,
    private readonly gates: ApprovalVoting,
  ) {}

  add(e: Emergency): void {
    this.emergencies.push(e);
  }

  /** After the change: asks each gate's remaining approvals in turn. Recorded; the change stands. */
  async askAll(): Promise<void> {
    for (const e of this.emergencies) {
      const within = (e.step.emergency as { retroactiveWithinMs: number }).retroactiveWithinMs;
      this.asking = e;
      const about = { runbook: this.state.runbook.id, stepId: e.step.id, retroactive: true as const };
      const needed = e.step.required - e.voters.length;
      reportApprovalRequested({ ...about, approvers: e.step.approvers ?? [], required: needed });
      const r = await this.gates.decide(e.step, {
        message: `Retroactive approval of the emergency change made at '${e.step.id}' (${this.state.runbook.title}).`,
        needed,
        guards: [],
        retroactive: true,
        timeoutMs: within,
        exclude: e.voters,
      });
      this.asking = undefined;
      reportApprovalDecided({
        ...about,
        outcome: r.outcome === 'approved' || r.outcome === 'rejected' ? r.outcome : 'timeout',
        decidedBy:
          r.outcome === 'approved' ? r.votes.map((v) => v.actor) : r.outcome === 'rejected' ? [r.by.actor] : [],
      });
      e.outcome.retroactive = r.outcome === 'approved' ? 'approved' : r.outcome === 'rejected' ? 'rejected' : 'overdue';
      this.state.publish();
    }
  }

  /**
   * The run ended before every gate had its retroactive approvals: each still pending says why,
   * when, and what stands. Called after any rollback, so the undos' outcomes are known.
   */
  markUnreviewed(endedBy: UnreviewedEmergency['endedBy']): void {
    const at = new Date().toISOString();
    for (const e of this.emergencies) {
      if (e.outcome.retroactive !== 'pending') continue;
      const standing = this.standing(e.step);
      const stands = standing.length
        ? `the change stands, unreviewed (${standing.join(', ')})`
        : 'nothing it let through is still in place';
      // Only a cancel ends a retroactive wait early: it is never interrupted and never escalates.
      const asked = e === this.asking;
      e.outcome.retroactive = asked ? 'cancelled' : 'not-asked';
      e.outcome.unreviewed = {
        endedBy,
        at,
        standing,
        note: asked
          ? `not reviewed: the run was cancelled at ${at} while it waited for ${this.remaining(e)} more approval(s); ${stands}`
          : `not asked: the run ${ENDED[endedBy]} at ${at}, before the retroactive approval; ${stands}`,
      };
    }
    this.state.publish();
  }

  /** The steps a gate covered that changed something and were not undone. */
  private standing(gate: ApprovalStep): string[] {
    return gate.guards.filter((id) => {
      const s = this.state.step(id);
      return s.state === 'succeeded' && s.undo?.state !== 'succeeded';
    });
  }

  /** Approvals a gate still lacked when its retroactive wait ended. */
  private remaining(e: Emergency): number {
    const given = this.state.status.decisions.filter(
      (d) => d.stepId === e.step.id && d.retroactive === true && d.decision === 'approve',
    ).length;
    return Math.max(e.step.required - e.voters.length - given, 0);
  }
}
