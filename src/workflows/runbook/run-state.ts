/**
 * The run's own record of itself: phase, every step's state, pending approvals and decisions.
 * It answers the `status` query, keeps the Web UI's current details and the Phase search
 * attribute up to date, and gives templates their scope.
 */
import { setCurrentDetails } from '@temporalio/workflow';
import { flattenSteps } from '../../shared/steps';
import type { JsonValue, ParamValue, RunbookDefinition, TriggerInfo } from '../../shared/model';
import type { ApprovalDecisionRecord, PendingApproval, RunStatus, StepStatus } from '../../shared/status';
import {
  noteUnverified,
  PhaseOwner,
  type BasePhase,
  type LockRecorder,
  type VotingRecorder,
  type WaitKind,
} from '../kit';
import { renderDetails } from '../../shared/run-summary';
import { Unresolved } from '../../shared/template';

const SUMMARY_MAX = 160;

export function summarize(output: JsonValue | undefined): string | undefined {
  if (output === undefined) return undefined;
  const text = typeof output === 'string' ? output : JSON.stringify(output);
  return text.length > SUMMARY_MAX ? `${text.slice(0, SUMMARY_MAX - 1)}…` : text;
}

/** The run's record, and the recorder the kit's pieces (voting, locks, kill switch) report to. */
export class RunState implements VotingRecorder, LockRecorder {
  readonly status: RunStatus;
  private readonly byId = new Map<string, StepStatus>();
  /** The one owner of the phase: base phase plus the waits in force. */
  private readonly phase = new PhaseOwner('starting', (phase) => {
    this.status.phase = phase;
    this.publish();
  });

  constructor(
    readonly runbook: RunbookDefinition,
    params: Record<string, ParamValue>,
    trigger: TriggerInfo,
    dryRun: boolean,
    readonly workflowId: string,
    emergency = false,
  ) {
    const steps = flattenSteps(runbook.steps).map((s): StepStatus => ({
      id: s.id,
      ...(s.name !== undefined ? { name: s.name } : {}),
      kind: s.kind,
      ...('action' in s ? { action: s.action } : {}),
      mutating: 'mutating' in s ? s.mutating : false,
      state: 'pending',
      attempts: 0,
    }));
    for (const s of steps) this.byId.set(s.id, s);
    this.status = {
      runbook: { id: runbook.id, title: runbook.title, version: runbook.version },
      params,
      trigger,
      dryRun,
      phase: 'starting',
      startedAt: new Date().toISOString(),
      steps,
      pendingApprovals: [],
      decisions: [],
      pendingStepDecisions: [],
      stepDecisions: [],
      gates: [],
      emergency,
      locks: [],
    };
  }

  step(id: string): StepStatus {
    const s = this.byId.get(id);
    if (!s) throw new TypeError(`no step ${id}`); // a bug in the interpreter, not in the runbook
    return s;
  }

  /** Updates a step and refreshes what the Web UI shows. */
  updateStep(id: string, patch: Partial<StepStatus>): void {
    Object.assign(this.step(id), patch);
    this.publish();
  }

  /** Where the run is in its life (running, rolling back, how it ended); waits show over `running`. */
  setBase(phase: BasePhase): void {
    this.phase.setBase(phase);
  }

  wait(kind: WaitKind): () => void {
    return this.phase.begin(kind);
  }

  /** Notes a decision that decides nothing (unsigned, or not verified), bounded. */
  unverified(message: string, payload: unknown, reason: string): void {
    noteUnverified((this.status.unverified ??= []), message, payload, reason);
    this.publish();
  }

  get requester(): string {
    return this.status.trigger.requestedBy;
  }

  get onBehalfOf(): string | undefined {
    return this.status.trigger.onBehalfOf;
  }

  get locks(): RunStatus['locks'] {
    return this.status.locks;
  }

  opened(p: PendingApproval): void {
    this.status.pendingApprovals.push(p);
  }

  closed(p: PendingApproval): void {
    this.status.pendingApprovals = this.status.pendingApprovals.filter((a) => a !== p);
  }

  decided(d: ApprovalDecisionRecord & { stepId: string; retroactive?: boolean }): void {
    this.status.decisions.push(d);
  }

  /** The roots templates read: params, finished steps, the run itself and (later) the alert. */
  scope(): Record<string, unknown> {
    const steps: Record<string, unknown> = {};
    for (const s of this.status.steps) {
      if (s.state === 'succeeded' || s.state === 'failed' || s.state === 'skipped') {
        steps[s.id] = { output: s.output ?? null, state: s.state, attempts: s.attempts, note: s.note ?? null };
      } else {
        // Not known yet: shown as <steps.x...> where an approval renders the inputs it covers.
        steps[s.id] = new Unresolved(`steps.${s.id}`);
      }
    }
    return {
      params: this.status.params,
      steps,
      run: {
        id: this.workflowId,
        runbookId: this.runbook.id,
        requestedBy: this.status.trigger.requestedBy,
        trigger: this.status.trigger.source,
        dryRun: this.status.dryRun,
        startedAt: this.status.startedAt,
      },
      alert: this.status.alert ?? null,
    };
  }

  publish(): void {
    setCurrentDetails(renderDetails(this.status));
    this.onChange?.();
  }

  /** Told after each change the status shows (the run's live Slack message follows it). */
  onChange?: () => void;
}
