/**
 * A drill's figures from its readings: recovery (the first round after which no probe deviates
 * again), the verdict, and over many drills MTTR, MTBF, the recovery histogram and the
 * resilience score with its trend; the Markdown and the SVG timeline show them.
 */
import type { DrillReport, ProbeReading } from '../../src/shared/drill';
import { drillMarkdown, drillScore, drillStats, recoveredAt, roundsOf, verdictOf } from '../../src/shared/drill-report';
import { drillSvg } from '../../src/shared/drill-svg';

const at = (s: number, day = 1): string => new Date(Date.UTC(2026, 11, day, 10, 0, s)).toISOString();
const round = (s: number, ok: Record<string, boolean>): ProbeReading[] =>
  Object.entries(ok).map(([probe, o]) => ({ at: at(s), probe, ok: o }));

function report(o: Partial<DrillReport> & { day?: number } = {}): DrillReport {
  const day = o.day ?? 1;
  return {
    experiment: 'pod-loss',
    version: 'abc123abc123',
    title: 'Pods come back',
    outcome: 'passed',
    startedAt: at(0, day),
    finishedAt: at(90, day),
    requestedBy: 'alice',
    phases: [
      { name: 'steady-state', startedAt: at(0, day), endedAt: at(1, day), durationMs: 1000 },
      { name: 'inject', startedAt: at(10, day), endedAt: at(11, day), durationMs: 1000 },
    ],
    readings: [],
    hypothesis: { before: true, during: false, after: true },
    faults: [{ name: 'kill', action: 'k8s:pod:delete', at: at(10, day), ok: true }],
    injectedAt: at(10, day),
    recovery: { objectiveMs: 60_000, recoveredAt: at(40, day), ms: 30_000, met: true, by: 'hypothesis' },
    rollbacks: [],
    events: [{ at: at(10, day), phase: 'inject', what: 'kill: 2 pods deleted', ok: true }],
    ...o,
  };
}

test('recovery is the first round after the fault from which no probe deviates again', () => {
  const readings = [
    ...round(0, { a: true, b: true }),
    ...round(15, { a: false, b: true }),
    ...round(20, { a: true, b: true }),
    // A relapse: recovery is only after the last deviation.
    ...round(25, { a: true, b: false }),
    ...round(30, { a: true, b: true }),
    ...round(35, { a: true, b: true }),
  ];
  expect(roundsOf(readings).map((r) => r.ok)).toEqual([true, false, true, false, true, true]);
  expect(recoveredAt(readings, at(10))).toBe(at(30));
  // Still deviating at the end: not recovered.
  expect(recoveredAt([...readings, ...round(40, { a: false, b: true })], at(10))).toBeUndefined();
  // The fault never showed: recovered at once.
  expect(recoveredAt(round(15, { a: true, b: true }), at(10))).toBe(at(10));
  // Readings before the fault (the steady state) do not count; neither do those after `until`.
  expect(recoveredAt([...round(5, { a: false }), ...round(15, { a: true })], at(10))).toBe(at(10));
  expect(recoveredAt([...round(15, { a: true }), ...round(50, { a: false })], at(10), at(40))).toBe(at(10));
});

test('the verdict: passed only when before, recovery, detection, after and every fault and rollback hold', () => {
  expect(verdictOf(report())).toBe('passed');
  expect(verdictOf(report({ recovery: { objectiveMs: 60_000, ms: 90_000, met: false, by: 'hypothesis' } }))).toBe(
    'failed',
  );
  expect(verdictOf(report({ detection: { alert: 'ServiceDown', objectiveMs: 60_000, ms: null, met: false } }))).toBe(
    'failed',
  );
  expect(verdictOf(report({ hypothesis: { before: true, during: false, after: false } }))).toBe('failed');
  expect(
    verdictOf(report({ rollbacks: [{ name: 'back', action: 'x:y:z', at: at(60), ok: false, error: 'boom' }] })),
  ).toBe('failed');
});

test('over many drills: MTTR, MTBF between failures, the recovery histogram, the score and its trend', () => {
  const reports = [
    report({ day: 1 }),
    report({
      day: 3,
      outcome: 'failed',
      recovery: { objectiveMs: 60_000, recoveredAt: at(130, 3), ms: 120_000, met: false, by: 'hypothesis' },
    }),
    // A real incident stopped it: not scored, not a failure.
    report({
      day: 4,
      outcome: 'aborted',
      abort: { reason: 'unrelated-alert', detail: 'HighErrorRate', at: at(20, 4) },
    }),
    report({
      day: 7,
      outcome: 'aborted',
      abort: { reason: 'deviation', detail: 'storefront', at: at(20, 7) },
      recovery: { objectiveMs: 60_000, ms: null, met: null, by: null },
    }),
    report({ day: 8, outcome: 'refused', injectedAt: undefined, error: 'the steady state did not hold' }),
  ];
  const s = drillStats(reports);
  expect(s).toMatchObject({ runs: 5, passed: 1, failed: 1, aborted: 2, refused: 1 });
  // Recovered drills: 30 s (day 1 and day 4 as reported), 120 s.
  expect(s.mttrMs).toBe(Math.round((30_000 + 120_000 + 30_000) / 3));
  // Failures on days 3 and 7: four days apart.
  expect(s.mtbfMs).toBe(4 * 86_400_000);
  expect(s.recoveryHistogram.find((b) => b.leMs === 30_000)?.count).toBe(2);
  expect(s.recoveryHistogram.find((b) => b.leMs === 120_000)?.count).toBe(1);
  expect(s.recoveryHistogram.reduce((n, b) => n + b.count, 0)).toBe(3);
  // Scores: 1, 0.5 * 60/120 = 0.25, (not scored), 0 (never recovered).
  expect(reports.map(drillScore)).toEqual([1, 0.25, null, 0, null]);
  expect(s.scoreOverTime.map((x) => x.score)).toEqual([100, 63, 42]);
  expect(s.score).toBe(42);
  expect(drillStats([])).toMatchObject({ runs: 0, mttrMs: null, mtbfMs: null, score: null });
});

test('the Markdown and the timeline picture say what happened', () => {
  const r = report({
    readings: [...round(0, { available: true }), ...round(15, { available: false }), ...round(40, { available: true })],
    detection: { alert: 'ServiceDown', objectiveMs: 120_000, firedAt: at(25), ms: 15_000, met: true },
    rollbacks: [{ name: 'scale-back', action: 'k8s:deployment:scale', at: at(70), ok: true }],
  });
  const md = drillMarkdown(r);
  expect(md).toContain('# Chaos drill pod-loss: passed');
  expect(md).toContain('| steady state | held | BROKEN | held |');
  expect(md).toContain('| time to detect (ServiceDown) | 15.0 s | 2.0 min | yes |');
  expect(md).toContain('| time to recover (hypothesis) | 30.0 s | 1.0 min | yes |');
  expect(md).toContain('- 2026-12-01T10:01:10.000Z scale-back (k8s:deployment:scale): ok');
  const svg = drillSvg(r);
  expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
  expect(svg).toContain('pod-loss: passed · detect 15.0 s (≤ 2.0 min) · recover 30.0 s (≤ 1.0 min)');
  expect(svg.match(/<circle /g)).toHaveLength(3);
  expect(svg.match(/fill="#d64545"><title>/g)).toHaveLength(1);
  for (const label of ['fault', 'detected', 'recovered']) expect(svg).toContain(`>${label}</text>`);
  // Names are escaped: a probe is the author's text.
  expect(drillSvg(report({ readings: round(0, { '<b>': true }) }))).toContain('&lt;b&gt;');
});
