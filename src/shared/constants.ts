import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** The task queue every runbook worker polls. */
export const RUNBOOK_TASK_QUEUE = 'runbooks';

/** Workflow type names, as the Web UI and the HTTP API know them. */
export const RUNBOOK_WORKFLOW = 'runbookWorkflow';
/** One per incident (src/workflows/incident). */
export const INCIDENT_WORKFLOW = 'incidentWorkflow';
/** One per postmortem, started by its incident at resolution (src/workflows/postmortem). */
export const POSTMORTEM_WORKFLOW = 'postmortemWorkflow';
/** A backup plan's backup and its retention (src/workflows/backup). */
export const BACKUP_WORKFLOW = 'backupWorkflow';
/** A backup plan's restore verification: scratch restores of the newest and a sample of older backups. */
export const RESTORE_VERIFICATION_WORKFLOW = 'restoreVerificationWorkflow';
/** A database's failover to its standby, in the seeds' phases, with its RTO/RPO report. */
export const FAILOVER_WORKFLOW = 'failoverWorkflow';
export const CHAOS_DRILL_WORKFLOW = 'chaosDrillWorkflow';

/**
 * Search attributes the product registers and sets, so runs are easy to find in the Web UI
 * (e.g. `RunbookId = "service-down" AND Phase = "waiting_approval"`).
 */
export const SA = {
  runbookId: defineSearchAttributeKey('RunbookId', SearchAttributeType.KEYWORD),
  service: defineSearchAttributeKey('Service', SearchAttributeType.KEYWORD),
  severity: defineSearchAttributeKey('Severity', SearchAttributeType.KEYWORD),
  triggerSource: defineSearchAttributeKey('TriggerSource', SearchAttributeType.KEYWORD),
  phase: defineSearchAttributeKey('Phase', SearchAttributeType.KEYWORD),
  requestedBy: defineSearchAttributeKey('RequestedBy', SearchAttributeType.KEYWORD),
  /**
   * Incidents and postmortems: the incident they are about. Their state is `Phase` and their
   * severity and service the attributes above: SQL visibility allows 10 custom Keyword
   * attributes per namespace, and these seven leave three for the workflow kinds to come.
   */
  incidentId: defineSearchAttributeKey('IncidentId', SearchAttributeType.KEYWORD),
} as const;

/** `--search-attribute` / operator registration form: name and Temporal type name. */
export const SEARCH_ATTRIBUTE_REGISTRATIONS: ReadonlyArray<{ name: string; type: 'Keyword' }> = Object.values(SA).map(
  (k) => ({ name: k.name, type: 'Keyword' as const }),
);
