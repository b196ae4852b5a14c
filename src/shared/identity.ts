/**
 * One canonical form for a person's identity, wherever it is compared (tokens, approver groups,
 * runbook approvers, the requester, a decision's actor): NFKC, lower-cased, and only the
 * characters of login names and e-mail addresses. "Alice" is alice; "alice" with a zero-width
 * space, or with a Cyrillic "а", is refused rather than taken for another person. Pure.
 */

/** Code points that show nothing (zero-width, joiners, direction marks, fillers, variation selectors). */
const INVISIBLE: ReadonlyArray<readonly [number, number]> = [
  [0x00ad, 0x00ad],
  [0x034f, 0x034f],
  [0x061c, 0x061c],
  [0x115f, 0x1160],
  [0x17b4, 0x17b5],
  [0x180b, 0x180f],
  [0x200b, 0x200f],
  [0x202a, 0x202e],
  [0x2060, 0x206f],
  [0x3164, 0x3164],
  [0xfe00, 0xfe0f],
  [0xfeff, 0xfeff],
  [0xffa0, 0xffa0],
  [0xe0000, 0xe0fff],
];
const invisible = (s: string): boolean =>
  [...s].some((ch) => {
    const c = ch.codePointAt(0) ?? 0;
    return INVISIBLE.some(([lo, hi]) => c >= lo && c <= hi);
  });
const IDENTITY = /^[a-z0-9](?:[a-z0-9._+@-]{0,126}[a-z0-9])?$/;

export type IdentityCheck = { identity: string } | { error: string };

export function checkIdentity(raw: unknown): IdentityCheck {
  if (typeof raw !== 'string' || raw.trim() === '') return { error: 'an identity is required' };
  if (raw.length > 256) return { error: 'an identity is at most 128 characters' };
  if (invisible(raw)) return { error: `'${visible(raw)}' contains an invisible character` };
  const folded = raw.trim().normalize('NFKC').toLowerCase();
  // eslint-disable-next-line no-control-regex
  if (/[^\x00-\x7F]/.test(folded))
    return { error: `'${visible(raw)}' contains a non-ASCII letter (look-alikes of other people are refused)` };
  if (!IDENTITY.test(folded))
    return { error: `'${visible(raw)}' is not an identity: letters, digits and . _ + @ - only, at most 128` };
  return { identity: folded };
}

/** The canonical identity, or throws a TypeError saying why it is refused. */
export function canonicalIdentity(raw: unknown): string {
  const r = checkIdentity(raw);
  if ('error' in r) throw new TypeError(r.error);
  return r.identity;
}

/** Whether two identities are the same person (both refused ones are never equal). */
export function sameIdentity(a: string, b: string): boolean {
  const x = checkIdentity(a);
  const y = checkIdentity(b);
  return 'identity' in x && 'identity' in y && x.identity === y.identity;
}

/** Shows what was typed, hidden characters as \u{...}, cut short: for messages, never for comparing. */
function visible(raw: string): string {
  const shown = raw.slice(0, 64).replace(/[^\x20-\x7E]/gu, (c) => `\\u{${(c.codePointAt(0) ?? 0).toString(16)}}`);
  return raw.length > 64 ? `${shown}…` : shown;
}
