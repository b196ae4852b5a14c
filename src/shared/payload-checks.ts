/**
 * Every signal and update payload is hostile until checked: a Temporal client can send anything
 * (`{}`, wrong types, megabytes). These checks run in the handlers, before a payload touches a
 * run's state; a payload that fails is refused (updates) or noted and ignored (signals), and the
 * run goes on. Hand-written, because workflow code may use no validation package. Pure.
 */
import { ALERT_SOURCES, type AlertInstance, type AlertNotice } from './alert';
import type { LockAnswer, LockRequest } from './coordination';

export type Checked<T> = { ok: T } | { error: string };

/** Longest string a message field may carry (an annotation, a label value). */
export const MAX_FIELD_CHARS = 4096;
const MAX_ENTRIES = 200;
const MAX_LINKS = 50;

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const str = (v: unknown, max = MAX_FIELD_CHARS): v is string => typeof v === 'string' && v.length <= max;
const id = (v: unknown): v is string => str(v, 256) && v !== '';

/** Bounds off: the shape only (runs from before the bounds replay the notices they took then). */
export interface CheckOptions {
  bounds?: boolean;
}

function stringMap(v: unknown, field: string, o: CheckOptions): Checked<Record<string, string>> {
  if (!isObject(v)) return { error: `${field} must be an object of strings` };
  const bounded = o.bounds !== false;
  const entries = Object.entries(v);
  if (bounded && entries.length > MAX_ENTRIES) return { error: `${field} has more than ${MAX_ENTRIES} entries` };
  for (const [k, x] of entries)
    if (typeof x !== 'string' || (bounded && (!str(k, 256) || !str(x))))
      return { error: `${field}.${k.slice(0, 64)} must be a string of at most ${MAX_FIELD_CHARS}` };
  return { ok: v as Record<string, string> };
}

function alertInstance(v: unknown, o: CheckOptions): Checked<AlertInstance> {
  const bounded = o.bounds !== false;
  if (!isObject(v)) return { error: 'alert must be an object' };
  if (!(ALERT_SOURCES as readonly unknown[]).includes(v.source)) return { error: 'alert.source is not a known source' };
  if (v.status !== 'firing' && v.status !== 'resolved') return { error: "alert.status must be 'firing' or 'resolved'" };
  if (typeof v.fingerprint !== 'string' || (bounded && !id(v.fingerprint)))
    return { error: 'alert.fingerprint must be a string' };
  if (typeof v.startsAt !== 'string' || (bounded && !str(v.startsAt, 64)))
    return { error: 'alert.startsAt must be a time' };
  if (v.endsAt !== undefined && (typeof v.endsAt !== 'string' || (bounded && !str(v.endsAt, 64))))
    return { error: 'alert.endsAt must be a time' };
  for (const f of ['labels', 'annotations'] as const) {
    const m = stringMap(v[f], `alert.${f}`, o);
    if ('error' in m) return m;
  }
  if (!Array.isArray(v.links) || (bounded && v.links.length > MAX_LINKS))
    return { error: `alert.links must be a list of at most ${MAX_LINKS}` };
  for (const l of v.links)
    if (
      !isObject(l) ||
      typeof l.name !== 'string' ||
      typeof l.url !== 'string' ||
      (bounded && (!str(l.name, 256) || !str(l.url)))
    )
      return { error: 'alert.links[] must be {name, url}' };
  return { ok: v as unknown as AlertInstance };
}

export function checkAlertNotice(v: unknown, o: CheckOptions = {}): Checked<AlertNotice> {
  if (!isObject(v)) return { error: 'an alert notice must be an object' };
  if (!id(v.route)) return { error: 'route must be a string' };
  if (!str(v.receivedAt, 64)) return { error: 'receivedAt must be a time' };
  if (
    v.repeats !== undefined &&
    !(Number.isInteger(v.repeats) && (v.repeats as number) >= 1 && (v.repeats as number) <= 1e6)
  )
    return { error: 'repeats must be a whole number from 1' };
  const a = alertInstance(v.alert, o);
  if ('error' in a) return a;
  return { ok: v as unknown as AlertNotice };
}

export function checkLockRequest(v: unknown): Checked<LockRequest> {
  if (!isObject(v)) return { error: 'a lock request must be an object' };
  if (!id(v.holder)) return { error: 'holder must be a workflow id' };
  if (v.onBusy !== 'wait' && v.onBusy !== 'fail') return { error: "onBusy must be 'wait' or 'fail'" };
  if (!(Number.isInteger(v.capacity) && (v.capacity as number) >= 1 && (v.capacity as number) <= 10_000))
    return { error: 'capacity must be a whole number from 1' };
  return { ok: v as unknown as LockRequest };
}

export function checkRelease(v: unknown): Checked<{ holder: string }> {
  return isObject(v) && id(v.holder) ? { ok: { holder: v.holder } } : { error: 'a release names its holder' };
}

export function checkLockAnswer(v: unknown): Checked<LockAnswer> {
  if (!isObject(v) || !id(v.target)) return { error: 'a lock answer names its target' };
  if (!['granted', 'denied', 'queued'].includes(v.outcome as string)) return { error: 'outcome is not a lock outcome' };
  if (!Array.isArray(v.heldBy) || v.heldBy.length > 10_000 || !v.heldBy.every((h) => id(h)))
    return { error: 'heldBy must be a list of workflow ids' };
  return { ok: v as unknown as LockAnswer };
}

/**
 * The most a notice may weigh as JSON (UTF-8 bytes), after boundAlert, for the API to hand it to
 * Temporal: a signal-with-start carries it twice (the run's input and the signal), next to the
 * runbook definition, and Temporal refuses a payload over 2 MB (warning from 512 KB) and a
 * request over 4 MB. Labels count too: an alert heavier than this once cut (200 labels of 4096
 * characters are 800 KB) is refused with 413, its body kept in the journal, never sent to be
 * refused by Temporal and retried for ever.
 */
export const MAX_NOTICE_BYTES = 256 * 1024;

const cut = (v: string): string =>
  v.length > MAX_FIELD_CHARS
    ? `${v.slice(0, MAX_FIELD_CHARS - 40)}… [cut: ${v.length - (MAX_FIELD_CHARS - 40)} more characters]`
    : v;

const boundMap = (m: Record<string, string>): Record<string, string> =>
  Object.fromEntries(
    Object.entries(m)
      .slice(0, MAX_ENTRIES)
      .map(([k, v]) => [k.slice(0, 256), cut(v)]),
  );

const withinMap = (m: Record<string, string>): boolean => {
  const entries = Object.entries(m);
  return entries.length <= MAX_ENTRIES && entries.every(([k, v]) => k.length <= 256 && v.length <= MAX_FIELD_CHARS);
};

/**
 * An alert as the API sends it to a run: what a sender wrote, within the bounds a run accepts
 * (long annotations cut with a marker, at most 200 labels or annotations and 50 links), so a
 * verbose alert joins its run rather than being refused there. The alert itself when nothing
 * needs cutting (so `boundAlert(a) !== a` says something was cut).
 */
export function boundAlert(a: AlertInstance): AlertInstance {
  const linksWithin =
    a.links.length <= MAX_LINKS && a.links.every((l) => l.name.length <= 256 && l.url.length <= MAX_FIELD_CHARS);
  if (linksWithin && withinMap(a.labels) && withinMap(a.annotations)) return a;
  return {
    ...a,
    labels: boundMap(a.labels),
    annotations: boundMap(a.annotations),
    links: a.links.slice(0, MAX_LINKS).map((l) => ({ name: l.name.slice(0, 256), url: cut(l.url) })),
  };
}
