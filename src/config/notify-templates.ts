/**
 * Message templates, with the shipped defaults: the status page's four bodies are the seeds'
 * (shared/seeds 002, "templates"), their `[issue]` and `[root cause]` placeholders written as
 * `${{ issue }}` and `${{ rootCause }}`. The configuration's `notify.templates` replaces any of them.
 */
import {
  MESSAGE_EVENT_KINDS,
  STATUS_KINDS,
  type MessageEventKind,
  type MessageTemplatesConfig,
  type StatusKind,
} from './notify-schema';

export type { MessageEventKind, StatusKind } from './notify-schema';

export interface MessageTemplate {
  title?: string;
  text: string;
}

/** Every template, defaults filled in (docs/notifications.md#templates lists the scope of each). */
export interface MessageTemplates {
  events: Record<MessageEventKind, MessageTemplate>;
  status: Record<StatusKind, string>;
}

export const DEFAULT_STATUS_TEMPLATES: Readonly<Record<StatusKind, string>> = {
  investigating: 'We are investigating reports of ${{ issue }}. Our team is actively working on a resolution.',
  identified: 'We have identified the cause as ${{ rootCause }} and are implementing a fix.',
  monitoring: 'A fix has been implemented and we are monitoring the results.',
  resolved: 'This incident has been resolved. All systems are operating normally.',
};

export const DEFAULT_EVENT_TEMPLATES: Readonly<Record<MessageEventKind, MessageTemplate>> = {
  run_started: { title: '${{ runbook.title }}', text: 'Run started by ${{ run.trigger }}: ${{ run.workflowId }}' },
  run_finished: { title: '${{ runbook.title }}', text: 'Run ${{ run.phase }}: ${{ run.workflowId }}' },
  approval_requested: {
    title: 'Approval needed: ${{ step.title }}',
    text: '${{ runbook.title }} waits for approval of step ${{ step.id }} (${{ run.workflowId }})',
  },
  approval_decided: {
    title: '${{ decision.outcome }}: ${{ step.title }}',
    text: '${{ decision.by }} ${{ decision.outcome }} step ${{ step.id }} of ${{ run.workflowId }}',
  },
  step_paused: {
    title: 'Paused: ${{ step.title }}',
    text: 'Step ${{ step.id }} of ${{ run.workflowId }} failed and waits: retry, skip or abort',
  },
  escalation: { title: 'Escalation: ${{ runbook.title }}', text: '${{ escalation.reason }} (${{ run.workflowId }})' },
  alert_resolved: {
    title: 'Resolved: ${{ alert.name }}',
    text: 'The alert that started ${{ run.workflowId }} has resolved',
  },
};

/** The configuration's templates over the defaults. */
export function messageTemplatesOf(written: MessageTemplatesConfig | undefined): MessageTemplates {
  const events = {} as Record<MessageEventKind, MessageTemplate>;
  for (const k of MESSAGE_EVENT_KINDS) events[k] = written?.events?.[k] ?? DEFAULT_EVENT_TEMPLATES[k];
  const status = {} as Record<StatusKind, string>;
  for (const k of STATUS_KINDS) status[k] = written?.status?.[k] ?? DEFAULT_STATUS_TEMPLATES[k];
  return { events, status };
}
