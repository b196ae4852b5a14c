/** INFO's text (`field:value` lines under `# Section` headings) as fields, and readers for its values. */

export type InfoFields = ReadonlyMap<string, string>;

export function parseInfo(text: string): InfoFields {
  const out = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.indexOf(':');
    if (at > 0) out.set(line.slice(0, at), line.slice(at + 1));
  }
  return out;
}

export const num = (f: InfoFields, k: string): number => {
  const n = Number(f.get(k));
  return Number.isFinite(n) ? n : 0;
};
export const numOrNull = (f: InfoFields, k: string): number | null => {
  const v = f.get(k);
  const n = v === undefined ? NaN : Number(v);
  return Number.isFinite(n) ? n : null;
};
export const text = (f: InfoFields, k: string): string => f.get(k) ?? '';

/** A `k1=v1,k2=v2` value (a replica's line, a keyspace line). */
export function pairs(v: string): Record<string, string> {
  return Object.fromEntries(
    v
      .split(',')
      .map((p) => p.split('='))
      .filter((kv): kv is [string, string] => kv.length === 2)
      .map(([k, val]) => [k, val]),
  );
}

/** The databases holding keys, from INFO keyspace (`db0:keys=3,expires=1,avg_ttl=0`). */
export function keyspace(f: InfoFields): Array<{ db: number; keys: number; expires: number }> {
  return [...f]
    .filter(([k]) => /^db\d+$/.test(k))
    .map(([k, v]) => {
      const p = pairs(v);
      return { db: Number(k.slice(2)), keys: Number(p.keys ?? 0), expires: Number(p.expires ?? 0) };
    })
    .sort((a, b) => a.db - b.db);
}

/** The major version of `redis_version` (7 for 7.0.15); 0 when unknown. */
export function majorVersion(f: InfoFields): number {
  const m = /^(\d+)\./.exec(text(f, 'redis_version'));
  return m ? Number(m[1]) : 0;
}
