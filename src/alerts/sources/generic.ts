/**
 * Generic JSON alerts, for senders with no webhook format of their own: one alert or
 * `{ "alerts": [...] }`. `startsAt` names the firing episode (send the same value in repeats and
 * in the resolution); without a fingerprint, one is derived from the labels (a fingerprint the
 * sender gives names the alert together with its labels: src/alerts/fingerprint.ts).
 */
import { z } from 'zod';
import type { AlertInstance } from '../../shared/alert';
import { labelFingerprint } from '../fingerprint';

const time = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'an RFC 3339 time');
const labels = z.record(z.string(), z.string());

const genericAlert = z
  .object({
    status: z.enum(['firing', 'resolved']),
    fingerprint: z.string().min(1).max(200).optional(),
    startsAt: time,
    endsAt: time.optional(),
    labels: labels.refine((l) => Object.keys(l).length > 0, 'at least one label'),
    annotations: labels.default({}),
    links: z.array(z.object({ name: z.string().min(1), url: z.string().min(1) }).strict()).default([]),
  })
  .strict();

export const genericPayload = z.union([z.object({ alerts: z.array(genericAlert).min(1) }).strict(), genericAlert]);
export type GenericPayload = z.infer<typeof genericPayload>;

export function normalizeGeneric(p: GenericPayload): AlertInstance[] {
  const alerts = 'alerts' in p ? p.alerts : [p];
  return alerts.map((a) => ({
    source: 'generic',
    status: a.status,
    fingerprint: a.fingerprint ?? labelFingerprint(a.labels),
    startsAt: new Date(a.startsAt).toISOString(),
    ...(a.status === 'resolved' ? { endsAt: new Date(a.endsAt ?? Date.now()).toISOString() } : {}),
    labels: a.labels,
    annotations: a.annotations,
    links: a.links,
  }));
}
