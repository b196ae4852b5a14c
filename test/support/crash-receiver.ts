/**
 * A loopback HTTP target for crash tests that behaves like a careful API: a mutating request is
 * applied once per `Idempotency-Key`, and a repeat of the key gets the first answer again without
 * being applied. It records every request, and can hold the answer to a request open, so a test
 * knows for certain that a step is in flight (applied, answer not yet sent) when it kills a worker.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type RequestOutcome = 'applied' | 'replayed' | 'conflict' | 'read';

export interface ReceivedRequest {
  /** 1-based arrival order. */
  seq: number;
  /** Date.now() at arrival. */
  at: number;
  method: string;
  path: string;
  idempotencyKey?: string;
  body: string;
  outcome: RequestOutcome;
}

export interface AppliedMutation {
  /** Undefined when the request carried no key (then every request is applied: the bug to catch). */
  key?: string;
  method: string;
  path: string;
  body: string;
  /** The request that applied it. */
  seq: number;
}

export interface HeldAnswer {
  /** Resolves with the request once it has arrived (and was applied, if it mutates). */
  arrived: Promise<ReceivedRequest>;
  /** Resolves when the caller's connection closed before it was answered. */
  callerGone: Promise<void>;
  /** Sends the held answer now (a no-op once the caller is gone). */
  release(): void;
}

export type ReadAnswer = () => { status: number; body: unknown };

export interface CrashReceiver {
  url: string;
  requests: ReceivedRequest[];
  applied: AppliedMutation[];
  /** How GET and HEAD requests to `path` are answered; unknown paths answer 404. */
  onRead(path: string, answer: ReadAnswer): void;
  /** Holds the answer to the next request to `path` until `release()` or the caller goes away. */
  holdNext(path: string): HeldAnswer;
  /** Requests to one path, in arrival order. */
  to(path: string): ReceivedRequest[];
  close(): Promise<void>;
}

interface Answer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

interface Hold {
  arrived: (r: ReceivedRequest) => void;
  gone: () => void;
  release?: () => void;
}

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

export async function startCrashReceiver(): Promise<CrashReceiver> {
  const requests: ReceivedRequest[] = [];
  const applied: AppliedMutation[] = [];
  // key -> what was applied and answered the first time
  const byKey = new Map<string, { fingerprint: string; answer: Answer }>();
  const reads = new Map<string, ReadAnswer>();
  const holds = new Map<string, Hold>();

  function mutate(r: Omit<ReceivedRequest, 'outcome'>): { outcome: RequestOutcome; answer: Answer } {
    const fingerprint = createHash('sha256').update(`${r.method} ${r.path}\n${r.body}`).digest('hex');
    const first = r.idempotencyKey !== undefined ? byKey.get(r.idempotencyKey) : undefined;
    if (first && first.fingerprint !== fingerprint) {
      // As payment APIs do: one key, one request; a different request under it is refused.
      return {
        outcome: 'conflict',
        answer: { status: 422, body: { error: 'idempotency key reused for a different request' } },
      };
    }
    if (first) return { outcome: 'replayed', answer: { ...first.answer, headers: { 'idempotent-replayed': 'true' } } };
    applied.push({
      ...(r.idempotencyKey !== undefined ? { key: r.idempotencyKey } : {}),
      method: r.method,
      path: r.path,
      body: r.body,
      seq: r.seq,
    });
    const answer: Answer = { status: 200, body: { applied: true, appliedBySeq: r.seq, path: r.path } };
    if (r.idempotencyKey !== undefined) byKey.set(r.idempotencyKey, { fingerprint, answer });
    return { outcome: 'applied', answer };
  }

  function send(res: ServerResponse, a: Answer): void {
    if (res.destroyed || res.writableEnded) return;
    res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers });
    res.end(JSON.stringify(a.body));
  }

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const method = req.method ?? '';
      const path = (req.url ?? '').split('?')[0] as string;
      const key = req.headers['idempotency-key'];
      const base = {
        seq: requests.length + 1,
        at: Date.now(),
        method,
        path,
        ...(typeof key === 'string' ? { idempotencyKey: key } : {}),
        body: Buffer.concat(chunks).toString('utf8'),
      };
      let outcome: RequestOutcome = 'read';
      let answer: Answer;
      if (method === 'GET' || method === 'HEAD') {
        const read = reads.get(path);
        answer = read ? { ...read() } : { status: 404, body: { error: `no route ${path}` } };
      } else {
        ({ outcome, answer } = mutate(base));
      }
      const received: ReceivedRequest = { ...base, outcome };
      requests.push(received);
      const hold = holds.get(path);
      if (!hold) {
        send(res, answer);
        return;
      }
      holds.delete(path);
      res.on('close', () => {
        if (!res.writableFinished) hold.gone();
      });
      hold.release = () => send(res, answer);
      hold.arrived(received);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    applied,
    onRead: (path, answer) => reads.set(path, answer),
    holdNext(path) {
      const arrived = deferred<ReceivedRequest>();
      const gone = deferred<void>();
      const hold: Hold = { arrived: arrived.resolve, gone: () => gone.resolve() };
      holds.set(path, hold);
      return { arrived: arrived.promise, callerGone: gone.promise, release: () => hold.release?.() };
    },
    to: (path) => requests.filter((r) => r.path === path),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
