/** `verify:` steps: repeat a read-only action until an expectation over its output holds. */
import { z } from 'zod';
import type { JsonObject } from '../../shared/model';
import { render, toPlainJson } from '../../shared/template';
import { ms } from '../compile-util';
import { checkCondition, checkTemplates } from '../references';
import { compileActionRef } from './action-ref';
import { DEFAULT_ACTION_TIMEOUT_MS, duration, inputs, stepCommon, type StepKindModule } from './common';

const verify = z
  .object({
    action: z.string(),
    with: inputs.optional(),
    until: z.string().describe('Expression over `output`, e.g. ${{ output.ok }}'),
    interval: duration.optional().describe('@default 10s'),
    within: duration.describe('Give up (the step fails) after this long.'),
  })
  .strict();

export const verifyKind: StepKindModule<'verify'> = {
  kind: 'verify',
  schema: z.object({ ...stepCommon, verify }).strict(),
  compile(s, common, c) {
    const v = s.verify as z.infer<typeof verify>;
    const withInputs = (v.with ?? {}) as JsonObject;
    checkTemplates(withInputs, c.ctx, [...c.path, 'verify', 'with'], c.report);
    checkCondition(v.until, { ...c.ctx, allowOutput: true }, [...c.path, 'verify', 'until'], c.report);
    const ref = compileActionRef(
      v.action,
      withInputs,
      [...c.path, 'verify', 'action'],
      [...c.path, 'verify', 'with'],
      c.report,
    );
    if (ref.mutating) {
      c.report(
        [...c.path, 'verify', 'action'],
        `verify repeats its action, so it must be read-only; '${v.action}' mutates`,
      );
    }
    return {
      ...common,
      kind: 'verify',
      timeoutMs: ms(s.timeout, DEFAULT_ACTION_TIMEOUT_MS),
      ...ref,
      until: v.until,
      intervalMs: ms(v.interval, 10_000),
      withinMs: ms(v.within, 60_000),
    };
  },
  plan: (step, scope) => ({ action: step.action, inputs: toPlainJson(render(step.with, scope)), until: step.until }),
};
