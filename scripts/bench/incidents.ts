/**
 * 8. Open incidents: one worker holding COUNT open incidents, each with its cadence timer (the
 * stakeholder update due two minutes after opening, the seeds' 15 minutes shortened), against
 * COUNT bare workflows holding one timer of the same length. Memory per incident or workflow =
 * (memory with all open − memory idle after 20 warm-up ones) / COUNT, after GC, each side in a
 * fresh process; then how late each reminder was under that load (its activity's scheduled time
 * against its due time).
 */
import { join } from 'node:path';
import { resultChild, type BenchEnv } from './harness';
import type { IncidentChildResult } from './incident-child';
import { fmt, percentile, type Row, type Section } from './report';
import type { Variant } from './workers';

const DUE_MS = 120_000;
const KiB = 1024;

function runChild(env: BenchEnv, variant: Variant, count: number, debugMode: boolean): Promise<IncidentChildResult> {
  return resultChild<IncidentChildResult>(
    join(__dirname, 'incident-child.js'),
    {
      BENCH_ADDRESS: env.server.address,
      BENCH_VARIANT: variant,
      BENCH_COUNT: String(count),
      BENCH_DUE_MS: String(DUE_MS),
      BENCH_BUNDLE: env.bundles[variant],
      BENCH_DEBUG_MODE: debugMode ? '1' : '0',
    },
    `incident child (${variant})`,
  );
}

const per = (r: IncidentChildResult, key: 'rss' | 'heapUsed'): number => (r.open[key] - r.idle[key]) / r.count / KiB;

export async function openIncidents(env: BenchEnv, o: { count: number; heapPass: boolean }): Promise<Section> {
  const r = {
    baseline: await runChild(env, 'baseline', o.count, false),
    product: await runChild(env, 'product', o.count, false),
  };
  const pair = (metric: string, f: (x: IncidentChildResult) => number, digits: number, target?: number): Row => ({
    metric,
    baseline: fmt(f(r.baseline), digits),
    product: fmt(f(r.product), digits),
    ratio: f(r.product) / f(r.baseline),
    ...(target !== undefined ? { target } : {}),
  });
  const p99 = (x: IncidentChildResult) => percentile(x.lateMs, 0.99);
  const rows: Row[] = [
    pair('worker RSS per open incident (KiB; workflows in a worker thread, as in production)', (x) => per(x, 'rss'), 1),
    pair(`open ${o.count} (s)`, (x) => x.openSeconds, 1),
    pair('reminder lateness p50 (ms)', (x) => percentile(x.lateMs, 0.5), 0),
    {
      metric: "reminder lateness p99 (ms; the seeds' cadence under this load)",
      baseline: fmt(p99(r.baseline), 0),
      product: fmt(p99(r.product), 0),
      ratio: p99(r.product) / Math.max(1, p99(r.baseline)),
      absolute: { value: p99(r.product), text: '≤ 1000 ms' },
      target: 1000,
    },
    {
      metric: 'reminders sent',
      baseline: `${r.baseline.lateMs.length}/${o.count}`,
      product: `${r.product.lateMs.length}/${o.count}`,
      target: 0,
      absolute: { value: o.count - Math.min(r.baseline.lateMs.length, r.product.lateMs.length), text: 'all' },
    },
  ];
  if (o.heapPass) {
    const h = {
      baseline: await runChild(env, 'baseline', o.count, true),
      product: await runChild(env, 'product', o.count, true),
    };
    const heap = (x: IncidentChildResult) => per(x, 'heapUsed');
    rows.unshift({
      metric: 'JS heap per open incident after GC (KiB; workflows in the main thread)',
      baseline: fmt(heap(h.baseline), 1),
      product: fmt(heap(h.product), 1),
      ratio: heap(h.product) / heap(h.baseline),
      target: 1.5,
    });
  }
  return {
    title: `8. ${o.count} open incidents`,
    about: `One worker (maxCachedWorkflows ${o.count + 100}) holds ${o.count} open sev1 incidents (paged, their stakeholder update due ${DUE_MS / 1000} s after opening: one cadence timer, the paging ladder's next timer, the triage timer), against ${o.count} bare workflows holding one ${DUE_MS / 1000} s timer. Memory per incident = (memory with all open − memory idle after 20 warm-up ones) / ${o.count}, after GC (node --expose-gc), each side in a fresh process; the heap row from a pass with the workflows in the main thread (debugMode) so that GC reaches them. Lateness: each reminder activity's scheduled time against its due time (the opening the incident reports plus ${DUE_MS / 1000} s; the baseline's timer start plus the same).`,
    rows,
  };
}
