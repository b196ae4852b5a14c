/**
 * The backup and restore-verification workflows' shapes (issue 13): the plan as the API signs it
 * into a start, the inputs, and what their status queries and results report. Shared by the
 * client side (src/runs/backup-kind.ts) and the workflows (src/workflows/backup/).
 */
import { defineQuery } from '@temporalio/workflow';
import type { AlertNotice } from './alert';
import type { TriggerInfo } from './model';
import type { SignedStart } from './signed';

export type RecoveryTier = 'tier1' | 'tier2' | 'tier3';

export interface SmokeQuery {
  name: string;
  sql: string;
  expectRows?: { min?: number; max?: number };
}

/** A backup plan from configuration, compiled: durations in ms, defaults applied, the tier's objectives resolved. */
export interface BackupPlanDefinition {
  name: string;
  database: string;
  store: string;
  prefix?: string;
  tier: RecoveryTier;
  objectives: { rtoMs: number; rpoMs: number };
  checksums: boolean;
  compress?: number;
  timeoutMs: number;
  retention: { keepAllDays: number; keepDailyDays: number; keepLast: number; incompleteAfterHours: number };
  notify?: string;
  rpoFrom: 'backups' | 'wal-archive';
  verify: {
    /** The configured database whose server receives the scratch restores. */
    on: string;
    olderSample: number;
    smoke: SmokeQuery[];
    jobs: number;
    timeoutMs: number;
    scratchPrefix: string;
  };
}

export interface BackupWorkflowInput {
  plan: BackupPlanDefinition;
  trigger?: TriggerInfo;
  /** The API's signature over the start: the plan's digest, the trigger (the workflow verifies it). */
  signed?: SignedStart;
  /** An alert route's notification (a route may start a backup). */
  alert?: AlertNotice;
}
export type RestoreVerificationInput = BackupWorkflowInput;

export type BackupPhase = 'starting' | 'backing-up' | 'pruning' | 'done' | 'failed';

/** The RPO available now: how old the data a restore would give is, against the tier's objective. */
export interface RpoReading {
  /** null: nothing to restore from (no backup, or no WAL archived yet). */
  seconds: number | null;
  objectiveSeconds: number;
  met: boolean;
  from: 'backups' | 'wal-archive';
}

export interface BackupStatus {
  plan: string;
  database: string;
  store: string;
  phase: BackupPhase;
  startedAt: string;
  backup?: {
    id: string;
    sizeBytes: number;
    durationMs: number;
    snapshotAt: string;
    tables: number;
    rows: number;
    /** false: a retry (or the same key again) found this backup complete. */
    created: boolean;
  };
  /** Complete backups in the store after retention, and the newest one's age. */
  backups?: { count: number; incomplete: number; unreadable: string[] };
  rpo?: RpoReading;
  retention?: { kept: number; deleted: string[] };
  error?: { message: string; type?: string };
  finishedAt?: string;
}

export type VerificationPhase = 'starting' | 'listing' | 'restoring' | 'done' | 'failed';

export interface SampleReport {
  backupId: string;
  /** newest, or a randomly chosen older one. */
  role: 'newest' | 'older';
  snapshotAt: string;
  /** The scratch database it was restored into (dropped after). */
  into: string;
  ok: boolean;
  restoreMs?: number;
  /** How old the backup's data was when it was restored. */
  backupAgeSeconds?: number;
  tables?: number;
  rows?: number;
  smoke: Array<{ name: string; ok: boolean; rows?: number; error?: string }>;
  dropped: boolean;
  error?: { message: string; type?: string };
}

export interface VerificationStatus {
  plan: string;
  database: string;
  phase: VerificationPhase;
  startedAt: string;
  samples: SampleReport[];
  /** Restore time (the slowest sample's) against the tier's RTO; the data's age against its RPO. */
  objectives?: {
    tier: RecoveryTier;
    rtoSeconds: number;
    restoreSeconds: number | null;
    rtoMet: boolean;
    rpo: RpoReading;
  };
  /** Every sample restored, verified and smoke-tested, and every objective met. */
  ok?: boolean;
  /** What went wrong, one line each: what the alert said. */
  problems: string[];
  finishedAt?: string;
}

export const backupStatusQuery = defineQuery<BackupStatus>('backupStatus');
export const verificationStatusQuery = defineQuery<VerificationStatus>('verificationStatus');
