/** Approver groups: runbooks name them (`group:sre`); configuration says who is in them. */
import type { RunbookDefinition, Step } from '../shared/model';
import { flattenSteps } from '../shared/steps';

function groupsIn(steps: Step[]): string[] {
  return flattenSteps(steps).flatMap((s) => {
    if (s.kind !== 'approval') return [];
    return [...(s.approvers ?? []), ...(s.escalation?.approvers ?? [])]
      .filter((a) => a.startsWith('group:'))
      .map((a) => a.slice(6));
  });
}

/**
 * The members of every group the runbook names, to pass to its runs (they are not secrets, and
 * the run then records who could decide). Throws naming the groups configuration lacks.
 */
export function approverGroupsFor(
  runbook: RunbookDefinition,
  configured: Readonly<Record<string, string[]>>,
): Record<string, string[]> {
  const names = [...new Set(groupsIn(runbook.steps))].sort();
  const missing = names.filter((n) => !Object.prototype.hasOwnProperty.call(configured, n));
  if (missing.length) {
    throw new Error(
      `runbook '${runbook.id}' names approver groups missing from configuration (approverGroups): ${missing.join(', ')}`,
    );
  }
  return Object.fromEntries(names.map((n) => [n, [...(configured[n] as string[])]]));
}

/**
 * Who may start the runbook as an emergency: its `emergency.requesters`, groups expanded from
 * configuration (canonical identities, sorted). Undefined when it declares none (nobody may).
 * Throws naming the groups configuration lacks.
 */
export function emergencyRequestersFor(
  runbook: Pick<RunbookDefinition, 'id' | 'emergency'>,
  configured: Readonly<Record<string, string[]>>,
): string[] | undefined {
  const declared = runbook.emergency?.requesters;
  if (!declared) return undefined;
  const groups = declared.filter((r) => r.startsWith('group:')).map((r) => r.slice(6));
  const missing = groups.filter((n) => !Object.prototype.hasOwnProperty.call(configured, n));
  if (missing.length) {
    throw new Error(
      `runbook '${runbook.id}' names emergency requester groups missing from configuration (approverGroups): ${missing.join(', ')}`,
    );
  }
  const people = declared.flatMap((r) => (r.startsWith('group:') ? (configured[r.slice(6)] as string[]) : [r]));
  return [...new Set(people)].sort();
}
