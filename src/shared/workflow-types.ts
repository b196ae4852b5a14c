import type { AlertNotice } from './alert';
import type { ParamValue, RunbookDefinition, TriggerInfo } from './model';
import type { SignedStart } from './signed';

/**
 * Input of `runbookWorkflow`. The API, CLI and schedules pass the compiled `runbook`, pinning the
 * version the run uses. The Web UI can pass just `runbookId` and params: the worker then loads and
 * validates the current version once, and that result is recorded in history.
 */
export interface RunbookWorkflowInput {
  /**
   * The API's signed start (src/shared/signed.ts): the run takes its params, trigger, approver
   * groups, emergency and dry run from here, never from the fields below (kept for runs from
   * before signing). Absent: a Web UI start by `runbookId` and `params` only.
   */
  signed?: SignedStart;
  runbook?: RunbookDefinition;
  runbookId?: string;
  params?: Record<string, ParamValue>;
  /** Run read-only steps for real; record what mutating steps would have done. @default false */
  dryRun?: boolean;
  /** @default { source: 'web-ui', requestedBy: 'web-ui' } */
  trigger?: TriggerInfo;
  /** Members of the approver groups the runbook names, resolved from configuration at start. */
  approverGroups?: Record<string, string[]>;
  /** An emergency change: approvals that allow it take one vote now and the rest afterwards. */
  emergency?: boolean;
  /** Runs started by an alert: the notification that started it (later ones arrive as signals). */
  alert?: AlertNotice;
  /**
   * The starter set the run's search attributes (runbook, trigger, requester, service, severity)
   * when it started it, so the run writes only those that differ. @default false
   */
  attributesSet?: boolean;
  /** The first wait before a frozen run asks the kill switch again (it is woken sooner). @default 60000 */
  freezePollMs?: number;
}

export interface ResolveRunbookInput {
  runbookId: string;
  params: Record<string, unknown>;
  /** Started without the API's signature (the Web UI's form): configuration may forbid it. */
  unsigned?: boolean;
}

export interface ResolveRunbookResult {
  runbook: RunbookDefinition;
  params: Record<string, ParamValue>;
  approverGroups: Record<string, string[]>;
}
