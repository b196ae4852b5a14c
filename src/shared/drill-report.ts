/**
 * What a drill measured, worked out from its readings, and what many drills say together. Pure:
 * the workflow, the API and the CLI give the same figures.
 *
 * - Recovery: probes are read in rounds (all at one instant). The system has recovered at the
 *   first round after the fault in which every probe holds and after which none deviates again;
 *   a drill whose probes never deviated recovered at once (0 ms: the fault did not show).
 * - Verdict: passed when the hypothesis held before, recovery (and detection, when expected)
 *   met their objectives, the hypothesis held after the rollback, and nothing aborted it.
 * - Metrics over drills: MTTR is the mean recovery time of the drills that injected a fault and
 *   recovered; MTBF the mean time between failed drills (a failure is a missed objective or an
 *   abort on a deviation); the resilience score (0-100) is the mean of the last 10 scored drills,
 *   each 1 when passed, half the objective-to-recovery ratio when failed but recovered (so a
 *   slow recovery still counts for something), 0 when it never recovered. Aborts for a real
 *   incident, a freeze or a cancel say nothing about resilience and are not scored.
 */
import type { DrillReport, ProbeReading } from './drill';

/** Readings grouped into rounds (one instant each), oldest first. */
export function roundsOf(readings: readonly ProbeReading[]): Array<{ at: string; ok: boolean }> {
  const byAt = new Map<string, boolean>();
  for (const r of readings) byAt.set(r.at, (byAt.get(r.at) ?? true) && r.ok);
  return [...byAt].map(([at, ok]) => ({ at, ok })).sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}

/** When the hypothesis held again for good after the fault (undefined: it never did). */
export function recoveredAt(readings: readonly ProbeReading[], injectedAt: string, until?: string): string | undefined {
  const from = Date.parse(injectedAt);
  const to = until ? Date.parse(until) : Infinity;
  const rounds = roundsOf(readings).filter((r) => Date.parse(r.at) >= from && Date.parse(r.at) <= to);
  if (!rounds.some((r) => !r.ok)) return injectedAt;
  const lastBad = rounds.map((r) => r.ok).lastIndexOf(false);
  return rounds[lastBad + 1]?.at;
}

const between = (a: string | undefined, b: string | undefined): number | null =>
  a && b ? Math.max(0, Date.parse(b) - Date.parse(a)) : null;

export function recoveryMs(r: Pick<DrillReport, 'injectedAt' | 'recovery'>): number | null {
  return between(r.injectedAt, r.recovery.recoveredAt);
}

export function detectionMs(r: Pick<DrillReport, 'injectedAt' | 'detection'>): number | null {
  return between(r.injectedAt, r.detection?.firedAt);
}

/** The outcome a finished drill earned (an abort or a refusal stays what it was). */
export function verdictOf(r: DrillReport): 'passed' | 'failed' {
  const ok =
    r.hypothesis.before === true &&
    r.hypothesis.after !== false &&
    r.recovery.met === true &&
    r.detection?.met !== false &&
    r.rollbacks.every((x) => x.ok) &&
    r.faults.every((x) => x.ok);
  return ok ? 'passed' : 'failed';
}

export interface DrillStats {
  runs: number;
  passed: number;
  failed: number;
  aborted: number;
  refused: number;
  mttrMs: number | null;
  mtbfMs: number | null;
  /** Recovery times in buckets (upper bounds, ms; the last is everything longer). */
  recoveryHistogram: Array<{ leMs: number | null; count: number }>;
  score: number | null;
  /** The score after each scored drill, oldest first: the trend. */
  scoreOverTime: Array<{ at: string; score: number }>;
}

export const RECOVERY_BUCKETS_MS = [10_000, 30_000, 60_000, 120_000, 300_000, 900_000, 3_600_000];
const SCORE_WINDOW = 10;

const failedForResilience = (r: DrillReport): boolean =>
  r.outcome === 'failed' || (r.outcome === 'aborted' && r.abort?.reason === 'deviation');

/** One drill's score (0..1), or null when it says nothing about resilience. */
export function drillScore(r: DrillReport): number | null {
  if (r.outcome === 'passed') return 1;
  if (!failedForResilience(r)) return null;
  const ms = recoveryMs(r);
  if (ms === null) return 0;
  return 0.5 * Math.min(1, r.recovery.objectiveMs / Math.max(1, ms));
}

