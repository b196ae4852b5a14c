/**
 * `action:` and `notify:` steps: render the inputs, and call the action. A mutating action first
 * stops if the run's alert resolved, takes the run's locks, waits while frozen, and checks that
 * its inputs are those its approval covered; a dry run describes it instead.
 */
import { patched } from '@temporalio/workflow';
import type { ActionStep, JsonObject, NotifyStep } from '../../../shared/model';
import { render, toText } from '../../../shared/template';
import { callStep } from '../call-step';
import { waitWhileFrozen } from '../freeze';
import { summarize } from '../run-state';
import type { Done, StepRun, StepRunner } from './types';

async function callAction(step: ActionStep | NotifyStep, x: StepRun): Promise<Done> {
  const input = render(step.with, x.state.scope()) as JsonObject;
  if (x.state.status.dryRun && (step.mutating || step.skipInDryRun)) {
    return { note: `dry run: would call ${step.action} with ${toText(input)}`, attempts: 0, wouldDo: true };
  }
  if (step.mutating) {
    x.alerts.check(`mutating step '${step.id}'`);
    await x.beforeMutation();
    // Runs started before the kill switch existed replay without asking it.
    if (patched('kill-switch')) await waitWhileFrozen(x.state, step.id, x.killSwitch);
    await x.gateSteps.checkBinding(step.id, step.action, input);
  }
  const r = await callStep(step, input, x.runInfo());
  return { output: r.output, outputSummary: summarize(r.output), attempts: r.attempt };
}

export const runAction: StepRunner<'action'> = async (step, x) => {
  const done = await callAction(step, x);
  // A completed change can be undone if the run fails later (not one a dry run only described).
  if (!done.wouldDo) x.compensations.push(step);
  return done;
};

export const runNotify: StepRunner<'notify'> = (step, x) => callAction(step, x);
