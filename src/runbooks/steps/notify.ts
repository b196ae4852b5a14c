/** `notify:` steps: tell people, through a configured target (the `notify:webhook` action). */
import { z } from 'zod';
import type { JsonObject } from '../../shared/model';
import { render, toPlainJson } from '../../shared/template';
import { ms } from '../compile-util';
import { checkTemplates } from '../references';
import { compileActionRef } from './action-ref';
import { DEFAULT_ACTION_TIMEOUT_MS, stepCommon, type StepKindModule } from './common';

const notify = z
  .object({
    target: z.string().optional(),
    message: z.string(),
    title: z.string().optional(),
    severity: z.string().optional(),
  })
  .strict();

export const notifyKind: StepKindModule<'notify'> = {
  kind: 'notify',
  schema: z.object({ ...stepCommon, notify }).strict(),
  compile(s, common, c) {
    const n = s.notify as z.infer<typeof notify>;
    const withInputs: JsonObject = { target: n.target ?? 'default', message: n.message };
    if (n.title !== undefined) withInputs.title = n.title;
    if (n.severity !== undefined) withInputs.severity = n.severity;
    checkTemplates(withInputs, c.ctx, [...c.path, 'notify'], c.report);
    const ref = compileActionRef(
      'notify:webhook:post',
      withInputs,
      [...c.path, 'notify'],
      [...c.path, 'notify'],
      c.report,
    );
    return { ...common, kind: 'notify', timeoutMs: ms(s.timeout, DEFAULT_ACTION_TIMEOUT_MS), ...ref };
  },
  plan: (step, scope) => ({ action: step.action, inputs: toPlainJson(render(step.with, scope)) }),
};