export function drillStats(reports: readonly DrillReport[]): DrillStats {
  const sorted = [...reports].sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt));
  const count = (o: DrillReport['outcome']) => sorted.filter((r) => r.outcome === o).length;
  const recoveries = sorted
    .filter((r) => r.injectedAt && r.outcome !== 'refused')
    .map(recoveryMs)
    .filter((m): m is number => m !== null);
  const failures = sorted.filter(failedForResilience).map((r) => Date.parse(r.startedAt));
  const gaps = failures.slice(1).map((t, i) => t - (failures[i] as number));
  const histogram = [...RECOVERY_BUCKETS_MS, null].map((le, i) => ({
    leMs: le,
    count: recoveries.filter((m) => (le === null || m <= le) && (i === 0 || m > (RECOVERY_BUCKETS_MS[i - 1] as number)))
      .length,
  }));
  const scored: Array<{ at: string; s: number }> = [];
  const scoreOverTime: DrillStats['scoreOverTime'] = [];
  for (const r of sorted) {
    const s = drillScore(r);
    if (s === null) continue;
    scored.push({ at: r.startedAt, s });
    const window = scored.slice(-SCORE_WINDOW);
    scoreOverTime.push({
      at: r.startedAt,
      score: Math.round((100 * window.reduce((n, x) => n + x.s, 0)) / window.length),
    });
  }
  const mean = (xs: number[]): number | null =>
    xs.length ? Math.round(xs.reduce((a, b) => a + b, 0) / xs.length) : null;
  return {
    runs: sorted.length,
    passed: count('passed'),
    failed: count('failed'),
    aborted: count('aborted'),
    refused: count('refused'),
    mttrMs: mean(recoveries),
    mtbfMs: mean(gaps),
    recoveryHistogram: histogram,
    score: scoreOverTime.at(-1)?.score ?? null,
    scoreOverTime,
  };
}

const secs = (ms: number | null | undefined): string =>
  ms === null || ms === undefined
    ? 'not measured'
    : ms >= 60_000
      ? `${(ms / 60_000).toFixed(1)} min`
      : `${(ms / 1000).toFixed(1)} s`;
const held = (b: boolean | null): string => (b === null ? 'not checked' : b ? 'held' : 'BROKEN');
const met = (m: boolean | null | undefined): string => (m === true ? 'yes' : m === false ? 'NO' : '-');

export function drillMarkdown(r: DrillReport): string {
  const lines = [
    `# Chaos drill ${r.experiment}: ${r.outcome}`,
    '',
    `${r.title}. Version ${r.version}, started ${r.startedAt} by ${r.requestedBy}${r.finishedAt ? `, finished ${r.finishedAt}` : ''}.`,
    '',
    '| hypothesis | before | during | after |',
    '|---|---|---|---|',
    `| steady state | ${held(r.hypothesis.before)} | ${held(r.hypothesis.during)} | ${held(r.hypothesis.after)} |`,
    '',
    '| measure | achieved | objective | met |',
    '|---|---|---|---|',
    ...(r.detection
      ? [
          `| time to detect (${r.detection.alert}) | ${secs(r.detection.ms)} | ${secs(r.detection.objectiveMs)} | ${met(r.detection.met)} |`,
        ]
      : []),
    `| time to recover${r.recovery.by ? ` (${r.recovery.by})` : ''} | ${secs(r.recovery.ms)} | ${secs(r.recovery.objectiveMs)} | ${met(r.recovery.met)} |`,
  ];
  if (r.abort) lines.push('', `Aborted (${r.abort.reason}) at ${r.abort.at}: ${r.abort.detail}`);
  if (r.error) lines.push('', `Error: ${r.error}`);
  const acts = (title: string, xs: DrillReport['faults']) =>
    xs.length
      ? [
          '',
          `## ${title}`,
          '',
          ...xs.map((x) => `- ${x.at} ${x.name} (${x.action}): ${x.ok ? 'ok' : `FAILED: ${x.error ?? ''}`}`),
        ]
      : [];
  lines.push(...acts('Faults', r.faults), ...acts('Rolled back', r.rollbacks));
  if (r.remediation)
    lines.push(
      '',
      `Remediation: runbook ${r.remediation.runbook} (${r.remediation.workflowId}): ${r.remediation.outcome}`,
    );
  lines.push(
    '',
    '## Phases',
    '',
    '| phase | started | took |',
    '|---|---|---|',
    ...r.phases.map((p) => `| ${p.name} | ${p.startedAt} | ${p.durationMs === undefined ? '-' : secs(p.durationMs)} |`),
    '',
    '## Timeline',
    '',
    ...r.events.map((e) => `- ${e.at} [${e.phase}] ${e.ok ? '' : 'FAILED: '}${e.what}`),
  );
  return `${lines.join('\n')}\n`;
}
