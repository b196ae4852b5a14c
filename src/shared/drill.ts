/**
 * A chaos drill's report (issue 14): what the drill workflow keeps as it runs and answers in
 * its `drillReport` query and result, rendered by drill-report.ts (verdict, Markdown, metrics
 * over many drills) and drill-svg.ts (the timeline picture). Times are ISO strings from the
 * workflow's clock, so the report replays the same.
 */
import { defineQuery } from '@temporalio/workflow';
import type { ExperimentDefinition } from './experiment';
import type { TriggerInfo } from './model';
import type { SignedStart } from './signed';

export interface DrillWorkflowInput {
  experiment: ExperimentDefinition;
  trigger?: TriggerInfo;
  signed?: SignedStart;
  /** Who may decide: the approver groups as configured when it started (signed with the start). */
  approverGroups?: Record<string, string[]>;
}
export const DRILL_PHASES = ['steady-state', 'approval', 'inject', 'observe', 'rollback', 'verify'] as const;
export type DrillPhaseName = (typeof DRILL_PHASES)[number];

export interface DrillPhase {
  name: DrillPhaseName;
  startedAt: string;
  endedAt?: string;
  durationMs?: number;
}

/** One reading of one probe. */
export interface ProbeReading {
  at: string;
  probe: string;
  ok: boolean;
  /** The number it read (Prometheus, ready replicas, rows, status code), when it has one. */
  value?: number | null;
  /** Why it deviated (or what it saw). */
  detail?: string;
}

/** One thing the drill did that changed something, or undid it. */
export interface DrillAction {
  name: string;
  action: string;
  at: string;
  ok: boolean;
  error?: string;
}

export type DrillOutcome =
  | 'running'
  /** The hypothesis held before, recovered within the objective, and held after the rollback. */
  | 'passed'
  /** Injected, but detection or recovery missed its objective, or the hypothesis failed after. */
  | 'failed'
  /** Stopped on a real incident, a deviation named in `abort`, a freeze, or a cancel; rolled back. */
  | 'aborted'
  /** Not started: the steady state did not hold, a blackout window, the budget, a rejection. */
  | 'refused';

export interface DrillReport {
  experiment: string;
  version: string;
  title: string;
  outcome: DrillOutcome;
  startedAt: string;
  finishedAt?: string;
  requestedBy: string;
  phases: DrillPhase[];
  /** Every probe reading, in order: before (steady state), during (inject, observe), after (verify). */
  readings: ProbeReading[];
  /** The hypothesis in each part: did every probe hold? (null: not checked). */
  hypothesis: { before: boolean | null; during: boolean | null; after: boolean | null };
  faults: DrillAction[];
  /** When the first fault went in: the clock detection and recovery are measured from. */
  injectedAt?: string;
  detection?: {
    alert: string;
    objectiveMs: number;
    firedAt?: string;
    ms: number | null;
    met: boolean | null;
  };
  recovery: {
    objectiveMs: number;
    /** The hypothesis held again (after the last deviation), or the remediation finished. */
    recoveredAt?: string;
    ms: number | null;
    met: boolean | null;
    by: 'hypothesis' | 'remediation' | null;
  };
  remediation?: { runbook: string; workflowId: string; outcome: 'running' | 'succeeded' | 'failed' };
  rollbacks: DrillAction[];
  abort?: {
    reason: 'deviation' | 'unrelated-alert' | 'freeze' | 'cancelled' | 'budget';
    detail: string;
    at: string;
  };
  /** Why it was refused or failed, in words. */
  error?: string;
  events: Array<{ at: string; phase: DrillPhaseName; what: string; ok: boolean }>;
}

export const drillReportQuery = defineQuery<DrillReport>('drillReport');
