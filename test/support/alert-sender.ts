/**
 * Sends webhook notifications as Alertmanager does: POST JSON with a bearer token, retrying
 * 5xx answers and connection failures with backoff until accepted; 4xx are not retried (and are
 * counted, since a sender drops them). Keep-alive connections, or a new one per request.
 */
import { Agent, request } from 'node:http';

export interface SendResult {
  status: number;
  attempts: number;
  body: string;
}

const keepAlive = new Agent({ keepAlive: true, maxSockets: 64 });

function postOnce(
  url: string,
  token: string,
  body: string,
  newConnection: boolean,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent: newConnection ? false : keepAlive,
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${token}`,
          'content-length': Buffer.byteLength(body),
          ...(newConnection ? { connection: 'close' } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.setTimeout(30_000, () => req.destroy(new Error('timeout')));
    req.end(body);
  });
}

/** Delivers one notification, retrying as Alertmanager would, within `deadlineMs`. */
export async function deliver(
  url: string,
  token: string,
  payload: unknown,
  o: { newConnection?: boolean; deadlineMs?: number } = {},
): Promise<SendResult> {
  const body = JSON.stringify(payload);
  const deadline = Date.now() + (o.deadlineMs ?? 120_000);
  let delay = 50;
  for (let attempts = 1; ; attempts++) {
    const r = await postOnce(url, token, body, o.newConnection ?? false).catch((err: Error) => ({
      status: 0,
      body: err.message,
    }));
    if ((r.status >= 200 && r.status < 500) || Date.now() > deadline) return { ...r, attempts };
    await new Promise((res) => setTimeout(res, delay));
    delay = Math.min(delay * 2, 1000);
  }
}

/** Runs `tasks` with at most `concurrency` at once. */
export async function pool<T>(tasks: Array<() => Promise<T>>, concurrency: number): Promise<T[]> {
  const out: T[] = new Array(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < tasks.length; i = next++) out[i] = await (tasks[i] as () => Promise<T>)();
    }),
  );
  return out;
}

export function closeSenderConnections(): void {
  keepAlive.destroy();
}
