/**
 * 7. Channels.
 * (a) One run event to five targets (two webhooks, Slack's Web API, a Slack incoming webhook,
 *     PagerDuty) through the product's notify activities, against bare `fetch` POSTs of the same
 *     bodies, with the same headers, to the same loopback receiver, five at once either way.
 * (b) A Slack button click to the decision applied: a signed click posted to the product's API
 *     until Slack's response_url hears the outcome (the decision is applied before that post),
 *     against the bare approval round trip (executeUpdate of a trivial update) plus one HTTP request.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MockActivityEnvironment } from '@temporalio/testing';
import { Registry } from 'prom-client';
import { createActivities } from '../../src/activities';
import { createSecretResolver, envVarFor } from '../../src/activities/secrets';
import { buildApp } from '../../src/api/app';
import { createSlackVerifier, slackSignature } from '../../src/api/slack-signature';
import { loadConfig, type AppConfig, type NotifyTarget } from '../../src/config/load';
import { createRunService } from '../../src/runs/service';
import type { ActionInput, ActionResult, StepContext } from '../../src/shared/activity-types';
import { RUNBOOK_WORKFLOW } from '../../src/shared/constants';
import { statusQuery } from '../../src/shared/messages';
import { buttonValue } from '../../src/shared/slack-blocks';
import { createWorkerMetrics } from '../../src/worker/metrics';
import { bareApproveUpdate } from './bare-workflows';
import { APPROVAL_STEP, APPROVER, approvalRun, BENCH_KEYS, signedInput } from './definitions';
import { sleep, type BenchEnv } from './harness';
import { fmt, median, percentile, type Row, type Section } from './report';
import { createBenchWorker, Readiness, runWorkers } from './workers';

interface Seen {
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** A loopback receiver answering each path as the real service would, keeping what it got. */
async function receiver(onRequest?: (s: Seen) => void): Promise<{ url: string; seen: Seen[]; close(): Promise<void> }> {
  const seen: Seen[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const s: Seen = {
        path: req.url ?? '',
        headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])),
        body: Buffer.concat(chunks).toString('utf8'),
      };
      seen.push(s);
      if (seen.length > 10_000) seen.splice(0, 5_000);
      const json = (status: number, body: unknown) =>
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (s.path.startsWith('/api/chat.')) json(200, { ok: true, channel: 'C0OPS', ts: '1700000000.000001' });
      else if (s.path === '/v2/enqueue') json(202, { status: 'success', message: 'Event processed' });
      else res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      onRequest?.(s);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, seen, close: () => new Promise((r) => server.close(() => r())) };
}

const emptyLibrary = () => ({ dir: '', runbooks: new Map(), files: new Map(), schedules: [] }) as never;

const SENT_HEADERS = ['content-type', 'authorization', 'idempotency-key'];

export async function channelFanOut(o: { runs: number; warmup: number }): Promise<Row[]> {
  const r = await receiver();
  const targets: Record<string, NotifyTarget> = {
    oncall: { kind: 'webhook', url: `${r.url}/hook/oncall` },
    audit: { kind: 'webhook', url: `${r.url}/hook/audit` },
    'ops-slack': { kind: 'slack', tokenSecret: 'slack-bot', channel: 'C0OPS', baseUrl: `${r.url}/api` },
    'team-slack': { kind: 'slack-webhook', urlSecret: 'slack-hook' },
    pagerduty: { kind: 'pagerduty', routingKeySecret: 'pd-key', baseUrl: r.url },
  };
  const acts = createActivities({
    fetch: globalThis.fetch,
    secrets: createSecretResolver({
      env: {
        [envVarFor('slack-bot')]: 'xoxb-bench',
        [envVarFor('slack-hook')]: `${r.url}/services/T0/B0/x`,
        [envVarFor('pd-key')]: 'R0UT1NGKEY0123456789abcdefABCDEF',
      },
      bindings: { 'slack-bot': [r.url], 'pd-key': [r.url] },
    }),
    webhookTargets: {},
    notifyTargets: targets,
    runUrl: (id) => `http://ui/wf/${id}`,
    library: emptyLibrary,
    metrics: createWorkerMetrics(),
  }) as unknown as Record<string, (i: ActionInput) => Promise<ActionResult>>;
  const notify = acts['notify:webhook:post']!;
  // Slack's per-channel spacing (one post a second) would measure Slack's limit, not our overhead.
  const channels = Object.keys(targets);
  const env = new MockActivityEnvironment();
  const times = { product: [] as number[], baseline: [] as number[] };
  try {
    for (let i = 0; i < o.warmup + o.runs; i++) {
      const step: StepContext = {
        workflowId: `bench-fanout-${i}`,
        runId: 'r',
        stepId: 'tell',
        runbookId: 'bench',
        idempotencyKey: `bench-fanout-${i}/tell`,
        dryRun: false,
      };
      const input = { message: `checkout restarted (${i})`, title: 'Restarted', severity: 'info' };
      const from = r.seen.length;
      const t0 = performance.now();
      await Promise.all(
        channels.map((target, n) =>
          env.run(notify, {
            step: { ...step, stepId: `tell-${n}`, workflowId: `${step.workflowId}-${target}` },
            input: { ...input, target },
          }),
        ),
      );
      const product = performance.now() - t0;
      // The same requests, as bare posts.
      const sent = r.seen.slice(from);
      const t1 = performance.now();
      await Promise.all(
        sent.map(async (s) => {
          const headers = Object.fromEntries(SENT_HEADERS.filter((h) => s.headers[h]).map((h) => [h, s.headers[h]!]));
          const res = await fetch(`${r.url}${s.path}`, { method: 'POST', headers, body: s.body });
          await res.arrayBuffer();
        }),
      );
      const baseline = performance.now() - t1;
      if (i >= o.warmup) {
        times.product.push(product);
        times.baseline.push(baseline);
      }
      // One Slack post a second per channel: a new channel for each event keeps that limit out.
      (targets['ops-slack'] as { channel: string }).channel = `C0OPS${i}`;
    }
  } finally {
    await r.close();
  }
  return rows('one event to five targets', times, 1.3);
}

