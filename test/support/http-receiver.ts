/**
 * A real HTTP server on loopback that records every request (method, path, headers, body) and
 * answers from a programmable script. Stands in for the systems runbooks act on.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export type Responder = (
  req: Received,
  count: number,
) => { status: number; body?: unknown; headers?: Record<string, string>; delayMs?: number };

export interface Receiver {
  url: string;
  received: Received[];
  /** Requests to one path. */
  on(path: string, responder: Responder): void;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const received: Received[] = [];
  const routes = new Map<string, Responder>();
  const counts = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: Received = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      received.push(r);
      const path = r.path.split('?')[0] as string;
      const n = (counts.get(path) ?? 0) + 1;
      counts.set(path, n);
      const out = routes.get(path)?.(r, n) ?? { status: 404, body: { error: 'no route' } };
      const send = (): void => {
        const text = out.body === undefined ? '' : typeof out.body === 'string' ? out.body : JSON.stringify(out.body);
        res.writeHead(out.status, {
          'content-type': typeof out.body === 'string' ? 'text/plain' : 'application/json',
          ...out.headers,
        });
        res.end(text);
      };
      if (out.delayMs) setTimeout(send, out.delayMs);
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    on: (path, responder) => routes.set(path, responder),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
