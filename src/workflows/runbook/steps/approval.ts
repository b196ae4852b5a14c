/** `approval:` steps: the gate (../gate-steps.ts); a dry run only says it would wait. */
import { FAILURE } from '../../../shared/failures';
import { render, toText } from '../../../shared/template';
import { describeFailure, untracked } from '../../kit';
import { runbookMetrics } from '../metrics';
import type { StepRunner } from './types';

export const runApproval: StepRunner<'approval'> = async (step, x) => {
  const message = toText(render(step.message, x.state.scope()));
  if (x.state.status.dryRun) return { note: `dry run: would wait for approval: ${message}`, wouldDo: true };
  x.alerts.check(`approval '${step.id}'`);
  const waitStart = Date.now();
  let outcome = 'approve';
  try {
    const passed = await untracked(x.gateSteps.pass(step, message));
    // Passed without a decision (onTimeout: continue): recorded as skipped, not as approved.
    return passed.undecided ? { note: passed.note, wouldDo: true } : { note: passed.note };
  } catch (err) {
    const type = describeFailure(err).type;
    outcome =
      type === FAILURE.ApprovalRejected ? 'reject' : type === FAILURE.AutoResolved ? 'alert-resolved' : 'timeout';
    throw err;
  } finally {
    runbookMetrics.approvalWaited({ runbook: x.state.runbook.id, outcome }, (Date.now() - waitStart) / 1000);
  }
};
