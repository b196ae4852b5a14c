/**
 * PagerDuty Events API v2, outbound (the inbound alert source is src/alerts/sources/pagerduty*).
 * `POST <base>/v2/enqueue` with the routing key in the body: it is the credential, so it is a
 * named secret bound to the target's host, resolved here and redacted from every answer.
 */
import { createHash } from 'node:crypto';
import type { StepContext } from '../../shared/activity-types';
import { PAGERDUTY_SEVERITY, type NotifyPagerDutyEventInput, type PagerDutySeverity } from '../../catalog/pagerduty';
import type { PagerDutyTarget } from '../../config/load';
import { readCapped, safeFetch } from '../safe-fetch';
import { answerFailure } from './retry-after';
import type { NotifyDeps } from './targets';

/** PagerDuty's answers are short JSON; more than this is not read. */
const MAX_ANSWER_BYTES = 16 * 1024;

/** An event as sent, but for `routing_key` (added at the last moment, never kept). */
export interface PagerDutyEvent {
  event_action: 'trigger' | 'acknowledge' | 'resolve';
  dedup_key: string;
  payload?: {
    summary: string;
    source: string;
    severity: PagerDutySeverity;
    component?: string;
    group?: string;
    class?: string;
    custom_details: Record<string, unknown>;
  };
  client?: string;
  client_url?: string;
  links?: Array<{ href: string; text: string }>;
}

/** The run's workflow id, so every event of one run is about one alert (PagerDuty allows 255). */
export function defaultDedupKey(ctx: StepContext): string {
  return ctx.workflowId.length <= 255
    ? ctx.workflowId
    : `sha256:${createHash('sha256').update(ctx.workflowId).digest('hex')}`;
}

/** What unknown severities (free text in `notify:` steps) become. */
export function pagerDutySeverity(severity: string | undefined): PagerDutySeverity {
  const s = severity?.toLowerCase();
  return s && Object.prototype.hasOwnProperty.call(PAGERDUTY_SEVERITY, s)
    ? PAGERDUTY_SEVERITY[s as keyof typeof PAGERDUTY_SEVERITY]
    : 'warning';
}

/** An event about the run: links back to it, the run's fields in `custom_details`. */
export function pagerDutyEvent(
  deps: Pick<NotifyDeps, 'runUrl'>,
  input: NotifyPagerDutyEventInput,
  source: string | undefined,
  ctx: StepContext,
): PagerDutyEvent {
  const dedup = input.dedupKey ?? defaultDedupKey(ctx);
  if (input.action !== 'trigger') return { event_action: input.action, dedup_key: dedup };
  const url = deps.runUrl(ctx.workflowId);
  return {
    event_action: 'trigger',
    dedup_key: dedup,
    payload: {
      summary: input.summary ?? '',
      source: input.source ?? source ?? ctx.runbookId,
      severity: PAGERDUTY_SEVERITY[input.severity],
      ...(input.component ? { component: input.component } : {}),
      ...(input.group ? { group: input.group } : {}),
      ...(input.class ? { class: input.class } : {}),
      custom_details: {
        ...(input.customDetails ?? {}),
        runbook: ctx.runbookId,
        workflowId: ctx.workflowId,
        step: ctx.stepId,
      },
    },
    client: 'durable-runbooks',
    client_url: url,
    links: [{ href: url, text: `Run ${ctx.workflowId}` }],
  };
}

/** PagerDuty's own words for a refusal: `message` and the `errors` array. */
function refusalOf(text: string): string {
  try {
    const b = JSON.parse(text) as { message?: unknown; errors?: unknown };
    const errors = Array.isArray(b.errors) ? b.errors.filter((e): e is string => typeof e === 'string') : [];
    const parts = [typeof b.message === 'string' ? b.message : undefined, ...errors].filter(Boolean);
    if (parts.length) return parts.join('; ').slice(0, 1000);
  } catch {
    // not JSON: the text itself, below
  }
  return text.slice(0, 300) || 'no message';
}

export function createPagerDutySender(deps: Omit<NotifyDeps, 'targets'>) {
  /** Sends one event; answers the HTTP status and the dedup key PagerDuty applied it to. */
  async function send(
    name: string,
    target: PagerDutyTarget,
    event: PagerDutyEvent,
  ): Promise<{ status: number; dedupKey: string }> {
    const url = `${target.baseUrl}/v2/enqueue`;
    // Checked against secrets.<name>.sendTo before any request: the key goes to its host only.
    const routingKey = await deps.secrets.resolveFor(target.routingKeySecret, url);
    const res = await safeFetch(deps, {
      url,
      init: {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ routing_key: routingKey, ...event }),
        signal: AbortSignal.timeout(10_000),
      },
      carriesSecrets: true,
    });
    const { text } = await readCapped(res, MAX_ANSWER_BYTES);
    if (res.ok) {
      const applied = safeDedupKey(text) ?? event.dedup_key;
      return { status: res.status, dedupKey: applied };
    }
    const message = `pagerduty '${name}' answered ${res.status}`;
    throw answerFailure(message, res, () => refusalOf(text));
  }
  return { send };
}

function safeDedupKey(text: string): string | undefined {
  try {
    const k = (JSON.parse(text) as { dedup_key?: unknown }).dedup_key;
    return typeof k === 'string' && k.length > 0 ? k : undefined;
  } catch {
    return undefined;
  }
}
