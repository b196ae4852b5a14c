/** A small HTTP load generator for the alert benchmarks: one POST's time, and a pool of them. */
import { Agent, request } from 'node:http';

export function createPoster(o: { keepAlive: boolean; maxSockets?: number }) {
  const agent = o.keepAlive ? new Agent({ keepAlive: true, maxSockets: o.maxSockets ?? 64 }) : undefined;
  function post(url: string, body: string, headers: Record<string, string> = {}): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method: 'POST',
          agent: agent ?? false,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            ...(agent ? {} : { connection: 'close' }),
            ...headers,
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }
  return { post, close: () => agent?.destroy() };
}

/** Runs the tasks, at most `concurrency` at once; resolves with the wall time in ms. */
export async function runPool(tasks: Array<() => Promise<unknown>>, concurrency: number): Promise<number> {
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < tasks.length; i = next++) await (tasks[i] as () => Promise<unknown>)();
    }),
  );
  return performance.now() - t0;
}
