/**
 * What an approval step means to the run: how many approvals count now (emergency changes take
 * one, and ask for the rest afterwards), what a deadline does, and the binding of a decision to
 * the resolved inputs of the steps it covers: if those change before they run, it no longer holds.
 */
import { ApplicationFailure } from '@temporalio/workflow';
import { canonicalJson } from '../../shared/canonical';
import { formatDuration } from '../../shared/duration';
import { flattenSteps } from '../../shared/steps';
import type { MessageEvent } from '../../shared/message-events';
import type { ApprovalStep, JsonObject, Step } from '../../shared/model';
import type { GateOutcome, PendingApproval } from '../../shared/status';
import { render, toPlainJson } from '../../shared/template';
import { FAILURE } from '../../shared/failures';
import { untracked, type ApprovalVoting, type GateResult, type OpenGate } from '../kit';
import { reportApprovalDecided, reportApprovalRequested } from './metrics';
import { RetroactiveReviews } from './retroactive';
import type { RunState } from './run-state';

export class GateSteps {
  private readonly byId: Map<string, Step>;
  private readonly bindings = new Map<string, { gate: ApprovalStep; inputs: string }>();
  /** The approvals emergency gates deferred, asked for once the change is done. */
  readonly reviews: RetroactiveReviews;

  constructor(
    private readonly state: RunState,
    private readonly gates: ApprovalVoting,
    private readonly notify: (target: string, message: string, event?: MessageEvent) => Promise<void>,
  ) {
    this.byId = new Map(flattenSteps(state.runbook.steps).map((s) => [s.id, s]));
    this.reviews = new RetroactiveReviews(state, gates);
  }

  private guards(gate: ApprovalStep): PendingApproval['guards'] {
    return gate.guards.flatMap((id) => {
      const s = this.byId.get(id);
      if (!s || !('with' in s)) return [];
      return [{ stepId: id, action: s.action, inputs: toPlainJson(render(s.with, this.state.scope())) }];
    });
  }

  private escalation(step: ApprovalStep): (() => Promise<void>) | undefined {
    const target = step.escalation?.notify;
    if (!target) return undefined;
    const to = (step.escalation?.approvers ?? ['any approver']).join(', ');
    return () =>
      this.notify(
        target,
        `Approval '${step.id}' of ${this.state.runbook.title} had no decision in time; escalated to ${to}.`,
        {
          kind: 'escalation',
          scope: {
            runbook: { id: this.state.runbook.id, title: this.state.runbook.title },
            run: { workflowId: this.state.workflowId, phase: this.state.status.phase },
            step: { id: step.id },
            escalation: { to, reason: 'no decision in time' },
          },
        },
      );
  }

  /** Asks the gate, announcing the wait and its end as operational events (approval_requested/_decided). */
  private async decide(step: ApprovalStep, open: OpenGate): Promise<GateResult> {
    const run = { runbook: this.state.runbook.id, stepId: step.id };
    reportApprovalRequested({ ...run, approvers: step.approvers ?? [], required: open.needed });
    const r = await this.gates.decide(step, open);
    reportApprovalDecided({
      ...run,
      outcome: r.outcome === 'interrupted' ? 'alert_resolved' : r.outcome,
      decidedBy: r.outcome === 'approved' ? r.votes.map((v) => v.actor) : r.outcome === 'rejected' ? [r.by.actor] : [],
    });
    return r;
  }

  private fail(step: ApprovalStep, r: Exclude<GateResult, { outcome: 'approved' }>): never {
    if (r.outcome === 'interrupted') {
      throw ApplicationFailure.create({
        message: `alert resolved while '${step.id}' waited for approval: stopped`,
        type: FAILURE.AutoResolved,
        nonRetryable: true,
      });
    }
    if (r.outcome === 'rejected') {
      const by = `${r.by.actor} via ${r.by.via}${r.by.comment ? `: ${r.by.comment}` : ''}`;
      throw ApplicationFailure.create({
        message: `rejected by ${by}`,
        type: FAILURE.ApprovalRejected,
        nonRetryable: true,
      });
    }
    const waited = step.timeoutMs + (r.escalated ? (step.escalation?.timeoutMs ?? 0) : 0);
    throw ApplicationFailure.create({
      message: `no decision within ${formatDuration(waited)}${r.escalated ? ' (after escalation)' : ''}`,
      type: FAILURE.ApprovalTimeout,
      nonRetryable: true,
    });
  }

  /**
   * Runs an approval step; returns the note to record (and whether the gate was passed without a
   * decision, which the step records as skipped), or throws to end the run.
   */
  async pass(step: ApprovalStep, message: string): Promise<{ note: string; undecided?: true }> {
    const emergency = this.state.status.emergency && step.emergency !== undefined;
    const guards = this.guards(step);
    const onEscalate = this.escalation(step);
    // The gate's own step waits (a re-approval or a retroactive one reopens a finished step: leave it).
    if (this.state.step(step.id).state === 'running') {
      this.state.updateStep(step.id, { state: 'waiting', note: `waiting for approval: ${message}` });
    }
    const waitFrom = Date.now();
    const r = await untracked(
      this.decide(step, {
        message,
        needed: emergency ? 1 : step.required,
        guards,
        ...(onEscalate ? { onEscalate } : {}),
      }),
    );
    const st = this.state.status;
    st.approvalWaitMs = (st.approvalWaitMs ?? 0) + (Date.now() - waitFrom);
    if (r.outcome === 'timeout' && step.onTimeout === 'continue') {
      this.state.status.gates.push({ stepId: step.id, mode: 'continued-without-decision' });
      return {
        note: `no decision within ${formatDuration(step.timeoutMs)}: continued, as the runbook says`,
        undecided: true,
      };
    }
    if (r.outcome !== 'approved') this.fail(step, r);
    for (const g of guards) this.bindings.set(g.stepId, { gate: step, inputs: canonicalJson(g.inputs) });
    const outcome: GateOutcome = {
      stepId: step.id,
      mode: emergency ? 'emergency' : 'normal',
      ...(emergency ? { retroactive: 'pending' as const } : {}),
    };
    this.state.status.gates.push(outcome);
    if (emergency) this.reviews.add({ step, voters: r.votes.map((v) => v.actor), outcome });
    const by = r.votes.map((v) => `${v.actor} via ${v.via}${v.comment ? `: ${v.comment}` : ''}`).join('; ');
    return {
      note: `approved by ${by}${emergency ? ` (emergency: ${step.required - 1} more approval(s) asked for afterwards)` : ''}`,
    };
  }

  /** Before a guarded step runs: its inputs must be those the approvers saw, or they are asked again. */
  async checkBinding(stepId: string, action: string, input: JsonObject): Promise<void> {
    const b = this.bindings.get(stepId);
    if (!b) return;
    const now = toPlainJson(input);
    if (canonicalJson(now) === b.inputs) return;
    this.state.updateStep(stepId, {
      state: 'waiting',
      note: `inputs changed since '${b.gate.id}' was approved: asking again`,
    });
    const r = await this.decide(b.gate, {
      message: `The inputs of '${stepId}' are not those approved at '${b.gate.id}'. Approve these?`,
      needed: this.state.status.emergency && b.gate.emergency ? 1 : b.gate.required,
      guards: [{ stepId, action, inputs: now }],
    });
    if (r.outcome !== 'approved') this.fail(b.gate, r);
    b.inputs = canonicalJson(now);
    this.state.updateStep(stepId, {
      state: 'running',
      note: `re-approved by ${r.votes.map((v) => v.actor).join(', ')}`,
    });
  }
}
