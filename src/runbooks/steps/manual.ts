/** `manual:` steps: a person does something outside the system by a deadline, and says done or not done. */
import { z } from 'zod';
import { formatDuration } from '../../shared/duration';
import { checkIdentity } from '../../shared/identity';
import { render, templateExpressions, toText } from '../../shared/template';
import { ms } from '../compile-util';
import { checkTemplates } from '../references';
import { duration, stepCommon, type StepKindModule } from './common';

const manual = z
  .object({
    title: z.string().min(1).describe('What to do, e.g. "Phone the security team" (templates allowed).'),
    instructions: z.string().optional().describe('How, in more words (templates allowed).'),
    assignee: z
      .string()
      .min(1)
      .describe('Who does it: an identity, group:<name> (from configuration approverGroups), or a template.'),
    deadline: duration.describe('How long they have, from when the step begins.'),
    remind: duration
      .optional()
      .describe(
        'Remind this often, before the deadline and after it. @default once at half the time, then at the deadline and twice more',
      ),
    notify: z.string().min(1).optional().describe('Notification target the reminders go to. @default default'),
    anyone: z
      .boolean()
      .optional()
      .describe('Anyone with the operator role may say done or not done, not only the assignee. @default false'),
    onNotDone: z
      .enum(['fail', 'continue'])
      .optional()
      .describe(
        'Not done: fail the step (onFailure: pause lets an operator ask again), or record it and go on. @default fail',
      ),
  })
  .strict();

/** A literal assignee: a group with a name, or an identity in canonical form. */
function literalAssignee(a: string): { assignee: string } | { error: string } {
  if (a.startsWith('group:')) return a.length > 6 ? { assignee: a } : { error: 'a group needs a name: group:<name>' };
  const r = checkIdentity(a);
  return 'error' in r ? r : { assignee: r.identity };
}

export const manualKind: StepKindModule<'manual'> = {
  kind: 'manual',
  schema: z.object({ ...stepCommon, manual }).strict(),
  refuses: {
    retry: 'a manual step calls no action, so it has nothing to retry',
    timeout: 'a manual step waits for its person: give manual.deadline (reminders go on past it)',
  },
  compile(s, common, c) {
    const m = s.manual as z.infer<typeof manual>;
    const path = [...c.path, 'manual'];
    checkTemplates(m.title, c.ctx, [...path, 'title'], c.report);
    if (m.instructions !== undefined) checkTemplates(m.instructions, c.ctx, [...path, 'instructions'], c.report);
    let assignee = m.assignee;
    if (templateExpressions(m.assignee).length > 0) {
      checkTemplates(m.assignee, c.ctx, [...path, 'assignee'], c.report);
    } else {
      const r = literalAssignee(m.assignee);
      if ('error' in r) c.report([...path, 'assignee'], r.error);
      else assignee = r.assignee;
    }
    if (common.onFailure === 'continue') {
      c.report(
        [...c.path, 'onFailure'],
        'a manual step ends in done or not done: say what not done does with manual.onNotDone: continue',
      );
    }
    const deadlineMs = ms(m.deadline, 0);
    if (deadlineMs <= 0) c.report([...path, 'deadline'], 'a deadline must be longer than 0');
    const remindMs = m.remind !== undefined ? ms(m.remind, 0) : undefined;
    if (remindMs !== undefined && remindMs < 60_000)
      c.report([...path, 'remind'], 'remind at most once a minute (1m or more)');
    return {
      ...common,
      kind: 'manual',
      timeoutMs: 0,
      title: m.title,
      ...(m.instructions !== undefined ? { instructions: m.instructions } : {}),
      assignee,
      deadlineMs,
      ...(remindMs !== undefined ? { remindMs } : {}),
      notify: m.notify ?? 'default',
      anyone: m.anyone ?? false,
      onNotDone: m.onNotDone ?? 'fail',
    };
  },
  plan: (step, scope) => ({
    message: `${toText(render(step.title, scope))} (${toText(render(step.assignee, scope))}, within ${formatDuration(step.deadlineMs)})`,
  }),
};
