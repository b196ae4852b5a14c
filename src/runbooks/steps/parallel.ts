/** `parallel:` steps: run branches at once; the step fails if one does (the others finish first). */
import { z } from 'zod';
import { ms } from '../compile-util';
import { stepCommon, type AnyStep, type StepKindModule } from './common';

export const parallelKind: StepKindModule<'parallel'> = {
  kind: 'parallel',
  schema: z.object({ ...stepCommon, parallel: z.array(z.unknown()).min(2) }).strict(),
  children: 'parallel',
  editorSchema: (anyStep) => z.object({ ...stepCommon, parallel: z.array(anyStep).min(2) }).strict(),
  refuses: {
    retry: 'a parallel step calls no action, so it has nothing to retry',
    timeout: 'a parallel step has no timeout of its own; give one to each branch',
    pause: 'pause each branch instead: a parallel step cannot be retried as a whole',
  },
  compile(s, common, c) {
    const steps = (s.parallel as AnyStep[]).map((child, i) => c.child(child, [...c.path, 'parallel', i]));
    return { ...common, kind: 'parallel', timeoutMs: ms(s.timeout, 0), steps };
  },
  plan: (step, _scope, child) => ({ steps: step.steps.map(child) }),
};
