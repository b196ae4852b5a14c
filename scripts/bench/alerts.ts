/**
 * 5. Alert ingestion. The product's API as deployed (its own process, `node dist/src/api/main.js`)
 * against baselines on the same machine and server: a bare Fastify process that only parses the
 * body, and bare `workflow.start` calls from this process.
 * - alert to run started: one Alertmanager notification answered (the API answers once the run
 *   is started in Temporal) vs a bare HTTP round trip plus a bare workflow.start;
 * - storms: 10,000 notifications for 1,000 alerts (shuffled repeats), 64 at a time, with
 *   keep-alive and with a new connection per request, vs the bare server on the same payloads;
 * - storm to starts: the same storm's 1,000 runs started vs 1,000 bare concurrent starts.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../src/platform/ports';
import { projectRoot } from '../../src/platform/project-root';
import { sleep, track, type BenchEnv } from './harness';
import { createPoster, runPool } from './http-load';
import { fmt, percentile, type Row, type Section } from './report';
import { BENCH_KEYS_ENV } from './definitions';

const TOKEN = 'bench-alertmanager-token';
const CONCURRENCY = 64;

async function waitReady(url: string, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if ((await fetch(`${url}/readyz`).catch(() => undefined))?.ok) return;
    await sleep(100);
  }
  throw new Error(`${what} did not become ready at ${url}`);
}

async function startProductApi(env: BenchEnv): Promise<string> {
  const dir = join(env.tmp, 'alerts-api');
  mkdirSync(join(dir, 'runbooks'), { recursive: true });
  writeFileSync(
    join(dir, 'runbooks', 'bench-alert.yaml'),
    'id: bench-alert\ntitle: Bench alert\nparams:\n  instance: { type: string }\nsteps:\n  - id: settle\n    wait: 1s\n',
  );
  writeFileSync(
    join(dir, 'config.yaml'),
    [
      'auth:',
      '  tokens:',
      `    - { identity: alertmanager, roles: [alerts], token: ${TOKEN} }`,
      'alerts:',
      '  maxInFlight: 1000',
      '  routes:',
      '    - { id: bench, match: { labels: { severity: warning } }, runbook: bench-alert, params: { instance: "${{ alert.labels.instance }}" }, owner: alertmanager }',
      '',
    ].join('\n'),
  );
  const port = await freePort();
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(TEMPORAL_|RUNBOOK)/.test(k)));
  track(
    spawn(process.execPath, ['dist/src/api/main.js'], {
      cwd: projectRoot(),
      env: {
        ...inherited,
        TEMPORAL_ADDRESS: env.server.address,
        RUNBOOKS_CONFIG: join(dir, 'config.yaml'),
        RUNBOOKS_DIR: join(dir, 'runbooks'),
        RUNBOOKS_API_PORT: String(port),
        RUNBOOKS_TASK_QUEUE: 'bench-alerts',
        RUNBOOKS_DATA_DIR: join(dir, 'data'),
        // The API signs each alert's start (the bench measures it, as the issue asks).
        RUNBOOK_SIGNING_KEYS: BENCH_KEYS_ENV,
      },
      stdio: 'ignore',
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  await waitReady(url, 'the product API');
  return url;
}

async function startBareServer(): Promise<string> {
  const port = await freePort();
  track(spawn(process.execPath, [join(__dirname, 'bare-http-server.js'), String(port)], { stdio: 'ignore' }));
  const url = `http://127.0.0.1:${port}`;
  await waitReady(url, 'the bare HTTP server');
  return url;
}

function notification(alertname: string, i: number, startsAt: string, value: number): string {
  return JSON.stringify({
    version: '4',
    groupKey: `{}:{instance="i-${i}"}`,
    truncatedAlerts: 0,
    status: 'firing',
    receiver: 'runbooks',
    groupLabels: { alertname },
    commonLabels: { alertname },
    commonAnnotations: {},
    externalURL: 'http://alertmanager:9093',
    alerts: [
      {
        status: 'firing',
        labels: { alertname, instance: `i-${i}`, severity: 'warning' },
        annotations: { summary: `instance ${i}`, value: String(value) },
        startsAt,
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: 'http://prometheus:9090/graph',
        fingerprint: `${i.toString(16).padStart(8, '0')}${alertname.length.toString(16).padStart(8, '0')}`,
      },
    ],
  });
}

/** The storm's bodies: `alerts` alerts, each `repeats` times (three contents), shuffled reproducibly. */
function storm(alertname: string, alerts: number, repeats: number): string[] {
  const startsAt = new Date().toISOString();
  const out: string[] = [];
  for (let i = 0; i < alerts; i++)
    for (let r = 0; r < repeats; r++) out.push(notification(alertname, i, startsAt, r % 3));
  let seed = 7;
  const rand = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j] as string, out[i] as string];
  }
  return out;
}

