/**
 * Worker-side product metrics on a registry of our own (never prom-client's global one):
 * runs started/finished (reported by workflows through sinks), step durations (measured in the
 * activity envelope) and approval wait times.
 */
import { Counter, Histogram, Registry } from 'prom-client';
import type { InjectedSinks } from '@temporalio/worker';
import type { StepMetrics } from '../activities/envelope';
import type { IncidentMetricsSinks, PostmortemMetricsSinks, RunbookMetricsSinks } from '../shared/sinks';
import { incidentMetricSinks } from './incident-metrics';

export interface WorkerMetrics extends StepMetrics {
  registry: Registry;
  sinks: InjectedSinks<RunbookMetricsSinks & IncidentMetricsSinks & PostmortemMetricsSinks>;
}

export function createWorkerMetrics(registry = new Registry()): WorkerMetrics {
  const started = new Counter({
    name: 'runbook_runs_started_total',
    help: 'Runbook runs started, by runbook and trigger source.',
    labelNames: ['runbook', 'trigger'] as const,
    registers: [registry],
  });
  // Seed 004's name for the same count ("runbook_executions_total{runbook=...} 15 # per month"),
  // for dashboards written against it.
  const executions = new Counter({
    name: 'runbook_executions_total',
    help: 'Runbook executions started, by runbook (seed 004 name; runbook_runs_started_total adds the trigger).',
    labelNames: ['runbook'] as const,
    registers: [registry],
  });
  const finished = new Counter({
    name: 'runbook_runs_finished_total',
    help: 'Runbook runs finished, by runbook, trigger source and outcome (succeeded, failed, rejected, cancelled).',
    labelNames: ['runbook', 'trigger', 'outcome'] as const,
    registers: [registry],
  });
  const steps = new Histogram({
    name: 'runbook_step_duration_seconds',
    help: 'Duration of one attempt of a catalog action, by action and outcome.',
    labelNames: ['action', 'outcome'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [registry],
  });
  const approvals = new Histogram({
    name: 'runbook_approval_wait_seconds',
    help: 'Time an approval step waited for a decision, by runbook and outcome (approve, reject, timeout).',
    labelNames: ['runbook', 'outcome'] as const,
    buckets: [1, 10, 30, 60, 300, 900, 1800, 3600, 4 * 3600, 24 * 3600],
    registers: [registry],
  });
  return {
    registry,
    observeStep: (labels, seconds) => steps.observe(labels, seconds),
    sinks: {
      runbookMetrics: {
        runStarted: {
          fn: (_info, labels) => {
            started.inc(labels);
            executions.inc({ runbook: labels.runbook });
          },
          callDuringReplay: false,
        },
        runFinished: { fn: (_info, labels) => finished.inc(labels), callDuringReplay: false },
        approvalWaited: { fn: (_info, labels, seconds) => approvals.observe(labels, seconds), callDuringReplay: false },
      },
      ...incidentMetricSinks(registry),
    },
  };
}
