/**
 * PagerDuty Events API v2 (outbound) against a loopback receiver: the exact bodies of trigger,
 * acknowledge and resolve, 429 with Retry-After, 400 with PagerDuty's errors, and the routing
 * key (a bound secret) never in an output or a failure.
 */
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../../src/activities';
import { createSecretResolver, envVarFor } from '../../src/activities/secrets';
import type { NotifyTarget } from '../../src/config/load';
import { FAILURE } from '../../src/shared/failures';
import type { ActionInput, ActionResult, StepContext } from '../../src/shared/activity-types';
import type { JsonObject } from '../../src/shared/model';
import { createWorkerMetrics } from '../../src/worker/metrics';
import { startReceiver, type Receiver } from '../support/http-receiver';
import { libraryOf } from '../support/runbook-worker';

const ROUTING_KEY = 'R0UT1NGKEY0123456789abcdefABCDEF';
const metrics = createWorkerMetrics();
const step: StepContext = {
  workflowId: 'service-down-20260101T120000-1a2b3c4d',
  runId: 'r-1',
  stepId: 'page',
  runbookId: 'service-down',
  idempotencyKey: 'service-down-20260101T120000-1a2b3c4d/page',
  dryRun: false,
};
const runUrl = (id: string): string => `http://ui.test/wf/${id}`;
let pd: Receiver;
let elsewhere: Receiver;

beforeAll(async () => {
  Runtime.install({ logger: new DefaultLogger('ERROR'), shutdownSignals: [] });
  [pd, elsewhere] = await Promise.all([startReceiver(), startReceiver()]);
});
afterAll(() => Promise.all([pd.close(), elsewhere.close()]));
beforeEach(() => {
  pd.received.length = 0;
  pd.on('/v2/enqueue', (req) => ({
    status: 202,
    body: {
      status: 'success',
      message: 'Event processed',
      dedup_key: (JSON.parse(req.body) as { dedup_key: string }).dedup_key,
    },
  }));
});

const targets = (): Record<string, NotifyTarget> => ({
  pager: { kind: 'pagerduty', routingKeySecret: 'pd-key', baseUrl: pd.url, source: 'checkout.example.com' },
  unbound: { kind: 'pagerduty', routingKeySecret: 'pd-key', baseUrl: elsewhere.url },
  hook: { kind: 'webhook', url: `${elsewhere.url}/hook` },
  inbox: { kind: 'webhook', url: `${elsewhere.url}/v1/dev/inbox/inbox`, inboxFor: 'pagerduty', devInbox: true },
  devhook: { kind: 'webhook', url: `${elsewhere.url}/v1/dev/inbox/devhook`, devInbox: true },
});
const secrets = () =>
  createSecretResolver({ env: { [envVarFor('pd-key')]: ROUTING_KEY }, bindings: { 'pd-key': [pd.url] } });

function acts(extra: Partial<ActivityDeps> = {}) {
  return createActivities({
    fetch: globalThis.fetch,
    secrets: secrets(),
    webhookTargets: {},
    notifyTargets: targets(),
    runUrl,
    library: () => libraryOf(),
    metrics,
    ...extra,
  }) as unknown as Record<string, (i: ActionInput) => Promise<ActionResult>>;
}

const run = (activity: string, input: JsonObject): Promise<ActionResult> =>
  new MockActivityEnvironment({ attempt: 1 }).run(acts()[activity]!, { step, input });

async function failure(activity: string, input: JsonObject): Promise<ApplicationFailure> {
  const err = await run(activity, input).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}

const sent = (r: Receiver): unknown => JSON.parse(r.received.at(-1)!.body);

test('trigger: the exact v2 event, dedup key the run, sev1 as critical, links back to the run', async () => {
  const r = await run('notify:pagerduty:event', {
    target: 'pager',
    summary: 'checkout is down',
    severity: 'sev1',
    component: 'api',
    customDetails: { status: 503 },
  });
  const req = pd.received.at(-1)!;
  expect({ method: req.method, path: req.path, type: req.headers['content-type'] }).toEqual({
    method: 'POST',
    path: '/v2/enqueue',
    type: 'application/json',
  });
  expect(req.headers.authorization).toBeUndefined();
  expect(sent(pd)).toEqual({
    routing_key: ROUTING_KEY,
    event_action: 'trigger',
    dedup_key: step.workflowId,
    payload: {
      summary: 'checkout is down',
      source: 'checkout.example.com',
      severity: 'critical',
      component: 'api',
      custom_details: { status: 503, runbook: 'service-down', workflowId: step.workflowId, step: 'page' },
    },
    client: 'durable-runbooks',
    client_url: runUrl(step.workflowId),
    links: [{ href: runUrl(step.workflowId), text: `Run ${step.workflowId}` }],
  });
  expect(r).toEqual({
    attempt: 1,
    output: { target: 'pager', action: 'trigger', dedupKey: step.workflowId, status: 202, delivered: true },
  });
});

