/** `parallel:` steps: every branch runs; the step fails with the first failure, once all have settled. */
import type { StepRunner } from './types';

export const runParallel: StepRunner<'parallel'> = async (step, x) => {
  const results = await Promise.allSettled(step.steps.map((s) => x.run(s)));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return {};
};
