/** Loading a runbook by id for runs started with only an id (the Web UI's start form). */
import { FAILURE } from '../shared/failures';
import type { RunbookLibrary } from '../runbooks/library';
import { approverGroupsFor } from '../runbooks/approvers';
import { resolveParams } from '../runbooks/params';
import type { ResolveRunbookInput, ResolveRunbookResult } from '../shared/workflow-types';
import { permanent } from './errors';

export function createRunbookActivities(deps: {
  library: () => RunbookLibrary;
  approverGroups?: Readonly<Record<string, string[]>>;
  unsignedStarts?: boolean;
}) {
  async function resolveRunbook(input: ResolveRunbookInput): Promise<ResolveRunbookResult> {
    if (input.unsigned && deps.unsignedStarts === false)
      throw permanent(
        'runs may not start without the API here (worker.unsignedStarts is false): start it with the API, the CLI or a schedule',
        FAILURE.Unverified,
      );
    const lib = deps.library();
    const runbook = lib.runbooks.get(input.runbookId);
    if (!runbook) {
      throw permanent(
        `no runbook '${input.runbookId}' (known: ${[...lib.runbooks.keys()].join(', ')})`,
        FAILURE.NotFound,
      );
    }
    const r = resolveParams(runbook.params, input.params ?? {});
    if ('errors' in r)
      throw permanent(r.errors.map((e) => `${e.field}: ${e.message}`).join('; '), FAILURE.InvalidInput);
    let approverGroups: Record<string, string[]>;
    try {
      approverGroups = approverGroupsFor(runbook, deps.approverGroups ?? {});
    } catch (err) {
      throw permanent((err as Error).message, FAILURE.InvalidInput);
    }
    return { runbook, params: r.params, approverGroups };
  }
  return { resolveRunbook };
}