test.each(['acknowledge', 'resolve'] as const)(
  '%s: only the routing key, the action and the dedup key',
  async (action) => {
    const r = await run('notify:pagerduty:event', { target: 'pager', action, dedupKey: 'incident-7' });
    expect(sent(pd)).toEqual({ routing_key: ROUTING_KEY, event_action: action, dedup_key: 'incident-7' });
    expect(r.output).toEqual({ target: 'pager', action, dedupKey: 'incident-7', status: 202, delivered: true });
  },
);

test('severities: sev1..sev4 as critical, error, warning, info; a trigger needs a summary', async () => {
  const got: unknown[] = [];
  for (const severity of ['sev1', 'sev2', 'sev3', 'sev4']) {
    await run('notify:pagerduty:event', { target: 'pager', summary: 's', severity });
    got.push((sent(pd) as { payload: { severity: string } }).payload.severity);
  }
  expect(got).toEqual(['critical', 'error', 'warning', 'info']);
  const f = await failure('notify:pagerduty:event', { target: 'pager' });
  expect({ type: f.type, nonRetryable: f.nonRetryable, message: f.message }).toEqual({
    type: FAILURE.InvalidInput,
    nonRetryable: true,
    message: 'invalid input for notify:pagerduty:event: summary: a trigger needs a summary',
  });
});

test('429 is retried after Retry-After: the failure carries nextRetryDelay', async () => {
  pd.on('/v2/enqueue', () => ({ status: 429, body: { status: 'throttle event' }, headers: { 'retry-after': '30' } }));
  const f = await failure('notify:pagerduty:event', { target: 'pager', action: 'resolve' });
  expect({ type: f.type, nonRetryable: f.nonRetryable, message: f.message }).toEqual({
    type: FAILURE.HttpUnexpectedStatus,
    nonRetryable: false,
    message: "pagerduty 'pager' answered 429 (retry after 30 s)",
  });
  // The delay reaches Temporal through the envelope: the next attempt waits what PagerDuty asked.
  expect(f.nextRetryDelay).toBe(30_000);
});

test('5xx is retried; 400 is permanent with PagerDuty message and errors', async () => {
  pd.on('/v2/enqueue', () => ({ status: 503, body: 'unavailable' }));
  const busy = await failure('notify:pagerduty:event', { target: 'pager', action: 'acknowledge' });
  expect({ type: busy.type, nonRetryable: busy.nonRetryable }).toEqual({
    type: FAILURE.HttpServerError,
    nonRetryable: false,
  });
  pd.on('/v2/enqueue', () => ({
    status: 400,
    body: { status: 'invalid event', message: 'Event object is invalid', errors: ["'payload.source' is missing"] },
  }));
  const bad = await failure('notify:pagerduty:event', { target: 'pager', summary: 's' });
  expect({ type: bad.type, nonRetryable: bad.nonRetryable, message: bad.message }).toEqual({
    type: FAILURE.HttpClientError,
    nonRetryable: true,
    message: "pagerduty 'pager' answered 400: Event object is invalid; 'payload.source' is missing",
  });
});

test('the routing key is never in an output or a failure, even when PagerDuty quotes it', async () => {
  pd.on('/v2/enqueue', () => ({
    status: 400,
    body: { message: 'Invalid routing key', errors: [`routing_key ${ROUTING_KEY} is not a known integration`] },
  }));
  const f = await failure('notify:pagerduty:event', { target: 'pager', summary: 's' });
  expect(f.message).toBe(
    "pagerduty 'pager' answered 400: Invalid routing key; routing_key [secret pd-key] is not a known integration",
  );
  pd.on('/v2/enqueue', () => ({ status: 202, body: { status: 'success', dedup_key: ROUTING_KEY } }));
  const r = await run('notify:pagerduty:event', { target: 'pager', summary: 's' });
  expect(JSON.stringify(r)).not.toContain(ROUTING_KEY);
  expect(JSON.stringify(r)).toContain('[secret pd-key]');
});

