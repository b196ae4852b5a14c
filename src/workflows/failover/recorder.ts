/**
 * The failover's record: its report (phases timed, events, RTO and RPO), and the run status the
 * approval path reads (`statusQuery`: the API and CLI find the gate's opening there to sign a
 * decision for it, as for a runbook). The kit's approval voting writes through it.
 */
import type { FailoverPhaseName, FailoverPlanDefinition, FailoverReport } from '../../shared/failover';
import type { TriggerInfo } from '../../shared/model';
import type { ApprovalDecisionRecord, PendingApproval, RunStatus } from '../../shared/status';
import type { VotingRecorder } from '../kit';
import { showPhase } from '../backup/common';

const EVENTS_KEPT = 200;

export class FailoverRecorder implements VotingRecorder {
  readonly report: FailoverReport;
  readonly status: RunStatus;
  readonly requester: string;
  readonly onBehalfOf: string | undefined = undefined;
  private waits = 0;
  private current: FailoverPhaseName | undefined;

  constructor(plan: FailoverPlanDefinition, trigger: TriggerInfo) {
    const now = new Date().toISOString();
    this.requester = trigger.requestedBy;
    this.report = {
      plan: plan.name,
      tier: plan.tier,
      outcome: 'running',
      startedAt: now,
      phases: [],
      events: [],
      smoke: [],
      integrity: [],
      compensations: [],
    };
    this.status = {
      runbook: { id: `dr-failover:${plan.name}`, title: `DR failover ${plan.name}`, version: 'plan' },
      params: {},
      trigger,
      dryRun: false,
      phase: 'running',
      startedAt: now,
      steps: [],
      pendingApprovals: [],
      decisions: [],
      pendingStepDecisions: [],
      stepDecisions: [],
      gates: [],
      emergency: false,
      locks: [],
    };
  }

  /** Ends the phase in course (timed) and begins the next; shown in the Web UI's Phase column. */
  phase(name: FailoverPhaseName): void {
    this.endPhase();
    this.current = name;
    this.report.phases.push({ name, startedAt: new Date().toISOString() });
    showPhase(name);
  }

  endPhase(): void {
    const p = this.report.phases.at(-1);
    if (!p || p.endedAt) return;
    p.endedAt = new Date().toISOString();
    p.durationMs = Date.parse(p.endedAt) - Date.parse(p.startedAt);
  }

  event(what: string, ok = true): void {
    this.report.events.push({ at: new Date().toISOString(), phase: this.current ?? 'assessment', what, ok });
    if (this.report.events.length > EVENTS_KEPT) this.report.events.splice(0, this.report.events.length - EVENTS_KEPT);
  }

  finish(outcome: FailoverReport['outcome']): void {
    this.endPhase();
    this.report.outcome = outcome;
    this.report.finishedAt = new Date().toISOString();
    this.status.phase = outcome === 'succeeded' ? 'succeeded' : outcome === 'rejected' ? 'rejected' : 'failed';
    this.status.finishedAt = this.report.finishedAt;
    showPhase(outcome === 'succeeded' ? 'done' : outcome);
  }

  // VotingRecorder
  wait(): () => void {
    this.waits++;
    this.status.phase = 'waiting_approval';
    showPhase('waiting_approval');
    return () => {
      if (--this.waits === 0) this.status.phase = 'running';
    };
  }
  publish(): void {}
  opened(p: PendingApproval): void {
    this.status.pendingApprovals.push(p);
  }
  closed(p: PendingApproval): void {
    this.status.pendingApprovals = this.status.pendingApprovals.filter((x) => x !== p);
  }
  decided(d: ApprovalDecisionRecord & { stepId: string }): void {
    this.status.decisions.push(d);
    this.event(`${d.actor} ${d.decision === 'approve' ? 'approved' : 'rejected'} the failover (via ${d.via})`);
  }
}
