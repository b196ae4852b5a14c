/**
 * What names an alert, so that two different label sets never share a run.
 *
 * Labels are an alert's identity (as in Prometheus; PagerDuty's incident id excepted): a
 * fingerprint is a hash of the label set. Alertmanager's is FNV-1a 64 over the sorted labels
 * (Prometheus' `LabelSet.Fingerprint`), which we can recompute: when the fingerprint a notification
 * carries is that of its labels, it is sound and names the alert as it always has. Any other
 * (Grafana's also covers its private `__...__` labels, which it does not send; a generic sender's
 * own; a mistaken or crafted one) is combined with a SHA-256 of the labels, so the same
 * fingerprint with other labels is another alert. PagerDuty's incident id stays the identity: its
 * labels are the incident's title, urgency and priority, which change while it is open.
 */
import { createHash } from 'node:crypto';
import type { AlertInstance } from '../shared/alert';

/** Code point order, which is UTF-8 byte order (Go sorts label names by bytes). */
function byCodePoint(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a.codePointAt(i) as number;
    const y = b.codePointAt(j) as number;
    if (x !== y) return x - y;
    i += x > 0xffff ? 2 : 1;
    j += y > 0xffff ? 2 : 1;
  }
  return (i < a.length ? 1 : 0) - (j < b.length ? 1 : 0);
}

/**
 * Prometheus' fingerprint of a label set, as Alertmanager sends it (16 hex digits): FNV-1a 64
 * over each name and value, in name order, each followed by the byte 0xff.
 */
export function prometheusFingerprint(labels: Record<string, string>): string {
  // 64-bit FNV in four 16-bit limbs (v0 lowest): exact, and no BigInt on the hot path.
  let v0 = 0x2325;
  let v1 = 0x8422;
  let v2 = 0x9ce4;
  let v3 = 0xcbf2;
  const add = (byte: number): void => {
    v0 ^= byte;
    // times the FNV prime 2^40 + 0x1b3
    const t0 = v0 * 0x1b3;
    const t1 = v1 * 0x1b3;
    let t2 = v2 * 0x1b3 + (v0 << 8);
    const t3 = v3 * 0x1b3 + (v1 << 8);
    const c1 = t1 + (t0 >>> 16);
    v0 = t0 & 0xffff;
    t2 += c1 >>> 16;
    v1 = c1 & 0xffff;
    v3 = (t3 + (t2 >>> 16)) & 0xffff;
    v2 = t2 & 0xffff;
  };
  // The text's UTF-8 bytes, without allocating (ASCII is one byte; lone surrogates are U+FFFD, as Buffer has them).
  const addText = (t: string): void => {
    for (let i = 0; i < t.length; i++) {
      let c = t.charCodeAt(i);
      if (c < 0x80) {
        add(c);
        continue;
      }
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < t.length) {
        const low = t.charCodeAt(i + 1);
        if (low >= 0xdc00 && low <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
          i++;
        }
      }
      if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
      if (c < 0x800) add(0xc0 | (c >> 6));
      else if (c < 0x10000) {
        add(0xe0 | (c >> 12));
        add(0x80 | ((c >> 6) & 0x3f));
      } else {
        add(0xf0 | (c >> 18));
        add(0x80 | ((c >> 12) & 0x3f));
        add(0x80 | ((c >> 6) & 0x3f));
      }
      add(0x80 | (c & 0x3f));
    }
  };
  for (const name of Object.keys(labels).sort(byCodePoint)) {
    addText(name);
    add(0xff);
    addText(labels[name] as string);
    add(0xff);
  }
  return [v3, v2, v1, v0].map((v) => v.toString(16).padStart(4, '0')).join('');
}

/** The label set in one unambiguous text: its sorted [name, value] pairs as JSON. */
function canonicalLabels(labels: Record<string, string>): string {
  return JSON.stringify(
    Object.keys(labels)
      .sort(byCodePoint)
      .map((k) => [k, labels[k]]),
  );
}

/** SHA-256 (hex) of the label set's canonical text. */
export function labelSetDigest(labels: Record<string, string>): string {
  return createHash('sha256').update(canonicalLabels(labels)).digest('hex');
}

/**
 * The fingerprint of an alert whose sender gives none (generic alerts, the routing test): 16 hex
 * digits of SHA-256 over the label set. Names and values holding neither U+0000 nor U+0001 keep
 * the text of the first version (name U+0000 value, joined by U+0001: unambiguous when those
 * characters are absent), so fingerprints, and the runs they name, stay what they were; any other
 * set is hashed in its canonical JSON, which no first-version text equals (that text always holds a
 * raw U+0000, JSON never does).
 */
export function labelFingerprint(labels: Record<string, string>): string {
  const keys = Object.keys(labels).sort();
  // Neither U+0000 nor U+0001 anywhere (by code, not a regex of control characters).
  const plain = keys.every((k) => ![k, labels[k] as string].some((t) => t.includes('\u0000') || t.includes('\u0001')));
  const text = plain ? keys.map((k) => `${k}\u0000${labels[k]}`).join('\u0001') : canonicalLabels(labels);
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** Whether the alert's fingerprint is the hash of its labels (or, for PagerDuty, its incident). */
export function soundFingerprint(a: AlertInstance): boolean {
  switch (a.source) {
    case 'pagerduty':
      return true;
    case 'alertmanager':
    case 'grafana':
      return a.fingerprint === prometheusFingerprint(a.labels);
    case 'generic':
      return a.fingerprint === labelFingerprint(a.labels);
  }
}

/**
 * The text an alert's episode is named by when its route has no dedup key: source, fingerprint
 * and start time as before when the fingerprint is sound; else the label set's digest too, in a
 * JSON form no earlier text can equal (those begin with a source name, this with `[`).
 */
export function episodeText(a: AlertInstance): string {
  if (soundFingerprint(a)) return `${a.source}\n${a.fingerprint}\n${a.startsAt}`;
  return JSON.stringify(['labels', a.source, a.fingerprint, labelSetDigest(a.labels), a.startsAt]);
}
