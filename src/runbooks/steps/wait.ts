/** `wait:` steps: let time pass (a durable timer). */
import { z } from 'zod';
import { formatDuration } from '../../shared/duration';
import { ms } from '../compile-util';
import { duration, stepCommon, type StepKindModule } from './common';

export const waitKind: StepKindModule<'wait'> = {
  kind: 'wait',
  schema: z.object({ ...stepCommon, wait: duration }).strict(),
  refuses: {
    retry: 'a wait step calls no action, so it has nothing to retry',
    timeout: 'a wait step lasts its duration; it takes no timeout',
  },
  compile: (s, common) => ({ ...common, kind: 'wait', timeoutMs: 0, durationMs: ms(s.wait as string, 0) }),
  plan: (step) => ({ wait: formatDuration(step.durationMs) }),
};
