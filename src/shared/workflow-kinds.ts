/**
 * The kinds of workflow a trigger (the API, an alert route, a schedule) can start. Configuration
 * names them (`alerts.routes[].kind`), so the list lives here, where every room may read it; how
 * each kind is started is its entry in the client-side registry (`src/runs/kinds.ts`), which the
 * type checker holds complete against this list.
 */
export const WORKFLOW_KINDS = [
  'runbook',
  'incident',
  'backup',
  'restore-verification',
  'dr-failover',
  'chaos-drill',
] as const;
export type WorkflowKind = (typeof WORKFLOW_KINDS)[number];

/** What a trigger starts when it names no kind. */
export const DEFAULT_WORKFLOW_KIND: WorkflowKind = 'runbook';

export function isWorkflowKind(v: unknown): v is WorkflowKind {
  return typeof v === 'string' && (WORKFLOW_KINDS as readonly string[]).includes(v);
}
