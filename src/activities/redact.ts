/**
 * What a step returns and how it fails go into history and the status query, which viewers read:
 * every secret value the worker resolved, and credentials in URLs, are replaced before they do.
 */

/** Shorter values are not redacted: they would blank out ordinary text (and are not secrets). */
const MIN_SECRET_CHARS = 6;
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@:]+(?::[^\s/@]*)?@/gi;

export interface Redactor {
  /** A secret value was resolved: hide it from now on. */
  remember(name: string, value: string): void;
  text(s: string): string;
  /** A JSON value with every string redacted (keys too). */
  deep<T>(v: T): T;
}

/**
 * A URL secret (a Slack-style webhook) is a credential in every part: errors quote it without its
 * user:password, or only its path, so those forms are hidden too. The bare origin is not secret.
 */
function urlParts(value: string): string[] {
  if (!URL.canParse(value)) return [];
  const u = new URL(value);
  const tail = `${u.pathname}${u.search}`;
  const parts = [`${u.protocol}//${u.host}${tail}`, u.password, decodeURIComponent(u.password)];
  return tail.length > 1 ? [...parts, tail] : parts;
}

export function createRedactor(): Redactor {
  const known = new Map<string, string>();
  const text = (s: string): string => {
    // Known values first: a URL secret is still whole before its credentials are cut out.
    let out = s;
    for (const [value, name] of known) if (out.includes(value)) out = out.split(value).join(`[secret ${name}]`);
    return out.replace(URL_CREDENTIALS, '$1[credentials]@');
  };
  const deep = (v: unknown): unknown => {
    if (typeof v === 'string') return text(v);
    if (Array.isArray(v)) return v.map(deep);
    if (v !== null && typeof v === 'object')
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [text(k), deep(x)]));
    return v;
  };
  return {
    remember(name, value) {
      // The value and the forms it commonly travels in: URL-encoded and base64 (Basic auth).
      for (const form of [value, encodeURIComponent(value), Buffer.from(value).toString('base64'), ...urlParts(value)])
        if (form.length >= MIN_SECRET_CHARS) known.set(form, name);
    },
    text,
    deep: deep as Redactor['deep'],
  };
}
