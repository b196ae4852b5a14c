/**
 * `runbookWorkflow`: one deterministic interpreter for every runbook.
 * The runbook definition arrives in the input (or is resolved once by an activity), so history
 * pins the version a run uses; every side effect is a catalog activity.
 */
import { FAILURE } from '../../shared/failures';
import {
  ApplicationFailure,
  isCancellation,
  patched,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { SA } from '../../shared/constants';
import { statusQuery } from '../../shared/messages';
import type { ParamValue, RunbookDefinition, TriggerInfo } from '../../shared/model';
import type { RunPhase, RunResult } from '../../shared/status';
import type { RunEventOutcome } from '../../shared/sinks';
import { toText, render } from '../../shared/template';
import type { RunbookWorkflowInput } from '../../shared/workflow-types';
import type { Activities } from '../../activities';
import {
  ApprovalVoting,
  installApprovalHandlers,
  KillSwitch,
  Notifier,
  signedRun,
  untracked,
  verifiedStart,
} from '../kit';
import { StepUndos } from './compensation';
import { Executor, reportRunFinished, reportRunStarted } from './execute';
import { GateSteps } from './gate-steps';
import { RunAnnouncer } from './announce';
import { RunState } from './run-state';
import { upgradeRunbook } from './compat';
import { RunLocks } from './locks';
import { StepDecisions } from './step-decisions';
import { AlertTracker } from './alert';

const { resolveRunbook } = proxyActivities<Pick<Activities, 'resolveRunbook'>>({
  startToCloseTimeout: '30s',
  retry: { maximumAttempts: 5, nonRetryableErrorTypes: [FAILURE.InvalidInput, FAILURE.NotFound] },
  summary: 'load runbook',
});

const WEB_UI_TRIGGER: TriggerInfo = { source: 'web-ui', requestedBy: 'web-ui' };
/** Who started a run from the Web UI's form: Temporal does not say (until the cluster's authorizer does). */
export const UNVERIFIED_REQUESTER = 'unverified';

/** What a run starts from, whichever way it was started. */
interface Start {
  runbook: RunbookDefinition;
  params: Record<string, ParamValue>;
  approverGroups: Record<string, string[]>;
  trigger: TriggerInfo;
  dryRun: boolean;
  emergency: boolean;
  attributesSet: boolean;
  /** Started without the API (the Web UI): its requester is unknown. */
  unverified: boolean;
}

/**
 * A signed start takes everything from the API's envelope (its definition must be the one
 * signed); an unsigned one (the Web UI's form) only a runbook id and params: the definition
 * comes from the worker's library, nobody is its verified requester, no emergency. An inline
 * definition without a signature is refused, and nothing is done.
 */
async function trustedStart(input: RunbookWorkflowInput): Promise<Start> {
  if (input.signed !== undefined) {
    const c = verifiedStart(input.signed, input.runbook);
    // Signed without a definition (a schedule's): the library's current version, by the signed id.
    const base = input.runbook
      ? { runbook: input.runbook, params: c.params, approverGroups: c.approverGroups ?? {} }
      : await resolveRunbook({ runbookId: c.runbookId, params: c.params });
    return {
      ...base,
      trigger: c.trigger,
      dryRun: c.dryRun,
      emergency: c.emergency,
      attributesSet: input.attributesSet === true,
      unverified: false,
    };
  }
  if (input.runbook !== undefined)
    throw ApplicationFailure.create({
      message:
        'an inline runbook definition needs the API\'s signature: start it with the API or the CLI, or from the Web UI by {"runbookId": ..., "params": {...}}; nothing was done',
      type: FAILURE.Unverified,
      nonRetryable: true,
    });
  const r = await resolveRunbook({ runbookId: requireRunbookId(input), params: input.params ?? {}, unsigned: true });
  return {
    ...r,
    trigger: { source: 'web-ui', requestedBy: UNVERIFIED_REQUESTER },
    dryRun: input.dryRun === true,
    emergency: false,
    attributesSet: false,
    unverified: true,
  };
}

/** Runs started before signing replay exactly as they ran. */
async function legacyStart(input: RunbookWorkflowInput): Promise<Start> {
  const resolved = input.runbook
    ? { runbook: input.runbook, params: input.params ?? {}, approverGroups: input.approverGroups ?? {} }
    : await resolveRunbook({ runbookId: requireRunbookId(input), params: input.params ?? {} });
  return {
    ...resolved,
    approverGroups: resolved.approverGroups ?? {},
    trigger: input.trigger ?? WEB_UI_TRIGGER,
    dryRun: input.dryRun ?? false,
    emergency: input.emergency ?? false,
    attributesSet: input.attributesSet === true,
    unverified: false,
  };
}

export async function runbookWorkflow(input: RunbookWorkflowInput): Promise<RunResult> {
  const signed = signedRun();
  const start = signed ? await trustedStart(input) : await legacyStart(input);
  const { params, approverGroups, trigger } = start;
  const runbook = upgradeRunbook(start.runbook);
  const state = new RunState(runbook, params, trigger, start.dryRun, workflowInfo().workflowId, start.emergency);
  if (start.unverified) state.status.unverified = [];
  const gates = new ApprovalVoting(state, approverGroups ?? {});
  const decisions = new StepDecisions(state);
  const alerts = new AlertTracker(state, input.alert, signed);
  const killSwitch = new KillSwitch(state, input.freezePollMs);
  gates.interrupt = () => alerts.stopping();
  // Handlers first, so decisions sent early are not lost.
  setHandler(statusQuery, () => state.status, { description: 'The run: phase, steps, approvals, decisions.' });
  installApprovalHandlers(gates, {
    what: 'a pending approval step',
    shape: '{stepId, decision, actor, comment}',
    unverified: (message, payload, reason) => state.unverified(message, payload, reason),
    signed,
  });
  decisions.install(signed);
  alerts.install();
  killSwitch.install();

  const service = runbook.service ? toText(render(runbook.service, state.scope())) : '';
  const attributes = [
    { key: SA.runbookId, value: runbook.id },
    { key: SA.triggerSource, value: trigger.source },
    { key: SA.requestedBy, value: trigger.requestedBy },
    ...(service ? [{ key: SA.service, value: service }] : []),
    ...(runbook.severity ? [{ key: SA.severity, value: runbook.severity }] : []),
  ];
  // A run its starter gave these (the API, the CLI, alerts) writes only what differs: usually
  // nothing, one event less per run. Runs started before the flag, or by the Web UI, write all.
  const known = workflowInfo().typedSearchAttributes;
  const missing = start.attributesSet ? attributes.filter((a) => known.get(a.key) !== a.value) : attributes;
  if (missing.length > 0) upsertSearchAttributes(missing);
  reportRunStarted(runbook.id, trigger);
  // A dry run tells nobody, in Slack neither.
  const announcer =
    runbook.announce && !state.status.dryRun
      ? new RunAnnouncer(() => state.status, runbook.announce.target, runbook.id)
      : undefined;
  if (announcer && runbook.announce) {
    state.status.announce = { target: runbook.announce.target };
    state.onChange = () => announcer.changed();
  }
  state.setBase('running');

  const compensations = new StepUndos(state);
  const notifier = new Notifier({ runbookId: runbook.id, dryRun: state.status.dryRun });
  // Escalation notices go out through the executor's notify (called only once steps run).
  const gateSteps: GateSteps = new GateSteps(state, gates, (target, message, event): Promise<void> =>
    executor.notify(target, message, event),
  );
  const locks = new RunLocks(state);
  locks.install();
  // Runs started before this change took their locks before the first step; newer ones just
  // before the first mutating step. Dry runs change nothing, so they take none.
  // (Only runbooks that lock ask: the definition is in the input, so replay asks the same.)
  const locking = runbook.target !== undefined || runbook.concurrency !== undefined;
  const lazyLocks = locking && patched('locks-at-first-mutation');
  const beforeMutation = (): Promise<void> =>
    lazyLocks && !state.status.dryRun ? locks.acquireAll() : Promise.resolve();
  const executor: Executor = new Executor(
    state,
    gateSteps,
    decisions,
    compensations,
    alerts,
    beforeMutation,
    killSwitch,
    notifier,
  );
  try {
    if (locking && !lazyLocks && !state.status.dryRun) await locks.acquireAll();
    // Resolved before the run began (a resolved notification arrived first): nothing to do.
    alerts.check('its first step');
    await untracked(executor.runAll(runbook.steps));
    // The change is done: nothing after this point (a cancel during retroactive approval) undoes it.
    compensations.clear();
    await locks.releaseAll();
    await gateSteps.reviews.askAll();
    state.setBase('succeeded');
  } catch (err) {
    if (err instanceof ApplicationFailure && err.type === FAILURE.AutoResolved) {
      // What was changed stands (it may be why the alert cleared); what was not run is skipped.
      compensations.clear();
      await locks.releaseAll();
      gateSteps.reviews.markUnreviewed('alert-resolved');
      for (const s of state.status.steps)
        if (s.state === 'pending' || s.state === 'waiting' || s.state === 'running')
          state.updateStep(s.id, { state: 'skipped', note: 'not run: the alert resolved' });
      state.status.error = { message: err.message, type: FAILURE.AutoResolved };
      state.setBase('auto_resolved');
      await executor.notify(
        runbook.alertResolved?.notify ?? 'default',
        `${runbook.title}: ${err.message}. The run (${workflowInfo().workflowId}) made no further changes.`,
        { kind: 'alert_resolved', scope: { ...executor.noticeScope(), reason: err.message } },
      );
      const result = finish(state, trigger, 'auto_resolved');
      await announcer?.settle();
      return result;
    }
    const phase: RunPhase & RunEventOutcome = isCancellation(err)
      ? 'cancelled'
      : err instanceof ApplicationFailure && err.type === FAILURE.ApprovalRejected
        ? 'rejected'
        : 'failed';
    // Undo what was changed, whatever ended the run; cancellation cannot interrupt it.
    await compensations.rollback();
    await locks.releaseAll();
    gateSteps.reviews.markUnreviewed(phase === 'cancelled' ? 'cancel' : phase === 'rejected' ? 'rejection' : 'failure');
    state.setBase(phase);
    finish(state, trigger, phase);
    await announcer?.settle();
    throw err;
  }
  const result = finish(state, trigger, 'succeeded');
  await announcer?.settle();
  return result;
}

function finish(state: RunState, trigger: TriggerInfo, outcome: RunEventOutcome): RunResult {
  state.status.finishedAt = new Date().toISOString();
  state.publish();
  reportRunFinished(state.runbook.id, trigger, outcome);
  return {
    phase: state.status.phase,
    steps: state.status.steps.map(({ id, state: s, attempts, outputSummary, error }) => ({
      id,
      state: s,
      attempts,
      ...(outputSummary !== undefined ? { outputSummary } : {}),
      ...(error ? { error } : {}),
    })),
    ...(state.status.error ? { error: state.status.error } : {}),
    // An emergency run's result says how its gates were passed and what the retroactive review found.
    ...(state.status.gates.some((g) => g.mode === 'emergency') ? { gates: state.status.gates } : {}),
    ...(state.status.approvalWaitMs ? { approvalWaitMs: state.status.approvalWaitMs } : {}),
  };
}

function requireRunbookId(input: RunbookWorkflowInput): string {
  if (typeof input.runbookId === 'string' && input.runbookId !== '') return input.runbookId;
  throw ApplicationFailure.nonRetryable('input needs runbook (a definition) or runbookId', FAILURE.InvalidInput);
}
