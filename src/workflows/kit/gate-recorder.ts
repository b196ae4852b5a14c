/**
 * What a hand-written workflow with one approval gate records for the approval path: a run
 * status (`statusQuery`: the API, the CLI and Slack find the gate's opening there to sign a
 * decision, as for a runbook) and the voting's callbacks. The failover and the chaos drill
 * extend it with their own reports.
 */
import type { TriggerInfo } from '../../shared/model';
import type { ApprovalDecisionRecord, PendingApproval, RunStatus } from '../../shared/status';
import { showPhase } from './phase';
import type { VotingRecorder } from './voting';

const EVENTS_KEPT = 200;

/** The phases and events a workflow's report keeps, timed on the workflow's clock. */
export interface Timeline<P extends string> {
  phases: Array<{ name: P; startedAt: string; endedAt?: string; durationMs?: number }>;
  events: Array<{ at: string; phase: P; what: string; ok: boolean }>;
}

export abstract class GateRecorder<P extends string> implements VotingRecorder {
  readonly status: RunStatus;
  readonly requester: string;
  readonly onBehalfOf: string | undefined = undefined;
  private waits = 0;
  protected current: P;

  constructor(run: { id: string; title: string; version: string }, trigger: TriggerInfo, startedAt: string, first: P) {
    this.current = first;
    this.requester = trigger.requestedBy;
    this.status = {
      runbook: run,
      params: {},
      trigger,
      dryRun: false,
      phase: 'running',
      startedAt,
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

  /** The report's phases and events. */
  protected abstract get timeline(): Timeline<P>;
  /** What the gate decides on, for the timeline (`the failover`, `the drill`). */
  protected abstract readonly decidedWhat: string;

  /** Ends the phase in course (timed) and begins the next; shown in the Web UI's Phase column. */
  phase(name: P): void {
    this.endPhase();
    this.current = name;
    this.timeline.phases.push({ name, startedAt: new Date().toISOString() });
    showPhase(name);
  }

  endPhase(): void {
    const p = this.timeline.phases.at(-1);
    if (!p || p.endedAt) return;
    p.endedAt = new Date().toISOString();
    p.durationMs = Date.parse(p.endedAt) - Date.parse(p.startedAt);
  }

  /** A line of the workflow's own timeline (the newest 200 kept). */
  event(what: string, ok = true): void {
    const events = this.timeline.events;
    events.push({ at: new Date().toISOString(), phase: this.current, what, ok });
    if (events.length > EVENTS_KEPT) events.splice(0, events.length - EVENTS_KEPT);
  }

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
    this.event(`${d.actor} ${d.decision === 'approve' ? 'approved' : 'rejected'} ${this.decidedWhat} (via ${d.via})`);
  }
}
