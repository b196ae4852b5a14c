/**
 * Run metrics and operational events, reported to the worker through sinks (not called on
 * replay, so never counted or published twice).
 */
import { proxySinks, workflowInfo } from '@temporalio/workflow';
import type { RunbookEventsSinks, RunbookMetricsSinks, RunEventOutcome } from '../../shared/sinks';
import type { TriggerInfo } from '../../shared/model';

export const { runbookMetrics, runbookEvents } = proxySinks<RunbookMetricsSinks & RunbookEventsSinks>();

export function reportRunStarted(runbook: string, trigger: TriggerInfo): void {
  runbookMetrics.runStarted({ runbook, trigger: trigger.source });
  runbookEvents.runStarted({
    workflowId: workflowInfo().workflowId,
    runbook,
    trigger: trigger.source,
    ...(trigger.requestedBy ? { requestedBy: trigger.requestedBy } : {}),
  });
}

export function reportRunFinished(runbook: string, trigger: TriggerInfo, outcome: RunEventOutcome): void {
  runbookMetrics.runFinished({ runbook, trigger: trigger.source, outcome });
  runbookEvents.runFinished({ workflowId: workflowInfo().workflowId, runbook, trigger: trigger.source, outcome });
}

type WithoutRun<T> = Omit<T, 'workflowId'>;
type Events = RunbookEventsSinks['runbookEvents'];

export function reportApprovalRequested(e: WithoutRun<Parameters<Events['approvalRequested']>[0]>): void {
  runbookEvents.approvalRequested({ workflowId: workflowInfo().workflowId, ...e });
}

export function reportApprovalDecided(e: WithoutRun<Parameters<Events['approvalDecided']>[0]>): void {
  runbookEvents.approvalDecided({ workflowId: workflowInfo().workflowId, ...e });
}

export function reportStepPaused(e: WithoutRun<Parameters<Events['stepPaused']>[0]>): void {
  runbookEvents.stepPaused({ workflowId: workflowInfo().workflowId, ...e });
}
