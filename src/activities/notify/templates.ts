/**
 * Message templates rendered with the expression language, in the worker: the configuration's
 * texts (validated when loaded) over a scope the sender builds. What the scope lacks renders as
 * `<path>`, so a message with a gap still goes out and says what was missing.
 */
import type { MessageTemplate, MessageTemplates, StatusKind } from '../../config/notify-templates';
import type { MessageEventKind } from '../../config/notify-templates';
import { render, toText, type Scope } from '../../shared/template';

/** Renders one template text; text that fails to evaluate is sent as written (never fails a send). */
export function renderText(text: string, scope: Scope): string {
  try {
    return toText(render(text, scope));
  } catch {
    return text;
  }
}

/** The title and text for an event kind. */
export function renderEvent(
  templates: MessageTemplates,
  kind: MessageEventKind,
  scope: Scope,
): { title?: string; text: string } {
  const t: MessageTemplate = templates.events[kind];
  return { ...(t.title ? { title: renderText(t.title, scope) } : {}), text: renderText(t.text, scope) };
}

/** A status page body for a status (the seeds' four by default). */
export function renderStatus(templates: MessageTemplates, status: StatusKind, scope: Scope): string {
  return renderText(templates.status[status], scope);
}