test('a routing key bound to another host is not sent: SecretNotAllowed, no request', async () => {
  elsewhere.received.length = 0;
  const f = await failure('notify:pagerduty:event', { target: 'unbound', summary: 's' });
  expect({ type: f.type, nonRetryable: f.nonRetryable }).toEqual({
    type: FAILURE.SecretNotAllowed,
    nonRetryable: true,
  });
  expect(f.message).not.toContain(ROUTING_KEY);
  expect(elsewhere.received).toEqual([]);
});

test('notify:webhook:post to a pagerduty target triggers the run alert', async () => {
  const r = await run('notify:webhook:post', {
    target: 'pager',
    title: 'DOWN: checkout',
    message: 'status 503',
    severity: 'critical',
    fields: { service: 'checkout' },
  });
  expect(r.output).toEqual({ target: 'pager', status: 202, delivered: true });
  expect(sent(pd)).toMatchObject({
    event_action: 'trigger',
    dedup_key: step.workflowId,
    payload: {
      summary: 'DOWN: checkout: status 503',
      severity: 'critical',
      custom_details: { service: 'checkout', runbook: 'service-down', step: 'page' },
    },
  });
});

test('a channel action refuses a target of another kind', async () => {
  const hook = await failure('notify:pagerduty:event', { target: 'hook', summary: 's' });
  expect({ type: hook.type, message: hook.message }).toEqual({
    type: FAILURE.TargetKindUnsupported,
    message:
      "notify target 'hook' is of kind webhook: notify:pagerduty:event sends to kind pagerduty only (notify:webhook:post sends to any kind)",
  });
  const none = await failure('notify:pagerduty:event', { target: 'nope', summary: 's' });
  expect(none.type).toBe(FAILURE.UnknownTarget);
});

test('in development a pagerduty target posts its event, without a routing key, to the dev inbox', async () => {
  elsewhere.on('/v1/dev/inbox/inbox', () => ({ status: 202, body: { stored: true } }));
  const r = await run('notify:pagerduty:event', { target: 'inbox', action: 'resolve' });
  expect(r.output).toEqual({
    target: 'inbox',
    action: 'resolve',
    dedupKey: step.workflowId,
    status: 202,
    delivered: true,
  });
  expect(sent(elsewhere)).toEqual({ event_action: 'resolve', dedup_key: step.workflowId });
});

test('each notification a target accepted is told (alert_sent), by channel; dev-inbox stand-ins and failures are not', async () => {
  elsewhere.on('/hook', () => ({ status: 200, body: 'ok' }));
  elsewhere.on('/v1/dev/inbox/inbox', () => ({ status: 202, body: { stored: true } }));
  elsewhere.on('/v1/dev/inbox/devhook', () => ({ status: 202, body: { stored: true } }));
  const told: unknown[] = [];
  const a = acts({ onNotificationSent: (e) => told.push(e) });
  const call = (activity: string, input: JsonObject): Promise<unknown> =>
    new MockActivityEnvironment({ attempt: 1 }).run(a[activity]!, { step, input }).catch((e: unknown) => e);
  await call('notify:webhook:post', { target: 'hook', title: 'api restarted', message: 'the api was restarted' });
  await call('notify:webhook:post', { target: 'pager', message: 'checkout is down' });
  await call('notify:pagerduty:event', { target: 'pager', action: 'resolve' });
  await call('notify:pagerduty:event', { target: 'inbox', summary: 'checkout is down' });
  await call('notify:webhook:post', { target: 'devhook', message: 'to the inbox' });
  await call('notify:webhook:post', { target: 'chat', message: 'no sender yet' });
  const workflowId = step.workflowId;
  expect(told).toEqual([
    { channel: 'webhook', target: 'hook', reason: 'api restarted', workflowId },
    { channel: 'pagerduty', target: 'pager', reason: 'checkout is down', workflowId },
    { channel: 'pagerduty', target: 'pager', reason: `resolve ${workflowId}`, workflowId },
  ]);
});

test('a listener that throws does not fail the send (it went out; a retry would send it twice)', async () => {
  const a = acts({
    onNotificationSent: () => {
      throw new Error('listener broke');
    },
  });
  const r = await new MockActivityEnvironment({ attempt: 1 }).run(a['notify:webhook:post']!, {
    step,
    input: { target: 'pager', message: 'checkout is down' },
  });
  expect(r).toMatchObject({ output: { target: 'pager', delivered: true } });
});
