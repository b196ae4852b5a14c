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

/**
 * What each notice says by default. The last three are the texts the run sent before templates
 * (docs/notifications.md#notices-the-run-sends-itself); the first four are the Slack message's
 * notification text (the run's card and its thread).
 */
export const DEFAULT_EVENT_TEMPLATES: Readonly<Record<MessageEventKind, MessageTemplate>> = {
  run_started: { text: '${{ runbook.title }}: ${{ run.phase }} (${{ run.workflowId }})' },
  run_finished: { text: '${{ runbook.title }}: ${{ run.phase }} (${{ run.workflowId }})' },
  approval_requested: { text: 'Approval needed: ${{ step.id }} of ${{ runbook.title }} (${{ run.workflowId }})' },
  approval_decided: { text: '${{ step.id }} of ${{ runbook.title }}: ${{ decision }}' },
  step_paused: {
    text: "Step '${{ step.id }}' of ${{ runbook.title }} is paused after failing (${{ step.error }}) and needs a decision.",
  },
  escalation: {
    text: "Approval '${{ step.id }}' of ${{ runbook.title }} had no decision in time; escalated to ${{ escalation.to }}.",
  },
  alert_resolved: {
    text: '${{ runbook.title }}: ${{ reason }}. The run (${{ run.workflowId }}) made no further changes.',
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
