/**
 * Workflow sinks: how deterministic workflow code reports metrics and operational events to the
 * worker process (prom-client and Redis live there). Sinks write no commands and are not called
 * during replay, so counts are not doubled and events not repeated when a worker rebuilds a run
 * from history.
 */
import type { Sinks } from '@temporalio/workflow';
import type { FreezeScope } from './coordination';

export interface RunbookMetricsSinks extends Sinks {
  runbookMetrics: {
    runStarted(labels: { runbook: string; trigger: string }): void;
    runFinished(labels: { runbook: string; trigger: string; outcome: string }): void;
    approvalWaited(labels: { runbook: string; outcome: string }, seconds: number): void;
  };
}

/**
 * Incidents by severity and service: opened, acknowledged (with the time it took), escalated,
 * resolved (with the time to resolve), and updates that came due unsent.
 */
export interface IncidentMetricsSinks extends Sinks {
  incidentMetrics: {
    opened(labels: { severity: string; service: string }): void;
    acknowledged(labels: { severity: string; service: string }, seconds: number): void;
    escalated(labels: { severity: string; level: string }): void;
    resolved(labels: { severity: string; service: string }, seconds: number): void;
    updateOverdue(labels: { severity: string; channel: string }): void;
  };
}

/** Postmortems: a document, incident report or action item past its due time, once each. */
export interface PostmortemMetricsSinks extends Sinks {
  postmortemMetrics: {
    overdue(labels: { kind: 'document' | 'report' | 'item'; severity: string }): void;
  };
}

/** How a run ended, as `run_finished` says it (docs/events.md). */
export type RunEventOutcome = 'succeeded' | 'failed' | 'rejected' | 'cancelled' | 'auto_resolved';

/**
 * Operational events from workflows (docs/events.md); the worker publishes them to Redis
 * (src/worker/events.ts). Each carries the fields of its event's payload.
 */
export interface RunbookEventsSinks extends Sinks {
  runbookEvents: {
    runStarted(e: { workflowId: string; runbook: string; trigger: string; requestedBy?: string }): void;
    runFinished(e: { workflowId: string; runbook: string; trigger: string; outcome: RunEventOutcome }): void;
    approvalRequested(e: {
      workflowId: string;
      runbook: string;
      stepId: string;
      /** Identities and `group:<name>`s; empty: any approver. */
      approvers: string[];
      required: number;
      /** Asked after an emergency change went ahead (its approvals come afterwards). */
      retroactive?: true;
    }): void;
    approvalDecided(e: {
      workflowId: string;
      runbook: string;
      stepId: string;
      outcome: 'approved' | 'rejected' | 'timeout' | 'alert_resolved';
      decidedBy: string[];
      retroactive?: true;
    }): void;
    /** A failed step waits for someone to retry, skip or abort it. */
    stepPaused(e: { workflowId: string; runbook: string; stepId: string; reason: string }): void;
    /** The kill switch put a freeze in force or lifted one (from the control workflow). */
    freezeChanged(e: {
      frozen: boolean;
      freezeId: string;
      scope: FreezeScope;
      reason: string;
      changedBy: string;
    }): void;
  };
}
