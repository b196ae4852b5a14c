/**
 * Alertmanager (webhook payload version 4) and Grafana alerting send the same shape: a group of
 * alerts, each with status, labels, annotations, startsAt/endsAt and a fingerprint. Unknown
 * fields are ignored (senders add some between versions); the fields we use are checked.
 */
import { z } from 'zod';
import type { AlertInstance, AlertLink, AlertSource } from '../../shared/alert';

const ZERO_TIME = '0001-01-01T00:00:00Z';
const time = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'an RFC 3339 time');
const labels = z.record(z.string(), z.string());
const url = z.string().optional();

const alert = z.looseObject({
  status: z.enum(['firing', 'resolved']),
  labels,
  annotations: labels.default({}),
  startsAt: time,
  endsAt: time.optional(),
  generatorURL: url,
  fingerprint: z.string().min(1),
  // Grafana
  silenceURL: url,
  dashboardURL: url,
  panelURL: url,
});

export const alertmanagerPayload = z.looseObject({
  version: z.literal('4', { message: "Alertmanager webhook payload version '4' is expected" }),
  groupKey: z.string(),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string(),
  externalURL: z.string().optional(),
  alerts: z.array(alert).min(1),
});

export const grafanaPayload = z.looseObject({
  status: z.enum(['firing', 'resolved']),
  receiver: z.string().optional(),
  externalURL: z.string().optional(),
  alerts: z.array(alert).min(1),
});

type PromAlert = z.infer<typeof alert>;

function links(a: PromAlert): AlertLink[] {
  const out: AlertLink[] = [];
  for (const [name, v] of [
    ['source', a.generatorURL],
    ['silence', a.silenceURL],
    ['dashboard', a.dashboardURL],
    ['panel', a.panelURL],
  ] as const) {
    if (typeof v === 'string' && v !== '') out.push({ name, url: v });
  }
  return out;
}

export function normalizePrometheusLike(
  source: Extract<AlertSource, 'alertmanager' | 'grafana'>,
  alerts: PromAlert[],
): AlertInstance[] {
  return alerts.map((a) => ({
    source,
    status: a.status,
    fingerprint: a.fingerprint,
    startsAt: new Date(a.startsAt).toISOString(),
    ...(a.status === 'resolved' && a.endsAt && a.endsAt !== ZERO_TIME
      ? { endsAt: new Date(a.endsAt).toISOString() }
      : {}),
    labels: a.labels,
    annotations: a.annotations,
    links: links(a),
  }));
}
