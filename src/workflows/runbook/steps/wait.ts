/** `wait:` steps: a durable timer. */
import { sleep } from '@temporalio/workflow';
import { formatDuration } from '../../../shared/duration';
import type { StepRunner } from './types';

export const runWait: StepRunner<'wait'> = async (step) => {
  await sleep(step.durationMs, { summary: `${step.id}: wait ${formatDuration(step.durationMs)}` });
  return {};
};
