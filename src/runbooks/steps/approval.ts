/** `approval:` steps: who may decide, how many must, what a deadline does, what the decision covers. */
import { z } from 'zod';
import { render, toText } from '../../shared/template';
import { ms } from '../compile-util';
import { checkTemplates } from '../references';
import { duration, stepCommon, type StepKindModule } from './common';

/** Approvals wait a day unless the runbook says otherwise: someone must decide, or it aborts. */
const DEFAULT_APPROVAL_TIMEOUT_MS = 24 * 3_600_000;

const approverList = z.array(z.string().min(1)).min(1).describe('Identities, and groups as group:<name>.');
const approval = z
  .object({
    message: z.string(),
    approvers: approverList.optional(),
    required: z.number().int().min(1).max(10).optional().describe('@default 1'),
    onTimeout: z.enum(['abort', 'escalate', 'continue']).optional().describe('@default abort'),
    escalation: z
      .object({ approvers: approverList.optional(), timeout: duration, notify: z.string().optional() })
      .strict()
      .optional(),
    emergency: z
      .object({ retroactiveWithin: duration.describe('How long after the change the remaining approvals may come.') })
      .strict()
      .optional(),
    guards: z
      .array(z.string())
      .optional()
      .describe('Mutating steps this approval covers. Default: the mutating steps after it, up to the next approval.'),
  })
  .strict();

export const approvalKind: StepKindModule<'approval'> = {
  kind: 'approval',
  schema: z.object({ ...stepCommon, approval }).strict(),
  refuses: { retry: 'an approval step calls no action, so it has nothing to retry' },
  compile(s, common, c) {
    const a = s.approval as z.infer<typeof approval>;
    const path = [...c.path, 'approval'];
    checkTemplates(a.message, c.ctx, [...path, 'message'], c.report);
    const required = a.required ?? 1;
    const onTimeout = a.onTimeout ?? 'abort';
    const named = (a.approvers ?? []).filter((x) => !x.startsWith('group:'));
    if (a.approvers && !a.approvers.some((x) => x.startsWith('group:')) && named.length < required) {
      c.report([...path, 'required'], `${required} approvals needed but only ${named.length} approvers named`);
    }
    if (onTimeout === 'escalate' && !a.escalation) {
      c.report([...path, 'escalation'], 'onTimeout: escalate needs escalation (approvers, timeout)');
    }
    if (a.escalation && onTimeout !== 'escalate') {
      c.report([...path, 'escalation'], 'escalation is only used with onTimeout: escalate');
    }
    if (common.onFailure !== 'fail') {
      c.report(
        [...c.path, 'onFailure'],
        'an approval ends in a decision, not a failure: say what a deadline does with approval.onTimeout',
      );
    }
    if (a.emergency && required < 2) {
      c.report(
        [...path, 'emergency'],
        'an emergency approval defers the approvals after the first: it needs required of 2 or more',
      );
    }
    const e = a.escalation;
    return {
      ...common,
      kind: 'approval',
      timeoutMs: ms(s.timeout, DEFAULT_APPROVAL_TIMEOUT_MS),
      message: a.message,
      ...(a.approvers ? { approvers: a.approvers } : {}),
      required,
      onTimeout,
      ...(e
        ? {
            escalation: {
              ...(e.approvers ? { approvers: e.approvers } : {}),
              timeoutMs: ms(e.timeout, 0),
              ...(e.notify ? { notify: e.notify } : {}),
            },
          }
        : {}),
      ...(a.emergency ? { emergency: { retroactiveWithinMs: ms(a.emergency.retroactiveWithin, 0) } } : {}),
      // Filled in by assignGuards once all steps are known.
      guards: a.guards ?? [],
    };
  },
  plan: (step, scope) => ({
    message: toText(render(step.message, scope)),
    approval: {
      approvers: step.approvers ?? 'any approver',
      required: step.required,
      onTimeout: step.onTimeout,
      guards: step.guards,
      emergency: step.emergency !== undefined,
    },
  }),
};
