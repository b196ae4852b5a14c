/**
 * The drill's record: its report (phases timed, readings, faults, rollbacks, the measures) and
 * the run status the approval path reads (`statusQuery`, kept by the kit's GateRecorder), as the
 * failover keeps its own.
 */
import type { DrillOutcome, DrillPhaseName, DrillReport, ProbeReading } from '../../shared/drill';
import type { ExperimentDefinition } from '../../shared/experiment';
import type { TriggerInfo } from '../../shared/model';
import { GateRecorder } from '../kit/gate-recorder';
import { showPhase } from '../kit/phase';

/** Readings kept: a long observation at a short interval must not grow history without bound. */
const READINGS_KEPT = 2000;

export class DrillRecorder extends GateRecorder<DrillPhaseName> {
  readonly report: DrillReport;
  protected readonly decidedWhat = 'the drill';

  protected get timeline() {
    return this.report;
  }

  constructor(x: ExperimentDefinition, trigger: TriggerInfo) {
    const now = new Date().toISOString();
    super(
      { id: `chaos-drill:${x.id}`, title: `Chaos drill ${x.id}`, version: x.version },
      trigger,
      now,
      'steady-state',
    );
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
}
