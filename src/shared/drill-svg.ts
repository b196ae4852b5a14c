/**
 * A drill's timeline as an SVG picture: the phases as bars, one row per probe with a dot per
 * reading (green held, red deviated), and lines where the fault went in, the alert fired and
 * the system recovered; the verdict and the measured times in the title. Pure text, no
 * dependencies: the API serves it and the drill's archive keeps it beside the JSON.
 */
import type { DrillReport } from './drill';

const W = 800;
const LEFT = 130;
const ROW = 22;
const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const COLOURS: Record<string, string> = {
  'steady-state': '#5b8def',
  approval: '#c9c9c9',
  inject: '#d64545',
  observe: '#e8a33a',
  rollback: '#9b6fd6',
  verify: '#3aa76d',
};
const secs = (ms: number | null | undefined): string =>
  ms === null || ms === undefined
    ? '-'
    : ms >= 60_000
      ? `${(ms / 60_000).toFixed(1)} min`
      : `${(ms / 1000).toFixed(1)} s`;

export function drillSvg(r: DrillReport): string {
  const t0 = Date.parse(r.startedAt);
  const times = [
    ...r.phases.map((p) => Date.parse(p.endedAt ?? p.startedAt)),
    ...r.readings.map((x) => Date.parse(x.at)),
    r.finishedAt ? Date.parse(r.finishedAt) : t0,
  ];
  const span = Math.max(1, Math.max(...times) - t0);
  const x = (iso: string): number => LEFT + ((Date.parse(iso) - t0) / span) * (W - LEFT - 20);
  const out: string[] = [];
  let y = 44;
  for (const p of r.phases) {
    const a = x(p.startedAt);
    const b = Math.max(a + 2, x(p.endedAt ?? p.startedAt));
    out.push(
      `<text x="${LEFT - 8}" y="${y + 15}" text-anchor="end">${esc(p.name)}</text>`,
      `<rect x="${a.toFixed(1)}" y="${y}" width="${(b - a).toFixed(1)}" height="${ROW - 4}" fill="${COLOURS[p.name] ?? '#888'}"/>`,
    );
    y += ROW;
  }
  const probes = [...new Set(r.readings.map((p) => p.probe))];
  y += 8;
  const top = y;
  for (const name of probes) {
    out.push(`<text x="${LEFT - 8}" y="${y + 14}" text-anchor="end">${esc(name)}</text>`);
    for (const p of r.readings.filter((q) => q.probe === name))
      out.push(
        `<circle cx="${x(p.at).toFixed(1)}" cy="${y + 10}" r="4" fill="${p.ok ? '#3aa76d' : '#d64545'}"><title>${esc(`${p.at} ${p.ok ? 'held' : 'deviated'}${p.detail ? `: ${p.detail}` : ''}`)}</title></circle>`,
      );
    y += ROW;
  }
  const mark = (iso: string | undefined, label: string, colour: string): void => {
    if (!iso) return;
    const at = x(iso).toFixed(1);
    out.push(
      `<line x1="${at}" y1="${top - 6}" x2="${at}" y2="${y}" stroke="${colour}" stroke-dasharray="4 3"/>`,
      `<text x="${at}" y="${y + 14}" font-size="11" fill="${colour}" text-anchor="middle">${esc(label)}</text>`,
    );
  };
  mark(r.injectedAt, 'fault', '#d64545');
  mark(r.detection?.firedAt, 'detected', '#e8a33a');
  mark(r.recovery.recoveredAt, 'recovered', '#3aa76d');
  const height = y + 30;
  const title =
    `${r.experiment}: ${r.outcome}` +
    (r.detection ? ` · detect ${secs(r.detection.ms)} (≤ ${secs(r.detection.objectiveMs)})` : '') +
    ` · recover ${secs(r.recovery.ms)} (≤ ${secs(r.recovery.objectiveMs)})`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${height}" fill="#fff"/>`,
    `<text x="10" y="22" font-size="14" font-weight="bold">${esc(title)}</text>`,
    ...out,
    '</svg>',
    '',
  ].join('\n');
}
