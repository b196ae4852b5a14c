/**
 * Drill mode's end: the standby environment's starting state restored by the plan's reset
 * runbooks (always, once the drill may have changed anything, in a scope a cancellation cannot
 * interrupt), then the report kept in the archive store beside the earlier drills', which come
 * back for comparison.
 */
import { CancellationScope } from '@temporalio/workflow';
import type { FailoverPlanDefinition, FailoverReport } from '../../shared/failover';
import { failoverMarkdown } from '../../shared/failover-report';
import { failoverSvg } from '../../shared/failover-svg';
import type { JsonObject } from '../../shared/model';
import { errorOf, type PlanCaller } from '../backup/common';
import { childError, runChild } from './children';

export async function resetDrill(plan: FailoverPlanDefinition, r: FailoverReport, requestedBy: string): Promise<void> {
  const d = plan.drill;
  if (!d) return;
  r.drill ??= { reset: [], previous: [] };
  const drill = r.drill;
  await CancellationScope.nonCancellable(async () => {
    for (const [i, ref] of d.reset.entries()) {
      try {
        await runChild(ref, `reset-${i}`, requestedBy);
        drill.reset.push({ runbook: ref.runbook, ok: true });
      } catch (err) {
        drill.reset.push({ runbook: ref.runbook, ok: false, error: childError(err) });
      }
    }
  });
}

export async function archiveDrill(call: PlanCaller, plan: FailoverPlanDefinition, r: FailoverReport): Promise<void> {
  const store = plan.drill?.archiveStore;
  if (!store) return;
  r.drill ??= { reset: [], previous: [] };
  const drill = r.drill;
  await CancellationScope.nonCancellable(async () => {
    try {
      const a = await call('dr:report:archive', 'archive', {
        store,
        plan: plan.name,
        report: r as unknown as JsonObject,
        markdown: failoverMarkdown(r),
        svg: failoverSvg(r),
        previous: 10,
      });
      drill.archived = a.key;
      drill.previous = a.previous.map(({ key: _key, ...p }) => p);
    } catch (err) {
      drill.archiveError = errorOf(err).message;
    }
  });
}
