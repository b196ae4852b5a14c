/**
 * 3. Runs waiting at once: memory per waiting run of one worker holding COUNT runs waiting on
 * approvals, against COUNT bare workflows waiting on a condition; then all approved and finished.
 * Each side runs in a fresh child process (memory-child.ts) so neither inherits the other's heap.
 */
import { join } from 'node:path';
import { resultChild, type BenchEnv } from './harness';
import type { MemoryChildResult } from './memory-child';
import { fmt, type Row, type Section } from './report';
import type { Variant } from './workers';

export function runChild(
  env: BenchEnv,
  variant: Variant,
  count: number,
  debugMode: boolean,
  bundle = env.bundles[variant],
): Promise<MemoryChildResult> {
  return resultChild<MemoryChildResult>(
    join(__dirname, 'memory-child.js'),
    {
      BENCH_ADDRESS: env.server.address,
      BENCH_VARIANT: variant,
      BENCH_COUNT: String(count),
      BENCH_BUNDLE: bundle,
      BENCH_DEBUG_MODE: debugMode ? '1' : '0',
    },
    `memory child (${variant})`,
  );
}

const KiB = 1024;
export const perRun = (r: MemoryChildResult, key: 'rss' | 'heapUsed'): number =>
  (r.waiting[key] - r.idle[key]) / r.count / KiB;

export async function waitingMemory(env: BenchEnv, o: { count: number; heapPass: boolean }): Promise<Section> {
  const r: Record<Variant, MemoryChildResult> = {
    baseline: await runChild(env, 'baseline', o.count, false),
    product: await runChild(env, 'product', o.count, false),
  };
  const row = (metric: string, f: (x: MemoryChildResult) => number, digits: number, target?: number): Row => ({
    metric,
    baseline: fmt(f(r.baseline), digits),
    product: fmt(f(r.product), digits),
    ratio: f(r.product) / f(r.baseline),
    ...(target !== undefined ? { target } : {}),
  });
  const rows: Row[] = [
    row(
      'worker RSS per waiting run (KiB; workflows in a worker thread, as in production)',
      (x) => perRun(x, 'rss'),
      1,
      1.3,
    ),
    row(`start ${o.count} and reach the wait (s)`, (x) => x.waitingSeconds, 1),
    row(`approve all ${o.count} and finish (s)`, (x) => x.approveSeconds, 1),
    row('RSS after all finished, above idle (MiB)', (x) => (x.finishedAfter.rss - x.idle.rss) / KiB / KiB, 1),
    {
      metric: 'runs finished after approval',
      baseline: `${r.baseline.finished}/${o.count}`,
      product: `${r.product.finished}/${o.count}`,
      target: 0,
      absolute: { value: o.count - Math.min(r.baseline.finished, r.product.finished), text: 'all' },
    },
  ];
  if (o.heapPass) {
    // Workflow code normally runs in a worker thread, whose garbage our gc() cannot collect and
    // whose heap process.memoryUsage() does not see; in debugMode it runs in the main thread, so
    // after GC the heap (and RSS) delta is what the waiting runs themselves hold.
    const h: Record<Variant, MemoryChildResult> = {
      baseline: await runChild(env, 'baseline', o.count, true),
      product: await runChild(env, 'product', o.count, true),
    };
    const pair = (metric: string, key: 'rss' | 'heapUsed', target?: number): Row => ({
      metric,
      baseline: fmt(perRun(h.baseline, key), 1),
      product: fmt(perRun(h.product, key), 1),
      ratio: perRun(h.product, key) / perRun(h.baseline, key),
      ...(target !== undefined ? { target } : {}),
    });
    rows.splice(
      1,
      0,
      pair('JS heap per waiting run after GC (KiB; workflows in the main thread)', 'heapUsed', 1.3),
      pair('RSS per waiting run after GC (KiB; workflows in the main thread)', 'rss'),
    );
  }
  return {
    title: `3. ${o.count} runs waiting on approvals`,
    about: `One worker (maxCachedWorkflows ${o.count + 100}, workflows in its worker thread as in production) holds ${o.count} runs of a runbook waiting on an approval (then one no-op step), against ${o.count} bare workflows waiting on a condition (then one no-op activity). Memory per run = (memory with all waiting − memory idle after 20 warm-up runs) / ${o.count}, after GC (node --expose-gc), each side in a fresh process; the heap rows come from a second pass with the workflows in the main thread (debugMode) so that GC reaches them. Then every run is approved by update (50 at a time) and must finish.`,
    rows,
  };
}
