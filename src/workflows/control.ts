/**
 * `controlWorkflow`: the kill switch, one per deployment (`durable-runbooks-control:<task queue>`). Admins
 * freeze all mutating steps or those of one scope (service, namespace, runbook) and unfreeze
 * them; each change is kept in an audit list (and in this workflow's history). Runs ask it before
 * every mutating step. It continues as new to keep its history short, carrying its state.
 */
import { condition, continueAsNew, setHandler, uuid4, workflowInfo } from '@temporalio/workflow';
import {
  controlStateQuery,
  freezeUpdate,
  unfreezeUpdate,
  type ControlState,
  type Freeze,
} from '../shared/coordination';

/** Audit entries kept in state (all of them stay in the histories of earlier runs). */
const AUDIT_KEEP = 500;

export async function controlWorkflow(input: { state?: ControlState } = {}): Promise<void> {
  const state: ControlState = input.state ?? { freezes: [], audit: [] };

  setHandler(controlStateQuery, () => state);
  setHandler(
    freezeUpdate,
    ({ scope, by, reason }) => {
      const f: Freeze = { id: uuid4().slice(0, 8), scope, by, reason, at: new Date().toISOString() };
      state.freezes.push(f);
      state.audit.push({ action: 'freeze', freezeId: f.id, scope, by, reason, at: f.at });
      state.audit.splice(0, Math.max(0, state.audit.length - AUDIT_KEEP));
      return f;
    },
    {
      validator: ({ scope, by, reason }) => {
        if (!by) throw new TypeError('by is required');
        if (!reason || !reason.trim()) throw new TypeError('a freeze needs a reason');
        if (!scope || !['all', 'service', 'namespace', 'runbook'].includes(scope.kind))
          throw new TypeError('scope.kind must be all, service, namespace or runbook');
        if (scope.kind !== 'all' && !scope.value) throw new TypeError(`a ${scope.kind} freeze needs scope.value`);
      },
    },
  );
  setHandler(
    unfreezeUpdate,
    ({ freezeId, by, reason }) => {
      const f = state.freezes.find((x) => x.id === freezeId) as Freeze;
      state.freezes = state.freezes.filter((x) => x !== f);
      state.audit.push({ action: 'unfreeze', freezeId, scope: f.scope, by, reason, at: new Date().toISOString() });
      return f;
    },
    {
      validator: ({ freezeId, by }) => {
        if (!by) throw new TypeError('by is required');
        if (!state.freezes.some((x) => x.id === freezeId)) throw new TypeError(`no freeze '${freezeId}' is in force`);
      },
    },
  );

  // Lives as long as the namespace; renews itself before its history gets long.
  await condition(() => workflowInfo().continueAsNewSuggested);
  await continueAsNew<typeof controlWorkflow>({ state });
}
