/**
 * PagerDuty webhooks v3 (webhook subscriptions): one event per delivery, `event.data` the
 * incident. A triggered incident fires, a resolved one resolves; the incident id and its creation
 * time name the episode. Other incident events (acknowledged, escalated...) are not alerts to act on.
 */
import { z } from 'zod';
import type { AlertInstance, AlertStatus } from '../../shared/alert';

const time = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'an RFC 3339 time');
const ref = z.looseObject({
  id: z.string().optional(),
  summary: z.string().optional(),
  html_url: z.string().optional(),
});

export const pagerdutyPayload = z.looseObject({
  event: z.looseObject({
    id: z.string().min(1),
    event_type: z.string().min(1),
    resource_type: z.string(),
    occurred_at: time,
    data: z.looseObject({
      id: z.string().min(1),
      type: z.string().optional(),
      html_url: z.string().optional(),
      number: z.number().optional(),
      status: z.string().optional(),
      incident_key: z.string().nullish(),
      created_at: time.optional(),
      title: z.string().optional(),
      urgency: z.string().optional(),
      service: ref.optional(),
      priority: ref.nullish(),
    }),
  }),
});
export type PagerdutyPayload = z.infer<typeof pagerdutyPayload>;

const STATUS: Record<string, AlertStatus> = { 'incident.triggered': 'firing', 'incident.resolved': 'resolved' };

/** The alert an event means, or why it is not one. */
export function normalizePagerduty(p: PagerdutyPayload): { alert: AlertInstance } | { ignored: string } {
  const e = p.event;
  const status = e.resource_type === 'incident' ? STATUS[e.event_type] : undefined;
  if (!status) return { ignored: `${e.event_type} is not acted on (incident.triggered and incident.resolved are)` };
  const d = e.data;
  const labels: Record<string, string> = { alertname: d.title ?? `PagerDuty incident ${d.id}` };
  if (d.service?.summary) labels.service = d.service.summary;
  if (d.urgency) labels.urgency = d.urgency;
  if (d.priority?.summary) labels.priority = d.priority.summary;
  if (d.incident_key) labels.incident_key = d.incident_key;
  if (d.number !== undefined) labels.incident_number = String(d.number);
  return {
    alert: {
      source: 'pagerduty',
      status,
      fingerprint: d.id,
      startsAt: new Date(d.created_at ?? e.occurred_at).toISOString(),
      ...(status === 'resolved' ? { endsAt: new Date(e.occurred_at).toISOString() } : {}),
      labels,
      annotations: d.title ? { summary: d.title } : {},
      links: d.html_url ? [{ name: 'incident', url: d.html_url }] : [],
    },
  };
}
