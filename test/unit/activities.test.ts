/** Catalog activities through their envelope, against a real loopback HTTP server. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalStore } from '../../src/activities/storage/local';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createActivities, type ActivityDeps } from '../../src/activities';
import { createSecretResolver, envVarFor } from '../../src/activities/secrets';
import { CATALOG } from '../../src/catalog';
import { freePort } from '../../src/platform/ports';
import type { ActionInput, ActionResult, StepContext } from '../../src/shared/activity-types';
import type { JsonObject } from '../../src/shared/model';
import { createWorkerMetrics } from '../../src/worker/metrics';
import { startReceiver, type Receiver } from '../support/http-receiver';
import { libraryOf } from '../support/runbook-worker';

let target: Receiver;
let closedUrl: string;
const metrics = createWorkerMetrics();
const step: StepContext = {
  workflowId: 'wf-1',
  runId: 'r-1',
  stepId: 'restart',
  runbookId: 'rb',
  idempotencyKey: 'wf-1/restart',
  dryRun: false,
};

beforeAll(async () => {
  Runtime.install({ logger: new DefaultLogger('ERROR'), shutdownSignals: [] });
  target = await startReceiver();
  closedUrl = `http://127.0.0.1:${await freePort()}/`;
  target.on('/ok', () => ({ status: 200, body: { fine: true } }));
  target.on('/text', () => ({ status: 200, body: 'plain text here' }));
  target.on('/many-a', () => ({ status: 200, body: 'a'.repeat(50_000) }));
  target.on('/hooks/restart', () => ({ status: 202, body: { accepted: true } }));
  target.on('/healthz', () => ({ status: 200, body: 'ok' }));
  target.on('/slow', () => ({ status: 200, body: 'late', delayMs: 300 }));
  target.on('/busy', () => ({ status: 503, body: 'busy' }));
  target.on('/missing', () => ({ status: 404, body: { error: 'nope' } }));
  target.on('/throttled', () => ({ status: 429, body: 'slow down' }));
  target.on('/notify', () => ({ status: 200, body: 'ok' }));
  target.on('/v2/enqueue', () => ({ status: 202, body: { status: 'success', message: 'Event processed' } }));
  target.on('/api/chat.postMessage', () => ({
    status: 200,
    body: { ok: true, channel: 'C0OPS', ts: '1700000000.000001' },
  }));
  target.on('/api/chat.update', () => ({ status: 200, body: { ok: true, channel: 'C0OPS', ts: '1503435956.000247' } }));
  target.on('/v1/pages/p/incidents/unresolved', () => ({ status: 200, body: [] }));
  target.on('/v1/pages/p/incidents', () => ({ status: 201, body: { id: 'inc1', status: 'investigating' } }));
  // The ticket examples' GitHub (its wire format: tickets-github.test.ts).
  target.on('/repos/acme/checkout/issues', (req) =>
    req.method === 'GET'
      ? { status: 200, body: [] }
      : { status: 201, body: { number: 42, html_url: 'https://github.com/acme/checkout/issues/42' } },
  );
  target.on('/repos/acme/checkout/issues/42/comments', () => ({ status: 201, body: { id: 1001 } }));
  target.on('/repos/acme/checkout/issues/42', (req) => ({
    status: 200,
    body: { number: 42, state: req.method === 'GET' ? 'open' : 'closed' },
  }));
});
afterAll(() => target.close());

const acts = (extra: Partial<ActivityDeps> = {}) =>
  createActivities({
    fetch: globalThis.fetch,
    secrets: createSecretResolver({
      env: {
        [envVarFor('api-token')]: 's3cret',
        [envVarFor('hook-url')]: `${target.url}/notify`,
        [envVarFor('creds-url')]: `http://bot:hunter22@127.0.0.1:${new URL(target.url).port}/notify`,
        [envVarFor('pd-routing-key')]: 'R0UT1NGKEY0123456789abcdefABCDEF',
        [envVarFor('slack-bot')]: 'xoxb-example',
        [envVarFor('sp-key')]: 'statuspage-example-key',
        [envVarFor('gh-token')]: 'ghp_example',
      },
      // Where the token may go: this test's receiver only.
      bindings: {
        'api-token': [target.url],
        absent: [target.url],
        'pd-routing-key': [target.url],
        'slack-bot': [target.url],
        'sp-key': [target.url],
        'gh-token': [target.url],
      },
    }),
    // The catalog's pagerduty example names this target (its wire format: notify-pagerduty.test.ts).
    // The channel examples' targets (their wire formats: notify-<channel>.test.ts; email against a
    // real SMTP server in test/integration/notify-email.test.ts, here its dev-inbox stand-in).
    notifyTargets: {
      pagerduty: { kind: 'pagerduty', routingKeySecret: 'pd-routing-key', baseUrl: target.url },
      'ops-slack': { kind: 'slack', tokenSecret: 'slack-bot', channel: 'C0OPS', baseUrl: `${target.url}/api` },
      'status-page': {
        kind: 'statuspage',
        pageId: 'p',
        tokenSecret: 'sp-key',
        baseUrl: target.url,
        components: { checkout: 'cmp1' },
      },
      stakeholders: { kind: 'webhook', url: `${target.url}/notify`, inboxFor: 'email' },
      events: { kind: 'redis' },
    },
    publishEvent: () => undefined,
    ticketTargets: {
      postmortems: {
        kind: 'github',
        repo: 'acme/checkout',
        tokenSecret: 'gh-token',
        baseUrl: target.url,
        labels: ['postmortem'],
      },
    },
    webhookTargets: {
      default: { url: `${target.url}/notify` },
      credentialed: { urlSecret: 'creds-url' },
      secretive: {
        urlSecret: 'hook-url',
        secretHeaders: { Authorization: { secret: 'api-token', prefix: 'Bearer ' } },
      },
    },
    runUrl: (id) => `http://ui/wf/${id}`,
    library: () => libraryOf(),
    metrics,
    ...extra,
  });

async function run(
  activity: string,
  input: JsonObject,
  attempt = 1,
  deps: Partial<ActivityDeps> = {},
): Promise<ActionResult> {
  const fn = (acts(deps) as Record<string, unknown>)[activity] as (i: ActionInput) => Promise<ActionResult>;
  return new MockActivityEnvironment({ attempt }).run(fn, { step, input });
}

async function failure(
  activity: string,
  input: JsonObject,
  attempt = 1,
  deps: Partial<ActivityDeps> = {},
): Promise<ApplicationFailure> {
  const err = await run(activity, input, attempt, deps).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}

const exampleStoreDir = mkdtempSync(join(tmpdir(), 'example-stores-'));

// Kubernetes examples run against a real control plane: test/k8s/catalog-examples.test.ts (npm run test:k8s).
test.each([...CATALOG.values()].filter((e) => e.example.needs === undefined).map((e) => [e.id, e] as const))(
  'the documented example of %s runs',
  async (_id, entry) => {
    const input = JSON.parse(
      JSON.stringify(entry.example.with).replace(/http:\/\/127\.0\.0\.1:9/g, target.url),
    ) as JsonObject;
    // A store an example names is a local one in a temp folder (dr:report:archive).
    const r = await run(entry.id, input, 1, { openStore: async (name) => createLocalStore(name, exampleStoreDir) });
    expect(entry.output.safeParse(r.output).success).toBe(true);
  },
);

test('http:request:send sends the body as JSON with an idempotency key and secret headers', async () => {
  const r = await run('http:request:send', {
    method: 'POST',
    url: `${target.url}/hooks/restart`,
    body: { service: 'api' },
    secretHeaders: { Authorization: { secret: 'api-token', prefix: 'Bearer ' } },
  });
  expect(r).toMatchObject({
    attempt: 1,
    output: { status: 202, body: { accepted: true }, headers: { 'content-type': 'application/json' } },
  });
  const sent = target.received.at(-1)!;
  expect(sent.headers).toMatchObject({
    'idempotency-key': 'wf-1/restart',
    authorization: 'Bearer s3cret',
    'content-type': 'application/json',
  });
  expect(JSON.parse(sent.body)).toEqual({ service: 'api' });
  // The secret never appears in what the activity returns (and so in history).
  expect(JSON.stringify(r)).not.toContain('s3cret');
});

test('http:request:send GET sends no idempotency key and keeps text bodies', async () => {
  const r = await run('http:request:send', { url: `${target.url}/text` });
  expect(r.output).toMatchObject({ status: 200, body: 'plain text here' });
  expect(target.received.at(-1)!.headers['idempotency-key']).toBeUndefined();
});

test('error taxonomy: 404 permanent, 503 and 429 retryable, network errors retryable, attempts carried', async () => {
  expect(await failure('http:request:send', { url: `${target.url}/missing` }, 2)).toMatchObject({
    type: 'HttpClientError',
    nonRetryable: true,
    details: [{ attempt: 2 }],
  });
  expect(await failure('http:request:send', { url: `${target.url}/busy` })).toMatchObject({
    type: 'HttpServerError',
    nonRetryable: false,
  });
  expect(await failure('http:request:send', { url: `${target.url}/throttled` })).toMatchObject({
    type: 'HttpUnexpectedStatus',
    nonRetryable: false,
  });
  expect(await failure('http:request:send', { url: closedUrl }, 3)).toMatchObject({
    type: 'ECONNREFUSED',
    nonRetryable: false,
    details: [{ attempt: 3 }],
    message: 'fetch failed: ECONNREFUSED',
  });
  expect(await failure('http:request:send', { url: `${target.url}/busy`, acceptStatus: [200] })).toMatchObject({
    type: 'HttpServerError',
  });
  expect((await run('http:request:send', { url: `${target.url}/busy`, acceptStatus: [503] })).output).toMatchObject({
    status: 503,
  });
});

test('invalid input fails at once, naming the field', async () => {
  expect(await failure('http:request:send', { url: 'not a url' })).toMatchObject({
    type: 'InvalidInput',
    nonRetryable: true,
    message: expect.stringContaining('url:'),
  });
  expect(await failure('http:request:send', { url: `${target.url}/ok`, method: 'BREW' })).toMatchObject({
    type: 'InvalidInput',
    message: expect.stringContaining('method:'),
  });
  expect(await failure('http:endpoint:check', { url: `${target.url}/ok`, bodyMatches: '(' })).toMatchObject({
    type: 'InvalidInput',
  });
  expect(
    await failure('http:request:send', { url: `${target.url}/ok`, secretHeaders: { X: { secret: 'absent' } } }),
  ).toMatchObject({
    type: 'MissingSecret',
    message: `secret 'absent' is not configured: set ${envVarFor('absent')}`,
  });
});

test('http:endpoint:check reports problems instead of failing, unless required', async () => {
  expect((await run('http:endpoint:check', { url: `${target.url}/ok`, bodyContains: 'fine' })).output).toMatchObject({
    ok: true,
    status: 200,
    problems: [],
  });
  expect((await run('http:endpoint:check', { url: `${target.url}/busy` })).output).toMatchObject({
    ok: false,
    status: 503,
    problems: ['status 503, expected 200'],
  });
  expect((await run('http:endpoint:check', { url: `${target.url}/slow`, latencyBudgetMs: 50 })).output).toMatchObject({
    ok: false,
    problems: [expect.stringMatching(/^latency \d+ms over budget 50ms$/)],
  });
  expect(
    (await run('http:endpoint:check', { url: `${target.url}/text`, bodyMatches: '^nothing' })).output,
  ).toMatchObject({
    ok: false,
    problems: ['body does not match /^nothing/'],
  });
  // A pattern that backtracks exponentially in RegExp, on a 50 kB body: answered (linear time).
  expect(
    (await run('http:endpoint:check', { url: `${target.url}/many-a`, bodyMatches: '^(a+)+b$' })).output,
  ).toMatchObject({ ok: false, problems: ['body does not match /^(a+)+b$/'] });
  expect((await run('http:endpoint:check', { url: closedUrl })).output).toMatchObject({
    ok: false,
    status: null,
    problems: ['fetch failed: ECONNREFUSED'],
  });
  expect(await failure('http:endpoint:check', { url: `${target.url}/busy`, require: true })).toMatchObject({
    type: 'CheckFailed',
    nonRetryable: false,
  });
});

test("a webhook's refusal carries its words; 429 waits as Retry-After says", async () => {
  const deps = {
    webhookTargets: {
      refusing: { url: `${target.url}/refusing` },
      limited: { url: `${target.url}/limited` },
    },
  };
  target.on('/refusing', () => ({ status: 422, body: { error: 'channel archived' } }));
  target.on('/limited', () => ({ status: 429, headers: { 'retry-after': '12' }, body: 'slow down' }));
  const refused = await failure('notify:webhook:post', { target: 'refusing', message: 'x' }, 1, deps);
  expect({ message: refused.message, nonRetryable: refused.nonRetryable }).toEqual({
    message: `webhook 'refusing' answered 422: {"error":"channel archived"}`,
    nonRetryable: true,
  });
  const limited = await failure('notify:webhook:post', { target: 'limited', message: 'x' }, 1, deps);
  expect({ message: limited.message, delay: limited.nextRetryDelay, nonRetryable: limited.nonRetryable }).toEqual({
    message: "webhook 'limited' answered 429 (retry after 12 s)",
    delay: 12_000,
    nonRetryable: false,
  });
});

test('notify:webhook:post posts the documented JSON to a configured target, URL and token from secrets', async () => {
  await run('notify:webhook:post', { target: 'secretive', message: 'Run finished', severity: 'info', title: 'Done' });
  const sent = target.received.at(-1)!;
  expect(sent.path).toBe('/notify');
  expect(sent.headers).toMatchObject({
    authorization: 'Bearer s3cret',
    'idempotency-key': 'wf-1/restart',
    'content-type': 'application/json',
  });
  expect(JSON.parse(sent.body)).toEqual({
    text: 'Run finished',
    title: 'Done',
    severity: 'info',
    runbook: 'rb',
    run: { workflowId: 'wf-1', step: 'restart', url: 'http://ui/wf/wf-1' },
  });
  expect(await failure('notify:webhook:post', { target: 'nowhere', message: 'x' })).toMatchObject({
    type: 'UnknownTarget',
    nonRetryable: true,
    message: expect.stringContaining('known: default, credentialed, secretive'),
  });
});

test('step durations are measured per action and outcome', async () => {
  const text = await metrics.registry.metrics();
  expect(text).toMatch(/runbook_step_duration_seconds_count\{action="http:request:send",outcome="failure"\} [1-9]/);
  expect(text).toMatch(/runbook_step_duration_seconds_count\{action="notify:webhook:post",outcome="success"\} [1-9]/);
});

describe('secrets go only where they are bound, and never into outputs or failures', () => {
  let other: Receiver;
  beforeAll(async () => {
    other = await startReceiver();
    other.on('/steal', () => ({ status: 200, body: 'thanks' }));
    target.on('/to-other', () => ({ status: 302, headers: { location: `${other.url}/steal` }, body: '' }));
    target.on('/to-ok', () => ({ status: 307, headers: { location: '/ok' }, body: '' }));
    target.on('/echo', (r) => ({ status: 200, body: { youSent: r.headers.authorization } }));
  });
  afterAll(() => other.close());
  const bearer = { Authorization: { secret: 'api-token', prefix: 'Bearer ' } };

  test('to a host the secret is not bound to: refused, and no request is made', async () => {
    const before = other.received.length;
    expect(await failure('http:request:send', { url: `${other.url}/steal`, secretHeaders: bearer })).toMatchObject({
      type: 'SecretNotAllowed',
      nonRetryable: true,
      message: expect.stringMatching(/^secret 'api-token' may not be sent to http:\/\/127\.0\.0\.1:\d+ \(allowed: /),
    });
    expect(await failure('http:endpoint:check', { url: `${other.url}/steal`, secretHeaders: bearer })).toMatchObject({
      type: 'SecretNotAllowed',
    });
    expect(other.received.length).toBe(before);
  });

  test('a secret no configuration binds is sent nowhere', async () => {
    expect(
      await failure('http:request:send', { url: `${target.url}/ok`, secretHeaders: { X: { secret: 'hook-url' } } }),
    ).toMatchObject({ type: 'SecretNotAllowed', message: expect.stringContaining('secrets.hook-url.sendTo') });
  });

  test('secret headers never follow a redirect to another origin; within the origin they do', async () => {
    const before = other.received.length;
    expect(await failure('http:request:send', { url: `${target.url}/to-other`, secretHeaders: bearer })).toMatchObject({
      type: 'SecretNotAllowed',
      message: expect.stringContaining('secret headers are not sent to another origin'),
    });
    expect(other.received.length).toBe(before);
    const r = await run('http:request:send', { url: `${target.url}/to-ok`, secretHeaders: bearer });
    expect(r.output).toMatchObject({ status: 200, body: { fine: true } });
  });

  test('an answer echoing the secret is kept without it; a URL with credentials never shows them', async () => {
    const r = await run('http:request:send', { url: `${target.url}/echo`, secretHeaders: bearer });
    expect(r.output).toMatchObject({ body: { youSent: 'Bearer [secret api-token]' } });
    expect(JSON.stringify(r)).not.toContain('s3cret');
    const f = await failure('notify:webhook:post', { target: 'credentialed', message: 'hi' });
    expect(f.message).not.toContain('hunter22');
    expect(JSON.stringify(f)).not.toContain('hunter22');
  });
});

describe('egress: the HTTP and notify actions reach only what the policy allows', () => {
  let other: Receiver;
  const METADATA = 'http://169.254.169.254/latest/meta-data/iam/security-credentials/';
  // A name that resolves to the metadata address (every other host in these tests is an address).
  const resolveHost = async (host: string): Promise<string[]> =>
    host === 'metadata.internal.test' ? ['169.254.169.254'] : ['127.0.0.1'];
  const onlyTarget = (): Partial<ActivityDeps> => ({
    egress: { allow: [target.url], allowLinkLocal: false },
    resolveHost,
  });
  beforeAll(async () => {
    other = await startReceiver();
    other.on('/ok', () => ({ status: 200, body: { other: true } }));
    target.on('/to-metadata', () => ({ status: 302, headers: { location: METADATA }, body: '' }));
    target.on('/to-other-plain', () => ({ status: 302, headers: { location: `${other.url}/ok` }, body: '' }));
  });
  afterAll(() => other.close());

  test('a metadata address, or a name resolving to one, is refused by every action, as a failure', async () => {
    const refused = { type: 'EgressRefused', nonRetryable: true };
    expect(await failure('http:request:send', { url: METADATA }, 1, { resolveHost })).toMatchObject({
      ...refused,
      message: expect.stringContaining('egress to http://169.254.169.254:80 refused: 169.254.169.254 is a link-local'),
    });
    expect(
      await failure('http:request:send', { url: 'http://metadata.internal.test/latest/' }, 1, { resolveHost }),
    ).toMatchObject({
      ...refused,
      message: expect.stringContaining('metadata.internal.test resolves to 169.254.169.254'),
    });
    // A check reports what an endpoint does as problems; where it may not go is no endpoint's answer.
    expect(await failure('http:endpoint:check', { url: METADATA }, 1, { resolveHost })).toMatchObject(refused);
    const notify = { webhookTargets: { imds: { url: 'http://metadata.internal.test/hook' } }, resolveHost };
    expect(await failure('notify:webhook:post', { target: 'imds', message: 'hi' }, 1, notify)).toMatchObject(refused);
  });

  test('with egress.allow, a destination it does not list gets no request', async () => {
    const before = other.received.length;
    expect(await failure('http:request:send', { url: `${other.url}/ok` }, 1, onlyTarget())).toMatchObject({
      type: 'EgressRefused',
      message: expect.stringContaining(`not in egress.allow (${target.url})`),
    });
    const notify = { ...onlyTarget(), webhookTargets: { elsewhere: { url: `${other.url}/ok` } } };
    expect(await failure('notify:webhook:post', { target: 'elsewhere', message: 'hi' }, 1, notify)).toMatchObject({
      type: 'EgressRefused',
    });
    expect(other.received.length).toBe(before);
    expect((await run('http:request:send', { url: `${target.url}/ok` }, 1, onlyTarget())).output).toMatchObject({
      status: 200,
    });
  });

  test('every redirect hop passes the policy; without secrets, one the policy allows is followed', async () => {
    expect(await failure('http:request:send', { url: `${target.url}/to-metadata` }, 1, { resolveHost })).toMatchObject({
      type: 'EgressRefused',
      message: expect.stringContaining('169.254.169.254 is a link-local address'),
    });
    const before = other.received.length;
    expect(await failure('http:request:send', { url: `${target.url}/to-other-plain` }, 1, onlyTarget())).toMatchObject({
      type: 'EgressRefused',
      message: expect.stringContaining(`egress to ${other.url} refused: not in egress.allow`),
    });
    expect(other.received.length).toBe(before);
    expect((await run('http:request:send', { url: `${target.url}/to-other-plain` })).output).toMatchObject({
      status: 200,
      body: { other: true },
    });
    expect(other.received.length).toBe(before + 1);
  });
});

describe('answers are read up to a cap, and no further', () => {
  let server: Server;
  let base: string;
  /** Resolves when the server sees the connection of the latest request closed. */
  let closed: Promise<void> = Promise.resolve();
  const HUGE_JSON = JSON.stringify({ items: 'x'.repeat(2 * 1024 * 1024) });
  beforeAll(async () => {
    server = createServer((req, res) => {
      closed = new Promise((resolve) => res.on('close', () => resolve()));
      res.on('error', () => undefined);
      if (req.url === '/huge-json') {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(HUGE_JSON) });
        res.end(HUGE_JSON);
        return;
      }
      // Endless: writes as fast as the client reads, until it goes away.
      res.writeHead(200, { 'content-type': 'text/plain' });
      const chunk = Buffer.alloc(64 * 1024, 'a');
      const pump = (): void => {
        while (!res.destroyed && res.write(chunk));
      };
      res.on('drain', pump);
      pump();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );

  test('http:request:send keeps the first 64 KiB of an endless body, marked truncated, and hangs up', async () => {
    const r = await run('http:request:send', { url: `${base}/endless` });
    const out = r.output as { status: number; body: string; truncated?: boolean };
    expect({ status: out.status, truncated: out.truncated, length: out.body.length }).toEqual({
      status: 200,
      truncated: true,
      length: 64 * 1024 + 1,
    });
    expect(out.body.endsWith('a…')).toBe(true);
    await closed; // the worker closed the connection: it stopped reading
  });

  test('a JSON answer over the cap is kept as clipped text, marked truncated; a small one parsed, unmarked', async () => {
    const r = await run('http:request:send', { url: `${base}/huge-json` });
    const out = r.output as { body: unknown; truncated?: boolean };
    expect(out.truncated).toBe(true);
    expect(typeof out.body).toBe('string');
    expect((out.body as string).startsWith('{"items":"xxx')).toBe(true);
    await closed;
    const small = await run('http:request:send', { url: `${target.url}/ok` });
    expect(small.output).toEqual(expect.not.objectContaining({ truncated: expect.anything() }));
  });

  test('http:endpoint:check matches within what it read, and says so', async () => {
    const r = await run('http:endpoint:check', { url: `${base}/endless`, bodyContains: 'needle' });
    expect(r.output).toMatchObject({
      ok: false,
      status: 200,
      problems: ["body does not contain 'needle' (in its first 1 MiB, all that is read)"],
    });
    await closed;
    const found = await run('http:endpoint:check', { url: `${base}/endless`, bodyContains: 'aaaa' });
    expect(found.output).toMatchObject({ ok: true, problems: [] });
    await closed;
  });

  test('notify:webhook:post delivers to a receiver that answers without end', async () => {
    const deps = { webhookTargets: { chatty: { url: `${base}/endless` } } };
    expect((await run('notify:webhook:post', { target: 'chatty', message: 'hi' }, 1, deps)).output).toEqual({
      target: 'chatty',
      status: 200,
      delivered: true,
    });
    await closed;
  });
});
