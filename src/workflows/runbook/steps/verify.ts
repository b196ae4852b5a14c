/** `verify:` steps: repeat a read-only action until its expectation holds or the time is up. */
import { ApplicationFailure, sleep } from '@temporalio/workflow';
import { formatDuration } from '../../../shared/duration';
import { FAILURE } from '../../../shared/failures';
import type { JsonObject } from '../../../shared/model';
import { evaluateText, render, truthy } from '../../../shared/template';
import { callStep } from '../call-step';
import { summarize } from '../run-state';
import type { StepRunner } from './types';

export const runVerify: StepRunner<'verify'> = async (step, x) => {
  const deadline = Date.now() + step.withinMs;
  for (let round = 1; ; round++) {
    const input = render(step.with, x.state.scope()) as JsonObject;
    const r = await callStep(step, input, x.runInfo());
    x.state.updateStep(step.id, { output: r.output, outputSummary: summarize(r.output) });
    if (truthy(evaluateText(step.until, { ...x.state.scope(), output: r.output }))) {
      return { output: r.output, outputSummary: summarize(r.output), attempts: round };
    }
    if (Date.now() + step.intervalMs > deadline) {
      throw ApplicationFailure.create({
        message: `'${step.until}' did not hold within ${formatDuration(step.withinMs)} (${round} checks; last: ${summarize(r.output) ?? 'no output'})`,
        type: FAILURE.VerifyTimeout,
        nonRetryable: true,
        details: [{ attempt: round }],
      });
    }
    await sleep(step.intervalMs, { summary: `${step.id}: next check in ${formatDuration(step.intervalMs)}` });
  }
};
