/**
 * The worker's /metrics: our product metrics plus the Temporal SDK's own (which the SDK core
 * serves on a private loopback port), in one scrape. Also /healthz (the process is up) and
 * /readyz (polling Temporal; 503 with the reason while it is still reaching it at start).
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';

export async function startWorkerMetricsServer(o: {
  registry: Registry;
  port: number;
  host?: string;
  sdkMetricsUrl?: string;
  /** Why the worker is not polling yet (src/config/temporal.ts TemporalStartup); undefined when it is. */
  notReady?: () => string | undefined;
}): Promise<Server> {
  const json = (res: ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(`${JSON.stringify(body)}\n`);
  };
  const server = createServer((req, res) => {
    if (req.url === '/healthz') return json(res, 200, { status: 'ok' });
    if (req.url === '/readyz') {
      const problem = o.notReady?.();
      return problem
        ? json(res, 503, { status: 'unavailable', temporal: problem })
        : json(res, 200, { status: 'ready' });
    }
    if (req.url !== '/metrics') {
      res.writeHead(404).end('not found\n');
      return;
    }
    void (async () => {
      let text = await o.registry.metrics();
      if (o.sdkMetricsUrl) {
        try {
          const sdk = await fetch(o.sdkMetricsUrl, { signal: AbortSignal.timeout(2000) });
          text += `\n${await sdk.text()}`;
        } catch {
          // SDK metrics are a bonus: never fail the scrape of ours because of them.
        }
      }
      res.writeHead(200, { 'content-type': o.registry.contentType }).end(text);
    })().catch((err: Error) => res.writeHead(500).end(`${err.message}\n`));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host ?? '0.0.0.0', () => resolve());
  });
  return server;
}
