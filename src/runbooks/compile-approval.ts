/** Approval steps: who may decide, how many must, what a deadline does, what the decision covers. */
import type { ApprovalStep, Step } from '../shared/model';
import { ms, type Report } from './compile-util';
import { checkTemplates, type ReferenceContext } from './references';

export interface AuthoredApproval {
  message: string;
  approvers?: string[];
  required?: number;
  onTimeout?: 'abort' | 'escalate' | 'continue';
  escalation?: { approvers?: string[]; timeout: string; notify?: string };
  emergency?: { retroactiveWithin: string };
  guards?: string[];
}

export function compileApproval(
  a: AuthoredApproval,
  common: Omit<ApprovalStep, 'kind' | 'message' | 'required' | 'onTimeout' | 'guards'>,
  ctx: ReferenceContext,
  path: PropertyKey[],
  report: Report,
): ApprovalStep {
  checkTemplates(a.message, ctx, [...path, 'message'], report);
  const required = a.required ?? 1;
  const onTimeout = a.onTimeout ?? 'abort';
  const named = (a.approvers ?? []).filter((x) => !x.startsWith('group:'));
  if (a.approvers && !a.approvers.some((x) => x.startsWith('group:')) && named.length < required) {
    report([...path, 'required'], `${required} approvals needed but only ${named.length} approvers named`);
  }
  if (onTimeout === 'escalate' && !a.escalation)
    report([...path, 'escalation'], 'onTimeout: escalate needs escalation (approvers, timeout)');
  if (a.escalation && onTimeout !== 'escalate')
    report([...path, 'escalation'], 'escalation is only used with onTimeout: escalate');
  if (common.onFailure !== 'fail') {
    report(
      [...path.slice(0, -1), 'onFailure'],
      'an approval ends in a decision, not a failure: say what a deadline does with approval.onTimeout',
    );
  }
  if (a.emergency && required < 2)
    report(
      [...path, 'emergency'],
      'an emergency approval defers the approvals after the first: it needs required of 2 or more',
    );
  return {
    ...common,
    kind: 'approval',
    message: a.message,
    ...(a.approvers ? { approvers: a.approvers } : {}),
    required,
    onTimeout,
    ...(a.escalation
      ? {
          escalation: {
            ...(a.escalation.approvers ? { approvers: a.escalation.approvers } : {}),
            timeoutMs: ms(a.escalation.timeout, 0),
            ...(a.escalation.notify ? { notify: a.escalation.notify } : {}),
          },
        }
      : {}),
    ...(a.emergency ? { emergency: { retroactiveWithinMs: ms(a.emergency.retroactiveWithin, 0) } } : {}),
    // Filled in by assignGuards once all steps are known.
    guards: a.guards ?? [],
  };
}

function flatten(steps: Step[]): Step[] {
  return steps.flatMap((s) => (s.kind === 'parallel' ? [s, ...flatten(s.steps)] : [s]));
}

/**
 * Default guards: the mutating steps after an approval, up to the next approval. Explicit guards
 * must name mutating steps that come after it.
 */
export function assignGuards(steps: Step[], report: (path: PropertyKey[], message: string) => void): void {
  const flat = flatten(steps);
  flat.forEach((step, i) => {
    if (step.kind !== 'approval') return;
    const later = flat.slice(i + 1);
    if (step.guards.length === 0) {
      const next = later.findIndex((s) => s.kind === 'approval');
      step.guards = (next < 0 ? later : later.slice(0, next))
        .filter((s) => 'mutating' in s && s.mutating)
        .map((s) => s.id);
      return;
    }
    for (const id of step.guards) {
      const target = later.find((s) => s.id === id);
      if (!target || !('mutating' in target) || !target.mutating) {
        report(['steps'], `approval '${step.id}' guards '${id}', which is not a mutating step after it`);
      }
    }
  });
}
