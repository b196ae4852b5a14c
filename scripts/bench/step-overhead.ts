/**
 * 1. Per-step overhead: runbookWorkflow running N no-op action steps against a bare workflow
 * calling N no-op activities, on the same server, runs interleaved. Latency is start to result
 * as a client sees it; CPU is this process's (it hosts both workers) and the dev server's.
 */
import { randomUUID } from 'node:crypto';
import { RUNBOOK_WORKFLOW } from '../../src/shared/constants';
import type { RunResult } from '../../src/shared/status';
import { noopRun, signedInput } from './definitions';
import { ownCpuMs, processCpuMs, type BenchEnv } from './harness';
import { fmt, median, type Row, type Section } from './report';
import { createBenchWorker, Readiness, runWorkers, type Variant } from './workers';

interface Sample {
  latencyMs: number;
  cpuMs: number;
  serverCpuMs: number;
}

type Totals = Record<Variant, { samples: Sample[]; events: number }>;

export async function stepOverhead(
  env: BenchEnv,
  o: { sizes: number[]; runs: number; warmup: number },
): Promise<Section> {
  const readiness = new Readiness();
  const queue = (v: Variant): string => `bench-steps-${v}-${randomUUID()}`;
  const queues: Record<Variant, string> = { baseline: queue('baseline'), product: queue('product') };
  const workers = await Promise.all(
    (['baseline', 'product'] as const).map((variant) =>
      createBenchWorker({
        connection: env.connection,
        taskQueue: queues[variant],
        codePath: env.bundles[variant],
        readiness,
      }),
    ),
  );
  const pid = env.server.process.pid as number;

  async function once(variant: Variant, n: number): Promise<{ sample: Sample; workflowId: string }> {
    const workflowId = `bench-steps-${n}-${variant}-${randomUUID()}`;
    const taskQueue = queues[variant];
    const cpu0 = ownCpuMs();
    const server0 = processCpuMs(pid);
    const t0 = performance.now();
    if (variant === 'product') {
      const r = await env.client.workflow.execute<(i: unknown) => Promise<RunResult>>(RUNBOOK_WORKFLOW, {
        taskQueue,
        workflowId,
        args: [signedInput(noopRun(n), workflowId)],
      });
      if (r.phase !== 'succeeded') throw new Error(`product run ended ${r.phase}`);
    } else {
      await env.client.workflow.execute('bareStepsWorkflow', { taskQueue, workflowId, args: [n] });
    }
    const latencyMs = performance.now() - t0;
    return { sample: { latencyMs, cpuMs: ownCpuMs() - cpu0, serverCpuMs: processCpuMs(pid) - server0 }, workflowId };
  }

  const bySize = new Map<number, Totals>();
  await runWorkers(workers, async () => {
    for (const n of o.sizes) {
      const totals: Totals = { baseline: { samples: [], events: 0 }, product: { samples: [], events: 0 } };
      for (let i = 0; i < o.warmup + o.runs; i++) {
        // Alternate which side goes first, so drift and GC debt fall on both alike.
        for (const variant of i % 2 === 0 ? (['baseline', 'product'] as const) : (['product', 'baseline'] as const)) {
          const { sample, workflowId } = await once(variant, n);
          if (i < o.warmup) continue;
          totals[variant].samples.push(sample);
          if (i === o.warmup + o.runs - 1)
            totals[variant].events =
              (await env.client.workflow.getHandle(workflowId).fetchHistory()).events?.length ?? 0;
        }
      }
      bySize.set(n, totals);
    }
  });
  return { title: '1. Per-step overhead', about: about(o), rows: rows(bySize, o.sizes), notes: notes() };
}

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
const perStep = (t: Totals[Variant], n: number, key: keyof Sample): number =>
  sum(t.samples.map((s) => s[key])) / (t.samples.length * n);
const lat = (t: Totals[Variant]): number => median(t.samples.map((s) => s.latencyMs));

function rows(bySize: Map<number, Totals>, sizes: number[]): Row[] {
  const out: Row[] = [];
  const row = (metric: string, b: number, p: number, digits: number, target?: number): Row => ({
    metric,
    baseline: fmt(b, digits),
    product: fmt(p, digits),
    ratio: p / b,
    ...(target !== undefined ? { target } : {}),
  });
  for (const n of sizes) {
    const t = bySize.get(n) as Totals;
    out.push(row(`N=${n}: latency per run, median (ms)`, lat(t.baseline), lat(t.product), 1, 1.1));
    out.push(
      row(`N=${n}: worker CPU per step (ms)`, perStep(t.baseline, n, 'cpuMs'), perStep(t.product, n, 'cpuMs'), 2, 1.2),
    );
    out.push(
      row(
        `N=${n}: server CPU per step (ms)`,
        perStep(t.baseline, n, 'serverCpuMs'),
        perStep(t.product, n, 'serverCpuMs'),
        2,
      ),
    );
    out.push(row(`N=${n}: history events per run`, t.baseline.events, t.product.events, 0));
  }
  // What one more step costs, without the per-run costs (start, first and last task).
  const lo = bySize.get(sizes[0] as number) as Totals;
  const hi = bySize.get(sizes[sizes.length - 1] as number) as Totals;
  const dn = (sizes[sizes.length - 1] as number) - (sizes[0] as number);
  if (dn > 0) {
    const slope = (v: Variant, f: (t: Totals[Variant]) => number): number => (f(hi[v]) - f(lo[v])) / dn;
    const cpuRun = (t: Totals[Variant]): number => sum(t.samples.map((s) => s.cpuMs)) / t.samples.length;
    out.push(
      row(
        `each added step: latency (ms, slope N=${sizes[0]}→${sizes[sizes.length - 1]})`,
        slope('baseline', lat),
        slope('product', lat),
        2,
      ),
    );
    out.push(row('each added step: worker CPU (ms, slope)', slope('baseline', cpuRun), slope('product', cpuRun), 2));
  }
  return out;
}

function about(o: { runs: number; warmup: number }): string {
  return `A runbook of N no-op action steps run by \`runbookWorkflow\` against a bare workflow calling N no-op activities (the same activity, on the same server, in this process). Median of ${o.runs} runs per side after ${o.warmup} warm-up runs, interleaved. CPU per step = CPU over all measured runs / (runs × N); worker CPU is this process (both workers, the client), server CPU the dev server's (from /proc, 10 ms resolution).`;
}

function notes(): string[] {
  return [
    'The CPU target applies to the worker; server CPU and history size are shown to explain it.',
    'The slope rows take the per-run costs (start, first and last workflow task) out: what one more step costs.',
    "Most of a step's latency here is the dev server handing tasks out (the same on both sides), so the latency ratio hides CPU differences; see the CPU rows.",
  ];
}
