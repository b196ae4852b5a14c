/**
 * The kill switch as a run sees it: before each mutating step, ask whether a freeze covers this
 * run; while one does, the step waits (read-only steps were never stopped) and asks again.
 */
import { proxyActivities, sleep } from '@temporalio/workflow';
import type { Freeze } from '../../shared/coordination';
import { render, toText } from '../../shared/template';
import type { RunState } from './run-state';

const { checkFreeze } = proxyActivities<{
  checkFreeze(i: { runbookId: string; service?: string; namespace?: string }): Promise<Freeze[]>;
}>({
  startToCloseTimeout: '30s',
  retry: { maximumAttempts: 10 },
  summary: 'kill switch?',
});

export async function waitWhileFrozen(state: RunState, stepId: string, pollMs: number): Promise<void> {
  const rb = state.runbook;
  const service = rb.service ? toText(render(rb.service, state.scope())) : '';
  const namespace = typeof state.status.params.namespace === 'string' ? state.status.params.namespace : '';
  for (let frozen = false; ; frozen = true) {
    const freezes = await checkFreeze({
      runbookId: rb.id,
      ...(service ? { service } : {}),
      ...(namespace ? { namespace } : {}),
    });
    if (freezes.length === 0) {
      if (frozen) {
        state.setPhase('running');
        state.updateStep(stepId, { state: 'running', note: 'unfrozen' });
      }
      return;
    }
    const f = freezes[0] as Freeze;
    state.setPhase('frozen');
    state.updateStep(stepId, {
      state: 'waiting',
      note: `frozen by ${f.by} (${f.scope.kind === 'all' ? 'all' : `${f.scope.kind} ${f.scope.value}`}, freeze ${f.id}): ${f.reason}`,
    });
    await sleep(pollMs, { summary: `${stepId}: frozen, asking again` });
  }
}
