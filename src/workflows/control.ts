/**
 * `controlWorkflow`: the kill switch, one per deployment (`durable-runbooks-control:<task queue>`). Admins
 * freeze all mutating steps or those of one scope (service, namespace, runbook) and unfreeze
 * them; each change is kept in an audit list (and in this workflow's history). Runs ask it before
 * every mutating step; a frozen run asks to be told (watchFreezes) and is signalled once no
 * freeze covers it, so it waits without polling. It continues as new to keep its history short,
 * carrying its state (watchers included).
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  proxySinks,
  setHandler,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import {
  controlStateQuery,
  freezesChangedSignal,
  freezesFor,
  freezeUpdate,
  unfreezeUpdate,
  watchFreezesUpdate,
  type ControlState,
  type Freeze,
  type FreezeWatch,
} from '../shared/coordination';
import type { RunbookEventsSinks } from '../shared/sinks';

/** freeze_changed for the operational events (docs/events.md); a sink writes no command. */
const { runbookEvents: controlEvents } = proxySinks<RunbookEventsSinks>();

/** Audit entries kept in state (all of them stay in the histories of earlier runs). */
/** Longest reason a freeze or unfreeze may give (it is kept in the audit trail). */
const MAX_TEXT = 2000;
const AUDIT_KEEP = 500;
/** Frozen runs remembered at once; beyond it the oldest are told to ask again (they would). */
const WATCHERS_KEEP = 5000;

export async function controlWorkflow(input: { state?: ControlState } = {}): Promise<void> {
  const state: ControlState = input.state ?? { freezes: [], audit: [] };
  const watchers: FreezeWatch[] = state.watchers ?? [];
  state.watchers = watchers;
  /** Runs to tell that the freezes changed (sent from the main loop: handlers cannot signal). */
  const wake: string[] = [];

  setHandler(controlStateQuery, () => state);
  setHandler(
    freezeUpdate,
    ({ scope, by, reason }) => {
      const f: Freeze = { id: uuid4().slice(0, 8), scope, by, reason, at: new Date().toISOString() };
      state.freezes.push(f);
      state.audit.push({ action: 'freeze', freezeId: f.id, scope, by, reason, at: f.at });
      controlEvents.freezeChanged({ frozen: true, freezeId: f.id, scope, reason, changedBy: by });
      state.audit.splice(0, Math.max(0, state.audit.length - AUDIT_KEEP));
      return f;
    },
    {
      validator: (p) => {
        if (p === null || typeof p !== 'object') throw new TypeError('a freeze is {scope, by, reason}');
        const { scope, by, reason } = p;
        if (typeof by !== 'string' || !by) throw new TypeError('by is required');
        if (typeof reason !== 'string' || reason.length > MAX_TEXT)
          throw new TypeError(`reason is text of at most ${MAX_TEXT}`);
        if (!reason || !reason.trim()) throw new TypeError('a freeze needs a reason');
        if (!scope || typeof scope !== 'object' || !['all', 'service', 'namespace', 'runbook'].includes(scope.kind))
          throw new TypeError('scope.kind must be all, service, namespace or runbook');
        if (scope.kind !== 'all' && (typeof scope.value !== 'string' || !scope.value || scope.value.length > 256))
          throw new TypeError(`a ${scope.kind} freeze needs scope.value (at most 256 characters)`);
      },
    },
  );
  setHandler(
    unfreezeUpdate,
    ({ freezeId, by, reason }) => {
      const f = state.freezes.find((x) => x.id === freezeId) as Freeze;
      state.freezes = state.freezes.filter((x) => x !== f);
      state.audit.push({ action: 'unfreeze', freezeId, scope: f.scope, by, reason, at: new Date().toISOString() });
      controlEvents.freezeChanged({ frozen: false, freezeId, scope: f.scope, reason, changedBy: by });
      // Runs no freeze covers any more go on; the others keep waiting.
      for (let i = watchers.length - 1; i >= 0; i--) {
        const w = watchers[i] as FreezeWatch;
        if (freezesFor(state.freezes, w.scope).length === 0) {
          wake.push(w.watcher);
          watchers.splice(i, 1);
        }
      }
      return f;
    },
    {
      validator: (p) => {
        if (p === null || typeof p !== 'object') throw new TypeError('an unfreeze is {freezeId, by, reason}');
        const { freezeId, by } = p;
        if (typeof by !== 'string' || !by) throw new TypeError('by is required');
        if (!state.freezes.some((x) => x.id === freezeId)) throw new TypeError(`no freeze '${freezeId}' is in force`);
      },
    },
  );
  setHandler(
    watchFreezesUpdate,
    (w) => {
      const covering = freezesFor(state.freezes, w.scope);
      if (covering.length === 0) return covering;
      const i = watchers.findIndex((x) => x.watcher === w.watcher);
      if (i >= 0) watchers.splice(i, 1);
      watchers.push(w);
      if (watchers.length > WATCHERS_KEEP)
        wake.push(...watchers.splice(0, watchers.length - WATCHERS_KEEP).map((x) => x.watcher));
      return covering;
    },
    {
      validator: (w) => {
        if (!w || typeof w.watcher !== 'string' || !w.watcher) throw new TypeError('watcher is required');
        if (!w.scope || typeof w.scope !== 'object' || typeof w.scope.runbookId !== 'string')
          throw new TypeError('scope.runbookId is required');
      },
    },
  );

  // Lives as long as the namespace; renews itself before its history gets long.
  for (;;) {
    await condition(() => wake.length > 0 || workflowInfo().continueAsNewSuggested);
    while (wake.length > 0) {
      const watcher = wake.shift() as string;
      // A run that ended meanwhile has nothing to be told.
      await getExternalWorkflowHandle(watcher)
        .signal(freezesChangedSignal)
        .catch(() => undefined);
    }
    if (workflowInfo().continueAsNewSuggested) break;
  }
  await condition(allHandlersFinished);
  await continueAsNew<typeof controlWorkflow>({ state });
}
