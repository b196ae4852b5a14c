/**
 * `runbookWorkflow`: one deterministic interpreter for every runbook.
 * The runbook definition arrives in the input (or is resolved once by an activity), so history
 * pins the version a run uses; every side effect is a catalog activity.
 */
import { ApplicationFailure, isCancellation, proxyActivities, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { SA } from '../../shared/constants';
import { statusQuery } from '../../shared/messages';
import type { TriggerInfo } from '../../shared/model';
import type { RunResult } from '../../shared/status';
import { toText, render } from '../../shared/template';
import type { ResolveRunbookInput, ResolveRunbookResult, RunbookWorkflowInput } from '../../shared/workflow-types';
import { ApprovalGates } from './approvals';
import { APPROVAL_REJECTED, Executor, reportRunFinished, reportRunStarted } from './execute';
import { RunState } from './run-state';

const { resolveRunbook } = proxyActivities<{ resolveRunbook(i: ResolveRunbookInput): Promise<ResolveRunbookResult> }>({
  startToCloseTimeout: '30s',
  retry: { maximumAttempts: 5, nonRetryableErrorTypes: ['InvalidInput', 'NotFound'] },
  summary: 'load runbook',
});

const WEB_UI_TRIGGER: TriggerInfo = { source: 'web-ui', requestedBy: 'web-ui' };

export async function runbookWorkflow(input: RunbookWorkflowInput): Promise<RunResult> {
  const { runbook, params } = input.runbook
    ? { runbook: input.runbook, params: input.params ?? {} }
    : await resolveRunbook({ runbookId: requireRunbookId(input), params: input.params ?? {} });
  const trigger = input.trigger ?? WEB_UI_TRIGGER;
  const state = new RunState(runbook, params, trigger, input.dryRun ?? false, workflowInfo().workflowId);
  const gates = new ApprovalGates(state);
  setHandler(statusQuery, () => state.status, { description: 'The run: phase, steps, approvals.' });
  gates.install();

  const service = runbook.service ? toText(render(runbook.service, state.scope())) : '';
  upsertSearchAttributes([
    { key: SA.runbookId, value: runbook.id },
    { key: SA.triggerSource, value: trigger.source },
    { key: SA.requestedBy, value: trigger.requestedBy },
    ...(service ? [{ key: SA.service, value: service }] : []),
    ...(runbook.severity ? [{ key: SA.severity, value: runbook.severity }] : []),
  ]);
  reportRunStarted(runbook.id, trigger.source);
  state.setPhase('running');

  try {
    await new Executor(state, gates).runAll(runbook.steps);
    state.setPhase('succeeded');
  } catch (err) {
    const phase = isCancellation(err)
      ? 'cancelled'
      : err instanceof ApplicationFailure && err.type === APPROVAL_REJECTED
        ? 'rejected'
        : 'failed';
    state.setPhase(phase);
    finish(state, trigger, phase);
    throw err;
  }
  return finish(state, trigger, 'succeeded');
}

function finish(state: RunState, trigger: TriggerInfo, outcome: string): RunResult {
  state.status.finishedAt = new Date().toISOString();
  state.publish();
  reportRunFinished(state.runbook.id, trigger.source, outcome);
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
  };
}

function requireRunbookId(input: RunbookWorkflowInput): string {
  if (typeof input.runbookId === 'string' && input.runbookId !== '') return input.runbookId;
  throw ApplicationFailure.nonRetryable('input needs runbook (a definition) or runbookId', 'InvalidInput');
}
