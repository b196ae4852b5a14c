/** Plain-text output: aligned tables and key/value blocks, no colours (pipes and logs stay clean). */

export type Cell = string | number | boolean | undefined | null;

/** One line, at most `max` characters (a cell never breaks a table's alignment). */
export function oneLine(value: Cell, max = Infinity): string {
  const s = value === undefined || value === null ? '' : String(value).replace(/\s+/g, ' ').trim();
  return s.length > max ? `${s.slice(0, Math.max(0, max - 1))}…` : s;
}

/** Columns separated by two spaces; the last column is not padded, so long text just runs on. */
export function table(
  headers: readonly string[],
  rows: ReadonlyArray<readonly Cell[]>,
  o: { maxCell?: number } = {},
): string {
  const cells = [
    headers.map((h) => h.toUpperCase()),
    ...rows.map((r) => headers.map((_, i) => oneLine(r[i], o.maxCell))),
  ];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] as string).length)));
  return cells
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] as number)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** `key  value` lines with the values aligned; undefined values are left out. */
export function keyValues(pairs: ReadonlyArray<readonly [string, Cell]>): string {
  const shown = pairs.filter(([, v]) => v !== undefined && v !== null && v !== '');
  const width = Math.max(0, ...shown.map(([k]) => k.length));
  return shown.map(([k, v]) => `${k.padEnd(width)}  ${oneLine(v)}`).join('\n');
}

/** `a=1 b=two`, for params. */
export function assignments(values: Record<string, unknown>): string {
  return Object.entries(values)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
}

export function yesNo(b: boolean | undefined): string {
  return b ? 'yes' : 'no';
}
