/**
 * The HTTP baseline for the alert benchmarks: a Fastify server that only parses the JSON body
 * and answers 200. Run as its own process, as the product's API is: `node bare-http-server.js <port>`.
 */
import Fastify from 'fastify';

const app = Fastify({ logger: false, bodyLimit: 4 * 1024 * 1024 });
app.post('/ingest', async (req) => ({ ok: true, alerts: ((req.body as { alerts?: unknown[] }).alerts ?? []).length }));
app.get('/readyz', async () => ({ status: 'ready' }));
app.listen({ host: '127.0.0.1', port: Number(process.argv[2]) }).catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});
