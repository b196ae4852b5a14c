/**
 * Message templates rendered with the expression language, in the worker: the configuration's
 * texts (validated when loaded) over a scope the sender builds. What the scope lacks renders as
 * `<path>`, so a message with a gap still goes out and says what was missing.
 */
import type { MessageTemplate, MessageTemplates, StatusKind } from '../../config/notify-templates';
import type { MessageEventKind } from '../../config/notify-templates';
import type { MessageEvent } from '../../shared/message-events';
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

/**
 * A notice's text from its event's template, when it has an event: the scope the run sent plus
 * `run.url`. Without an event, or when the template renders empty, the text as given.
 */
export function noticeText(
  templates: MessageTemplates,
  event: MessageEvent | undefined,
  given: { title?: string; text: string },
  runUrl: string,
): { title?: string; text: string } {
  if (!event) return given;
  const run = (event.scope.run ?? {}) as Record<string, unknown>;
  const rendered = renderEvent(templates, event.kind, { ...event.scope, run: { ...run, url: runUrl } });
  if (!rendered.text.trim()) return given;
  return {
    ...(rendered.title ? { title: rendered.title } : given.title ? { title: given.title } : {}),
    text: rendered.text,
  };
}
