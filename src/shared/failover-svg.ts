/**
 * A failover's phase timeline as an SVG picture: one bar per phase on a shared time axis (the
 * approval wait hatched, as the RTO leaves it out), the events as ticks below, and the RTO and
 * RPO achieved against their objectives in the title. Pure text, no dependencies: the API
 * serves it and a drill archive keeps it beside the JSON.
 */
import type { FailoverReport } from './failover';

const W = 760;
const LEFT = 120;
const BAR = 22;
const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const COLOURS: Record<string, string> = {
  assessment: '#5b8def',
  approval: '#c9c9c9',
  failover: '#e8833a',
  validation: '#3aa76d',
  communication: '#9b6fd6',
};
const secs = (ms: number): string => (ms >= 60_000 ? `${(ms / 60_000).toFixed(1)} min` : `${(ms / 1000).toFixed(1)} s`);

export function failoverSvg(r: FailoverReport): string {
  const t0 = Date.parse(r.startedAt);
  const ends = [
    ...r.phases.map((p) => Date.parse(p.endedAt ?? p.startedAt)),
    ...r.events.map((e) => Date.parse(e.at)),
    r.finishedAt ? Date.parse(r.finishedAt) : t0,
  ];
  const span = Math.max(1, Math.max(...ends) - t0);
  const x = (t: number): number => LEFT + ((t - t0) / span) * (W - LEFT - 20);
  const rows = r.phases.map((p, i) => {
    const y = 50 + i * (BAR + 8);
    const a = x(Date.parse(p.startedAt));
    const b = Math.max(a + 2, x(Date.parse(p.endedAt ?? p.startedAt)));
    const fill = p.name === 'approval' ? 'url(#hatch)' : (COLOURS[p.name] ?? '#888');
    return [
      `<text x="${LEFT - 8}" y="${y + 15}" text-anchor="end">${esc(p.name)}</text>`,
      `<rect x="${a.toFixed(1)}" y="${y}" width="${(b - a).toFixed(1)}" height="${BAR}" fill="${fill}" stroke="#555" stroke-width="0.5"/>`,
      `<text x="${(b + 4).toFixed(1)}" y="${y + 15}" font-size="11">${p.durationMs === undefined ? '' : secs(p.durationMs)}</text>`,
    ].join('');
  });
  const ty = 50 + r.phases.length * (BAR + 8) + 10;
  const ticks = r.events.map((e) => {
    const ex = x(Date.parse(e.at)).toFixed(1);
    return `<line x1="${ex}" y1="${ty}" x2="${ex}" y2="${ty + 10}" stroke="${e.ok ? '#333' : '#d33'}"><title>${esc(`${e.at} ${e.what}`)}</title></line>`;
  });
  const h = ty + 40;
  const rto = r.rto
    ? `RTO ${secs(r.rto.seconds * 1000)} of ${secs(r.rto.objectiveSeconds * 1000)}${r.rto.met ? '' : ' MISSED'}`
    : 'RTO -';
  const rpo = r.rpo
    ? `RPO ${r.rpo.rows !== null ? `${r.rpo.rows} rows` : r.rpo.seconds !== null ? `≤ ${secs(r.rpo.seconds * 1000)}` : 'unknown'}${r.rpo.met === false ? ' MISSED' : ''}`
    : 'RPO -';
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${h}" viewBox="0 0 ${W} ${h}" font-family="sans-serif" font-size="12">`,
    '<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#eee"/><line x1="0" y1="0" x2="0" y2="6" stroke="#999" stroke-width="2"/></pattern></defs>',
    `<text x="10" y="22" font-size="14" font-weight="bold">${esc(`DR failover ${r.plan}: ${r.outcome}`)}</text>`,
    `<text x="10" y="38">${esc(`${r.tier} · ${rto} · ${rpo} · approval wait not counted`)}</text>`,
    ...rows,
    ...ticks,
    `<text x="${LEFT}" y="${h - 8}" font-size="11">${esc(r.startedAt)}</text>`,
    `<text x="${W - 20}" y="${h - 8}" font-size="11" text-anchor="end">+${secs(span)}</text>`,
    '</svg>',
    '',
  ].join('\n');
}
