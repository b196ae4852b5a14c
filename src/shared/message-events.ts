/**
 * The event kinds a message template is written for (`notify.templates.events.<kind>`), and what a
 * workflow sends with a notice so the worker can render the configured text: the kind and the
 * values the template may name. Workflow-safe (the run builds the scope).
 */
import type { JsonObject } from './model';

export const MESSAGE_EVENT_KINDS = [
  'run_started',
  'run_finished',
  'approval_requested',
  'approval_decided',
  'step_paused',
  'escalation',
  'alert_resolved',
] as const;
export type MessageEventKind = (typeof MESSAGE_EVENT_KINDS)[number];

/** A notice's event: its kind and the template's scope (`runbook`, `run`, `step`, ...). */
export interface MessageEvent {
  kind: MessageEventKind;
  scope: JsonObject;
}