export async function alertIngestion(env: BenchEnv, o: { samples: number; stormSize: number }): Promise<Section> {
  const product = await startProductApi(env);
  const bare = await startBareServer();
  const keep = createPoster({ keepAlive: true, maxSockets: CONCURRENCY });
  const fresh = createPoster({ keepAlive: false });
  const auth = { authorization: `Bearer ${TOKEN}` };
  const amUrl = `${product}/v1/alerts/alertmanager`;
  const ok = (status: number, what: string): void => {
    if (status !== 200) throw new Error(`${what} answered ${status}`);
  };
  try {
    // Alert to run started, one at a time, interleaved, after warm-up.
    const lat = { product: [] as number[], baseline: [] as number[], sws: [] as number[] };
    const startsAt = new Date().toISOString();
    for (let i = 0; i < o.samples + 20; i++) {
      const body = notification('BenchLatency', i, startsAt, 0);
      let t0 = performance.now();
      ok(await keep.post(amUrl, body, auth), 'the product API');
      const p = performance.now() - t0;
      t0 = performance.now();
      ok(await keep.post(`${bare}/ingest`, body), 'the bare server');
      const http = performance.now() - t0;
      t0 = performance.now();
      await env.client.workflow.start('bareApprovalWorkflow', {
        taskQueue: 'bench-alerts-bare',
        workflowId: `bench-bare-${randomUUID()}`,
      });
      const b = http + performance.now() - t0;
      // Where the difference goes: signal-with-start instead of start (info row).
      t0 = performance.now();
      await env.client.workflow.signalWithStart('bareApprovalWorkflow', {
        taskQueue: 'bench-alerts-bare',
        workflowId: `bench-sws-${randomUUID()}`,
        signal: 'alert',
        signalArgs: [body],
      });
      const sws = http + performance.now() - t0;
      if (i >= 20) {
        lat.product.push(p);
        lat.baseline.push(b);
        lat.sws.push(sws);
      }
    }
    const q = (p: number): Row => {
      const b = percentile(lat.baseline, p);
      const v = percentile(lat.product, p);
      return {
        metric: `alert to run started, p${p * 100} (ms)`,
        baseline: fmt(b),
        product: fmt(v),
        ratio: v / b,
        target: p === 0.5 ? 1.2 : 1.5,
      };
    };
    const swsRow: Row = {
      metric: 'bare signal-with-start + HTTP instead of start, p50 (ms)',
      baseline: fmt(percentile(lat.baseline, 0.5)),
      product: fmt(percentile(lat.sws, 0.5)),
      ratio: percentile(lat.sws, 0.5) / percentile(lat.baseline, 0.5),
    };

    // Storms: 10 notifications per alert.
    const alerts = Math.max(1, Math.round(o.stormSize / 10));
    const timed = async (
      bodies: string[],
      poster: ReturnType<typeof createPoster>,
      url: string,
      headers: Record<string, string> = {},
    ): Promise<number> => {
      const statuses: number[] = [];
      const ms = await runPool(
        bodies.map((b) => async () => statuses.push(await poster.post(url, b, headers))),
        CONCURRENCY,
      );
      const bad = statuses.filter((s) => s !== 200);
      if (bad.length) throw new Error(`${bad.length} of ${statuses.length} answers were not 200 (first: ${bad[0]})`);
      return ms;
    };
    const bodies = storm('BenchStorm', alerts, 10);
    // First pass: every alert is new, so each needs a run started before its first answer.
    const productFirst = await timed(bodies, keep, amUrl, auth);
    // The storm goes on (Alertmanager re-sends its groups): the same notifications again.
    const bareKa = await timed(bodies, keep, `${bare}/ingest`);
    const productKa = await timed(bodies, keep, amUrl, auth);
    const bareNc = await timed(bodies, fresh, `${bare}/ingest`);
    const productNc = await timed(bodies, fresh, amUrl, auth);
    const bareStarts = await runPool(
      Array.from(
        { length: alerts },
        () => () =>
          env.client.workflow.start('bareApprovalWorkflow', {
            taskQueue: 'bench-alerts-bare',
            workflowId: `bench-bare-${randomUUID()}`,
          }),
      ),
      CONCURRENCY,
    );
    const rps = (n: number, ms: number): number => (n * 1000) / ms;
    const throughput = (metric: string, b: number, p: number, target: number): Row => ({
      metric,
      baseline: fmt(b, 0),
      product: fmt(p, 0),
      ratio: p / b,
      target,
      atLeast: true,
    });
    return {
      title: '5. Alert ingestion',
      about: `The product's API in its own process (\`node dist/src/api/main.js\`, as deployed, request logging on) against a bare Fastify process that only parses the JSON body, and bare \`workflow.start\` calls, on the same server. Latency: ${o.samples} Alertmanager notifications one at a time (each a new alert: the answer comes once its run is started), against a bare HTTP round trip plus a bare \`workflow.start\` (measured back to back, summed). Storms: ${bodies.length} notifications for ${alerts} alerts (10 each, three contents, shuffled), ${CONCURRENCY} at a time, with keep-alive and with a new connection per request, against the bare server on the same bodies; storm to starts: the first pass's ${alerts} runs started against ${alerts} bare concurrent \`workflow.start\` calls.`,
      rows: [
        q(0.5),
        q(0.99),
        swsRow,
        throughput(
          'storm ingest, keep-alive (notifications/s)',
          rps(bodies.length, bareKa),
          rps(bodies.length, productKa),
          0.35,
        ),
        throughput(
          'storm ingest, new connection each (notifications/s)',
          rps(bodies.length, bareNc),
          rps(bodies.length, productNc),
          0.8,
        ),
        throughput('storm to runs started (runs/s)', rps(alerts, bareStarts), rps(alerts, productFirst), 0.8),
        {
          metric: 'first pass of the storm, every alert new (notifications/s)',
          baseline: fmt(rps(bodies.length, bareKa), 0),
          product: fmt(rps(bodies.length, productFirst), 0),
          ratio: productFirst > 0 ? bareKa / productFirst : NaN,
        },
      ],
      notes: [
        'Throughput ratios are product / baseline and must be at least the target.',
        'Ingest rows: the storm going on, i.e. its notifications sent again once their runs exist (as Alertmanager re-sends groups); the API answers repeats from memory and coalesces changed content. The first pass, where every alert is new, is bound by how fast Temporal starts workflows: its rate is the "storm to runs started" row (each run started before its alert is answered), and the last row shows it as notifications/s (info).',
      ],
    };
  } finally {
    keep.close();
    fresh.close();
  }
}
