/**
 * Temporal calls made by schedule sync and operations, under a deadline (as `call` in
 * src/runs/service.ts): the SDK would retry an unreachable server for ~25 s, while a person or a
 * starting process is better served by a prompt RunError('unavailable') (503).
 */
import { ScheduleAlreadyRunning, ScheduleNotFoundError, type Client } from '@temporalio/client';
import { isUnavailable, RunError } from '../runs/errors';

/** @default 8000 */
export const DEFAULT_DEADLINE_MS = 8000;

export type TemporalCall = <T>(
  fn: () => Promise<T>,
  what?: { notFound?: string; alreadyExists?: string },
) => Promise<T>;

export function temporalCall(client: Pick<Client, 'connection'>, deadlineMs = DEFAULT_DEADLINE_MS): TemporalCall {
  return async (fn, what = {}) => {
    try {
      return await client.connection.withDeadline(Date.now() + deadlineMs, fn);
    } catch (err) {
      if (err instanceof RunError) throw err;
      if (err instanceof ScheduleNotFoundError && what.notFound) throw new RunError('not_found', what.notFound, 'id');
      if (err instanceof ScheduleAlreadyRunning && what.alreadyExists)
        throw new RunError('conflict', what.alreadyExists, 'id');
      if (isUnavailable(err)) throw new RunError('unavailable', `Temporal is unreachable: ${(err as Error).message}`);
      throw err;
    }
  };
}

/** Maps items with at most `limit` calls in flight, keeping order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return out;
}
