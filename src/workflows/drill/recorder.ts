/**
 * The drill's record: its report (phases timed, readings, faults, rollbacks, the measures) and
 * the run status the approval path reads (`statusQuery`), as the failover keeps its own. The
 * kit's approval voting writes through it.
 */
import type { DrillOutcome, DrillPhaseName, DrillReport, ProbeReading } from '../../shared/drill';
import type { ExperimentDefinition } from '../../shared/experiment';
import type { TriggerInfo } from '../../shared/model';
import type { ApprovalDecisionRecord, PendingApproval, RunStatus } from '../../shared/status';
import type { VotingRecorder } from '../kit';
import { showPhase } from '../backup/common';

const EVENTS_KEPT = 200;
/** Readings kept: a long observation at a short interval must not grow history without bound. */
const READINGS_KEPT = 2000;

export class DrillRecorder implements VotingRecorder {
  readonly report: DrillReport;
  readonly status: RunStatus;
  readonly requester: string;
  readonly onBehalfOf: string | undefined = undefined;
  private waits = 0;
  private current: DrillPhaseName = 'steady-state';

  constructor(x: ExperimentDefinition, trigger: TriggerInfo) {
    const now = new Date().toISOString();
    this.requester = trigger.requestedBy;
    this.report = {
      experiment: x.id,
      version: x.version,
      title: x.title,
      outcome: 'running',
      startedAt: now,
      requestedBy: trigger.requestedBy,
      phases: [],
      readings: [],
      hypothesis: { before: null, during: null, after: null },
      faults: [],
      ...(x.detect
        ? { detection: { alert: x.detect.alert, objectiveMs: x.detect.withinMs, ms: null, met: null } }
        : {}),
      recovery: { objectiveMs: x.recoverWithinMs, ms: null, met: null, by: null },
      rollbacks: [],
      events: [],
    };
    this.status = {
      runbook: { id: `chaos-drill:${x.id}`, title: `Chaos drill ${x.id}`, version: x.version },
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

  phase(name: DrillPhaseName): void {
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
    this.report.events.push({ at: new Date().toISOString(), phase: this.current, what, ok });
    if (this.report.events.length > EVENTS_KEPT) this.report.events.splice(0, this.report.events.length - EVENTS_KEPT);
  }

  readings(rs: ProbeReading[]): void {
    this.report.readings.push(...rs);
    if (this.report.readings.length > READINGS_KEPT)
      this.report.readings.splice(0, this.report.readings.length - READINGS_KEPT);
  }

  finish(outcome: DrillOutcome): void {
    this.endPhase();
    this.report.outcome = outcome;
    this.report.finishedAt = new Date().toISOString();
    this.status.phase = outcome === 'passed' ? 'succeeded' : 'failed';
    this.status.finishedAt = this.report.finishedAt;
    showPhase(outcome === 'passed' ? 'done' : outcome);
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
    this.event(`${d.actor} ${d.decision === 'approve' ? 'approved' : 'rejected'} the drill (via ${d.via})`);
  }
}
