/**
 * In-process workers for both sides of a comparison, built alike (the product's metrics sinks,
 * the no-op activity), each with one bundle (product or baselines) on its own task queue.
 * Both report, through a sink, when a run has reached its wait (Readiness).
 */
import { Worker, type InjectedSinks, type NativeConnection } from '@temporalio/worker';
import type { RunbookMetricsSinks } from '../../src/shared/sinks';
import { createWorkerMetrics } from '../../src/worker/metrics';
import type { BenchSinks } from './bare-workflows';
import { BENCH_KEYS, benchActivities } from './definitions';
import { readFileSync } from 'node:fs';
import { withSigningKeys } from '../../src/worker/signing-bundle';
import { createNoopPublisher } from '../../src/events/publisher';
import { eventSinks } from '../../src/worker/events';

export type Variant = 'baseline' | 'product';

/** Which runs have finished their first activation (the product's reports runStarted there). */
export class Readiness {
  private readonly seen = new Set<string>();
  private readonly waiters = new Map<string, () => void>();

  get count(): number {
    return this.seen.size;
  }

  mark(workflowId: string): void {
    this.seen.add(workflowId);
    this.waiters.get(workflowId)?.();
    this.waiters.delete(workflowId);
  }

  wait(workflowId: string, timeoutMs = 30_000): Promise<void> {
    if (this.seen.has(workflowId)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${workflowId} did not reach its wait within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.waiters.set(workflowId, () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

function productSinks(readiness: Readiness): InjectedSinks<RunbookMetricsSinks> {
  const { runbookMetrics } = createWorkerMetrics().sinks;
  const started = runbookMetrics.runStarted;
  return {
    runbookMetrics: {
      ...runbookMetrics,
      runStarted: {
        ...started,
        fn: (info, labels) => {
          void started.fn(info, labels);
          readiness.mark(info.workflowId);
        },
      },
    },
  };
}

function baselineSinks(readiness: Readiness): InjectedSinks<BenchSinks> {
  return { bench: { ready: { fn: (info) => readiness.mark(info.workflowId), callDuringReplay: false } } };
}

export interface BenchWorkerOptions {
  connection: NativeConnection;
  taskQueue: string;
  /** Bundle file (product, baseline, or a variant). */
  codePath: string;
  readiness: Readiness;
  maxCachedWorkflows?: number;
  /** Workflows in the main thread (heap measurable there). @default false */
  debugMode?: boolean;
}

export function createBenchWorker(o: BenchWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: o.connection,
    taskQueue: o.taskQueue,
    // With the signing keys in the sandbox, as the product's worker runs it (both sides alike).
    workflowBundle: { code: withSigningKeys(readFileSync(o.codePath, 'utf8'), BENCH_KEYS) },
    activities: benchActivities,
    // Both sides' sinks: a bundle calls only its own, and a combined one (investigate.ts) both.
    // The events sinks as the product's worker installs them (a no-op publisher when events are
    // off): without them every run would log "unregistered external sink" on each event.
    sinks: { ...productSinks(o.readiness), ...eventSinks(createNoopPublisher()), ...baselineSinks(o.readiness) },
    ...(o.maxCachedWorkflows ? { maxCachedWorkflows: o.maxCachedWorkflows } : {}),
    ...(o.debugMode ? { debugMode: true } : {}),
  });
}

/** Runs the workers while fn runs, then shuts them down (and rethrows whichever failed). */
export async function runWorkers<T>(workers: Worker[], fn: () => Promise<T>): Promise<T> {
  const running = workers.map((w) => w.run());
  try {
    return await Promise.race([
      fn(),
      ...running.map((p) => p.then(() => Promise.reject(new Error('a worker stopped early')))),
    ]);
  } finally {
    for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
    await Promise.allSettled(running);
  }
}

/** Maps items with at most `limit` calls in flight. */
export async function pool<T, R>(items: T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T, i);
    }
  });
  await Promise.all(lanes);
  return out;
}
