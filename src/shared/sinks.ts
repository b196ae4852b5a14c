/**
 * Workflow sinks: how deterministic workflow code reports metrics to the worker process
 * (prom-client lives there). Sinks are not called during replay, so counts are not doubled
 * when a worker rebuilds a run from history.
 */
import type { Sinks } from '@temporalio/workflow';

export interface RunbookMetricsSinks extends Sinks {
  runbookMetrics: {
    runStarted(labels: { runbook: string; trigger: string }): void;
    runFinished(labels: { runbook: string; trigger: string; outcome: string }): void;
    approvalWaited(labels: { runbook: string; outcome: string }, seconds: number): void;
  };
}
