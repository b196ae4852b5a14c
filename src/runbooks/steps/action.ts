/** `action:` steps: call a catalog action; mutating ones may declare how to undo them. */
import { z } from 'zod';
import type { ActionStep, JsonObject } from '../../shared/model';
import { render, toPlainJson } from '../../shared/template';
import { ms } from '../compile-util';
import { checkTemplates } from '../references';
import { compileActionRef } from './action-ref';
import {
  compileRetry,
  DEFAULT_ACTION_TIMEOUT_MS,
  duration,
  inputs,
  retrySpec,
  stepCommon,
  type StepKindModule,
} from './common';

const undo = z
  .object({ action: z.string(), with: inputs.optional(), timeout: duration.optional(), retry: retrySpec.optional() })
  .strict()
  .describe("How to undo this step; may read the step's own output as steps.<id>.output.");

type AuthoredUndo = z.infer<typeof undo>;

export const actionKind: StepKindModule<'action'> = {
  kind: 'action',
  schema: z.object({ ...stepCommon, action: z.string(), with: inputs.optional(), undo: undo.optional() }).strict(),
  compile(s, common, c) {
    const action = s.action as string;
    const withInputs = (s.with ?? {}) as JsonObject;
    checkTemplates(withInputs, c.ctx, [...c.path, 'with'], c.report);
    const ref = compileActionRef(action, withInputs, [...c.path, 'action'], [...c.path, 'with'], c.report);
    const u = s.undo as AuthoredUndo | undefined;
    if (u && !ref.mutating)
      c.report([...c.path, 'undo'], `'${action}' changes nothing here, so there is nothing to undo`);
    let undoRef: ActionStep['undo'];
    if (u) {
      // The undo runs after its step, so it may read the step's own output.
      const undoCtx = { ...c.ctx, steps: new Set([...c.ctx.steps, s.id]) };
      checkTemplates(u.with ?? {}, undoCtx, [...c.path, 'undo', 'with'], c.report);
      const r = compileActionRef(
        u.action,
        u.with ?? {},
        [...c.path, 'undo', 'action'],
        [...c.path, 'undo', 'with'],
        c.report,
      );
      undoRef = { ...r, timeoutMs: ms(u.timeout, DEFAULT_ACTION_TIMEOUT_MS), retry: compileRetry(u.retry) };
    }
    return {
      ...common,
      kind: 'action',
      timeoutMs: ms(s.timeout, DEFAULT_ACTION_TIMEOUT_MS),
      ...ref,
      ...(undoRef ? { undo: undoRef } : {}),
    };
  },
  plan: (step, scope) => ({
    action: step.action,
    inputs: toPlainJson(render(step.with, scope)),
    ...(step.undo ? { undo: step.undo.action } : {}),
  }),
};
