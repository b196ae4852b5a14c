/**
 * The kill switch as a run sees it: before each mutating step, the kit's kill switch waits while
 * a freeze covers the run's runbook, service or namespace; the step says why it waits.
 */
import type { Freeze } from '../../shared/coordination';
import { render, toText } from '../../shared/template';
import type { KillSwitch } from '../kit';
import type { RunState } from './run-state';

export async function waitWhileFrozen(state: RunState, stepId: string, killSwitch: KillSwitch): Promise<void> {
  const rb = state.runbook;
  const service = rb.service ? toText(render(rb.service, state.scope())) : '';
  const namespace = typeof state.status.params.namespace === 'string' ? state.status.params.namespace : '';
  const scope = { runbookId: rb.id, ...(service ? { service } : {}), ...(namespace ? { namespace } : {}) };
  await killSwitch.waitWhileFrozen(scope, stepId, (f: Freeze | undefined) => {
    if (!f) {
      state.updateStep(stepId, { state: 'running', note: 'unfrozen' });
      return;
    }
    const where = f.scope.kind === 'all' ? 'all' : `${f.scope.kind} ${f.scope.value}`;
    state.updateStep(stepId, { state: 'waiting', note: `frozen by ${f.by} (${where}, freeze ${f.id}): ${f.reason}` });
  });
}
