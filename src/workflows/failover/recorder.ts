/**
 * The failover's record: its report (phases timed, events, RTO and RPO), and the run status the
 * approval path reads (`statusQuery`: the API and CLI find the gate's opening there to sign a
 * decision for it, as for a runbook). The kit's approval voting writes through it.
 */
import type { FailoverPhaseName, FailoverPlanDefinition, FailoverReport } from '../../shared/failover';
import type { TriggerInfo } from '../../shared/model';
import { GateRecorder } from '../kit/gate-recorder';
import { showPhase } from '../kit/phase';

export class FailoverRecorder extends GateRecorder<FailoverPhaseName> {
  readonly report: FailoverReport;
  protected readonly decidedWhat = 'the failover';

  protected get timeline() {
    return this.report;
  }

  constructor(plan: FailoverPlanDefinition, trigger: TriggerInfo) {
    const now = new Date().toISOString();
    super(
      { id: `dr-failover:${plan.name}`, title: `DR failover ${plan.name}`, version: 'plan' },
      trigger,
      now,
      'assessment',
    );
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
  }

  finish(outcome: FailoverReport['outcome']): void {
    this.endPhase();
    this.report.outcome = outcome;
    this.report.finishedAt = new Date().toISOString();
    this.status.phase = outcome === 'succeeded' ? 'succeeded' : outcome === 'rejected' ? 'rejected' : 'failed';
    this.status.finishedAt = this.report.finishedAt;
    showPhase(outcome === 'succeeded' ? 'done' : outcome);
  }
}
