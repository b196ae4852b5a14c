/**
 * The DR failover workflow's shapes (issue 13): the plan as the API signs it into a start, and
 * the report it keeps (phases timed, the RTO and RPO achieved against the tier's objectives),
 * rendered as Markdown by src/shared/failover-report.ts.
 */
import { defineQuery } from '@temporalio/workflow';
import type { RecoveryTier, SmokeQuery } from './backup';
import type { ParamValue, TriggerInfo } from './model';
import type { SignedStart } from './signed';

export interface RunbookRef {
  runbook: string;
  params: Record<string, ParamValue>;
}

export interface FailoverPlanDefinition {
  name: string;
  primary: string;
  standby: string;
  tier: RecoveryTier;
  objectives: { rtoMs: number; rpoMs: number };
  approvers?: string[];
  approvalTimeoutMs: number;
  promoteWaitSeconds: number;
  /** `sync`: the standby is synchronous, so a promotion loses no acknowledged commit. */
  replication: 'async' | 'sync';
  traffic?: RunbookRef & { undo?: RunbookRef };
  deploy: RunbookRef[];
  smoke: SmokeQuery[];
  integrity: Array<{ name: string; sql: string }>;
  notify?: string;
  /** Restore mode: a backup restored onto the standby site instead of a standby promoted. */
  restore?: LogicalRestore | PitrRestore;
  /** A drill: against the plan's standby environment, its starting state restored after. */
  drill?: { reset: RunbookRef[]; archiveStore?: string };
}

/** The newest logical backup restored onto `standby`'s server. */
export interface LogicalRestore {
  /** Absent in plans signed before there was a PITR mode. */
  mode?: 'logical';
  from: string;
  store: string;
  prefix?: string;
  /** The database name it gets on the standby's server (its configured `database`). */
  into: string;
  jobs: number;
  timeoutMs: number;
}

/**
 * The primary's base backup and archived WAL recovered (pg:pitr:restore) into a new cluster on
 * the worker's host, serving on `standby`'s port: the standby site for a primary without a replica.
 */
export interface PitrRestore {
  mode: 'pitr';
  /** The primary's name under `databases:`: whose archive (`pitr/<database>/`) is read. */
  database: string;
  store: string;
  prefix?: string;
  cluster: string;
  port: number;
  listen: string;
  /** The last safe point: `latest` (the end of the archive) or the time the failover was started with. */
  targetTime: string;
  timeoutMs: number;
}

export interface FailoverWorkflowInput {
  plan: FailoverPlanDefinition;
  trigger?: TriggerInfo;
  signed?: SignedStart;
  /** Who may decide: the approver groups as configured when it started (signed with the start). */
  approverGroups?: Record<string, string[]>;
}

export const FAILOVER_PHASES = ['assessment', 'approval', 'failover', 'validation', 'communication', 'reset'] as const;
export type FailoverPhaseName = (typeof FAILOVER_PHASES)[number];

export interface PhaseTiming {
  name: FailoverPhaseName;
  startedAt: string;
  endedAt?: string;
  durationMs?: number;
}

/** One thing the failover did, in order: what the timeline shows. */
export interface FailoverEvent {
  at: string;
  phase: FailoverPhaseName;
  what: string;
  ok: boolean;
}

export interface FailoverReport {
  plan: string;
  tier: RecoveryTier;
  outcome: 'running' | 'succeeded' | 'failed' | 'rejected' | 'timed-out';
  startedAt: string;
  finishedAt?: string;
  phases: PhaseTiming[];
  events: FailoverEvent[];
  assessment?: {
    primaryReachable: boolean;
    primaryError?: string;
    standbyInRecovery: boolean;
    /** The standby's replay lag as the primary saw it (bytes), when the primary answered. */
    lagBytes: number | null;
    /** now() minus the last commit the standby replayed: how much time of writes may be missing. */
    replayDelaySeconds: number | null;
  };
  approval?: { waitMs: number; by: string[] };
  promoted?: { lsn: string; timeline: number; durationMs: number; changed: boolean };
  /** Restore mode: the backup restored onto the standby's server, proved against its manifest. */
  restored?: {
    backupId: string;
    snapshotAt: string;
    backupAgeSeconds: number;
    tables: number;
    rows: number;
    durationMs: number;
  };
  /** PITR restore mode: the cluster recovered from the base backup and the WAL archive. */
  recovered?: {
    cluster: string;
    backupId: string;
    baseConsistentAt: string;
    targetTime: string;
    /** The last commit recovery applied: every write after it is lost (or, to a target, left out). */
    reachedTime: string | null;
    endedAtArchiveEnd: boolean;
    segmentsRestored: number;
    durationMs: number;
  };
  smoke: Array<{ name: string; ok: boolean; rows?: number; error?: string }>;
  integrity: Array<{ name: string; before: number | null; after: number | null; lost: number | null; error?: string }>;
  /** Time from the start to a validated standby, the approval wait excluded. */
  rto?: { seconds: number; objectiveSeconds: number; met: boolean };
  /**
   * Data lost: rows (the integrity probes, when the primary answered before) and seconds (at
   * most the standby's replay delay when the primary was gone).
   */
  rpo?: {
    rows: number | null;
    seconds: number | null;
    objectiveSeconds: number;
    /** null: not measurable (the primary was gone and no probe could compare). */
    met: boolean | null;
    /**
     * What the figures rest on: the integrity probes before and after; a synchronous standby
     * (every acknowledged commit was on it); the standby's replay delay (an upper bound); the
     * restored backup's age; the WAL archive's last commit recovered; or nothing.
     */
    basis: 'probes' | 'synchronous-standby' | 'replay-delay' | 'backup-age' | 'wal-archive' | 'none';
  };
  compensations: string[];
  error?: { message: string; type?: string; phase?: FailoverPhaseName };
  /** A drill: the reset runbooks' outcome, where its report was kept, and the drills before it. */
  drill?: {
    reset: Array<{ runbook: string; ok: boolean; error?: string }>;
    archived?: string;
    archiveError?: string;
    previous: Array<{
      startedAt: string;
      outcome: string;
      rtoSeconds: number | null;
      rpoSeconds: number | null;
      rpoRows: number | null;
    }>;
  };
}

export const failoverReportQuery = defineQuery<FailoverReport>('failoverReport');
