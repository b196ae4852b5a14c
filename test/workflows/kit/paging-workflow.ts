/**
 * The kit's paging ladder on its own: a workflow that opens an "incident" of a severity with
 * the seeds' default rules, pages by recording (no activity), and takes acknowledge, resolve and
 * severity signals (test/workflows/paging-ladder.test.ts runs it on the time-skipping server).
 */
import { defineQuery, defineSignal, setHandler } from '@temporalio/workflow';
import type { IncidentPolicy } from '../../../src/shared/incident-policy';
import { pagingPlan } from '../../../src/shared/paging-plan';
import type { Severity } from '../../../src/shared/severity';
import * as kit from '../../../src/workflows/kit';

export const pagesQuery = defineQuery<Array<{ atMs: number; level: string; why: string }>>('pages');
export const ackSignal = defineSignal('ack');
export const resolveSignal = defineSignal('resolve');
export const severitySignal = defineSignal<[Severity]>('severity');

export async function pagingWorkflow(o: { policy: IncidentPolicy; severity: Severity }): Promise<string[]> {
  const opened = Date.now();
  let severity = o.severity;
  let acked = false;
  let resolved = false;
  const pages: Array<{ atMs: number; level: string; why: string }> = [];
  const ladder = new kit.PageLadder({
    plan: () => pagingPlan(o.policy, severity, opened),
    acknowledged: () => acked,
    resolved: () => resolved,
    page: async (s) => void pages.push({ atMs: Date.now() - opened, level: s.level, why: s.why }),
  });
  setHandler(pagesQuery, () => pages);
  setHandler(ackSignal, () => void (acked = true));
  setHandler(resolveSignal, () => void (resolved = true));
  setHandler(severitySignal, (s) => {
    severity = s;
    ladder.replan();
  });
  await ladder.run();
  return ladder.sent();
}