function rows(what: string, t: { product: number[]; baseline: number[] }, target: number): Row[] {
  const row = (metric: string, f: (xs: number[]) => number, goal?: number): Row => {
    const b = f(t.baseline);
    const p = f(t.product);
    return {
      metric,
      baseline: fmt(b, 2),
      product: fmt(p, 2),
      ratio: p / b,
      ...(goal !== undefined ? { target: goal } : {}),
    };
  };
  return [row(`${what}, median (ms)`, median, target), row(`${what}, p90 (ms)`, (xs) => percentile(xs, 0.9))];
}

const SECRET = 'bench-slack-signing-secret';

export async function slackClick(env: BenchEnv, o: { runs: number; warmup: number }): Promise<Row[]> {
  let heard: (() => void) | undefined;
  const slack = await receiver((s) => {
    if (s.path === '/response' || s.path === '/bare') heard?.();
  });
  const readiness = new Readiness();
  const queues = { baseline: `bench-click-b-${randomUUID()}`, product: `bench-click-p-${randomUUID()}` };
  const workers = await Promise.all(
    (['baseline', 'product'] as const).map((v) =>
      createBenchWorker({ connection: env.connection, taskQueue: queues[v], codePath: env.bundles[v], readiness }),
    ),
  );
  const config: AppConfig = {
    ...loadConfig({ RUNBOOKS_CONFIG: '' }, process.cwd(), { tokens: false }),
    taskQueue: queues.product,
    signingKeys: () => BENCH_KEYS,
  };
  const runs = createRunService({ client: env.client, config, library: emptyLibrary });
  const app = buildApp({
    runs,
    library: emptyLibrary,
    tokens: [],
    registry: new Registry(),
    slack: {
      verifier: createSlackVerifier(Buffer.from(SECRET)),
      users: { UBOB: { identity: APPROVER, roles: ['approver'] } },
      responseUrlOrigins: [slack.url],
    },
  });
  const api = await app.listen({ host: '127.0.0.1', port: 0 });
  const times = { product: [] as number[], baseline: [] as number[] };
  try {
    await runWorkers(workers, async () => {
      for (let i = 0; i < o.warmup + o.runs; i++) {
        // Product: a waiting run, its request's button as Slack would send the click.
        const pid = `bench-click-p-${randomUUID()}`;
        const handle = await env.client.workflow.start(RUNBOOK_WORKFLOW, {
          taskQueue: queues.product,
          workflowId: pid,
          args: [signedInput(approvalRun(), pid)],
        });
        await readiness.wait(pid);
        const opening = (await handle.query(statusQuery)).pendingApprovals[0]?.requestedAt;
        const bid = `bench-click-b-${randomUUID()}`;
        const bare = await env.client.workflow.start('bareApprovalWorkflow', {
          taskQueue: queues.baseline,
          workflowId: bid,
        });
        await readiness.wait(bid);
        await sleep(100); // both idle in the worker's cache
        const payload = {
          type: 'block_actions',
          user: { id: 'UBOB' },
          response_url: `${slack.url}/response`,
          actions: [{ action_id: 'runbook.approve', value: buttonValue(pid, APPROVAL_STEP, opening) }],
        };
        const raw = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
        const ts = String(Math.floor(Date.now() / 1000));
        const headers = {
          'content-type': 'application/x-www-form-urlencoded',
          'x-slack-request-timestamp': ts,
          'x-slack-signature': slackSignature(SECRET, ts, raw),
        };
        const productDone = new Promise<void>((r) => (heard = r));
        const t0 = performance.now();
        const ack = await fetch(`${api}/v1/slack/interactions`, { method: 'POST', headers, body: raw });
        await ack.arrayBuffer();
        await productDone;
        const product = performance.now() - t0;
        const baselineDone = new Promise<void>((r) => (heard = r));
        const t1 = performance.now();
        await bare.executeUpdate(bareApproveUpdate, { args: [{ actor: APPROVER }] });
        const res = await fetch(`${slack.url}/bare`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"text":"approved"}',
        });
        await res.arrayBuffer();
        await baselineDone;
        const baseline = performance.now() - t1;
        await Promise.all([handle.result(), bare.result()]);
        if (i >= o.warmup) {
          times.product.push(product);
          times.baseline.push(baseline);
        }
      }
    });
  } finally {
    await app.close();
    await slack.close();
  }
  return rows('click to decision', times, 1.2);
}

export async function channels(env: BenchEnv, o: { runs: number; warmup: number }): Promise<Section> {
  // Cheap per event: many, after a warm-up long enough for both sides' code and connections.
  const fanOut = await channelFanOut({ runs: Math.max(o.runs * 20, 200), warmup: Math.max(o.warmup * 20, 50) });
  const click = await slackClick(env, o);
  return {
    title: '7. Channels',
    about:
      'One run event to five targets (two webhooks, Slack chat.postMessage, a Slack incoming webhook, PagerDuty) through the notify activities (egress check, bound secrets, pinned connection, redaction), against bare fetch POSTs of the same bodies and headers to the same loopback receiver, five at once either way. ' +
      'A Slack button click (signed, form-encoded, as Slack sends it) to the API until the response_url post arrives (the decision applied before it), against executeUpdate of a trivial update on a bare workflow plus one HTTP POST. Interleaved, each run idle in the cache.',
    rows: [...fanOut, ...click],
  };
}
