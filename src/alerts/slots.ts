/**
 * Bounded concurrency for alert ingest. CallSlots, a semaphore for Temporal calls: at most
 * `limit` at once, the rest wait in arrival order, each for at most `waitMs` (then
 * RunError('unavailable'): Temporal is slower than what is queued for it; the sender retries).
 * inLanes: one notification's alerts, a few at a time, so notifications interleave.
 */
import { RunError } from '../runs/errors';

interface Waiter {
  start: () => void;
  timer: NodeJS.Timeout;
}

export class CallSlots {
  private active = 0;
  private readonly queue: Waiter[] = [];

  constructor(
    readonly limit: number,
    private readonly waitMs: number,
  ) {}

  /** Calls running now. */
  inFlight(): number {
    return this.active;
  }

  /** Calls waiting for a slot. */
  waiting(): number {
    return this.queue.length;
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await fn();
    } finally {
      this.release();
    }
  }

  private acquire(): Promise<void> {
    if (this.active < this.limit) {
      this.active += 1;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        start: resolve,
        timer: setTimeout(() => {
          this.queue.splice(this.queue.indexOf(waiter), 1);
          reject(
            new RunError(
              'unavailable',
              `overloaded: waited ${this.waitMs / 1000} s for one of ${this.limit} Temporal calls; retry`,
            ),
          );
        }, this.waitMs),
      };
      waiter.timer.unref?.();
      this.queue.push(waiter);
    });
  }

  private release(): void {
    const next = this.queue.shift();
    if (!next) {
      this.active -= 1;
      return;
    }
    // The slot passes straight to the next in line.
    clearTimeout(next.timer);
    next.start();
  }
}

/** Runs `work` on each item, at most `lanes` at once; results in order. Stops taking items after a failure. */
export async function inLanes<T, R>(items: readonly T[], lanes: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { err: unknown } | undefined;
  const lane = async (): Promise<void> => {
    while (!failure && next < items.length) {
      const i = next++;
      try {
        results[i] = await work(items[i] as T);
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(lanes, items.length) }, lane));
  if (failure) throw failure.err;
  return results;
}
