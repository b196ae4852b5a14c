/** Run metrics, reported to the worker through sinks (not called on replay, so never counted twice). */
import { proxySinks } from '@temporalio/workflow';
import type { RunbookMetricsSinks } from '../../shared/sinks';

export const { runbookMetrics } = proxySinks<RunbookMetricsSinks>();

export function reportRunStarted(runbook: string, trigger: string): void {
  runbookMetrics.runStarted({ runbook, trigger });
}

export function reportRunFinished(runbook: string, trigger: string, outcome: string): void {
  runbookMetrics.runFinished({ runbook, trigger, outcome });
}
