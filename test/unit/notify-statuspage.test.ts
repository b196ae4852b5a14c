/**
 * Statuspage REST v1 against a loopback receiver: the exact requests that open an incident (the
 * seed's status template rendered, the key in the metadata), find it again by its key and update
 * it, or send nothing when the page already shows what was asked; component names as ids; 420
 * and 429 with Retry-After; 422 with Statuspage's message; the API key (a bound secret) never
 * sent elsewhere and never in an output or a failure.
 */
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { createEgressGuard } from '../../src/activities/egress';
import { envelope } from '../../src/activities/envelope';
import { createStatuspageActivities } from '../../src/activities/notify/statuspage';
import { createSecretResolver, envVarFor } from '../../src/activities/secrets';
import { notifyStatuspageIncident } from '../../src/catalog/statuspage';
import type { NotifyTarget } from '../../src/config/load';
import { messageTemplatesOf, type MessageTemplates } from '../../src/config/notify-templates';
import { FAILURE } from '../../src/shared/failures';
import type { ActionInput, ActionResult, StepContext } from '../../src/shared/activity-types';
import type { JsonObject } from '../../src/shared/model';
import { createWorkerMetrics } from '../../src/worker/metrics';
import { startReceiver, type Receiver, type Responder } from '../support/http-receiver';

const API_KEY = 'sp-0123456789abcdef0123456789abcdef';
const metrics = createWorkerMetrics();
const step: StepContext = {
  workflowId: 'service-down-20260101T120000-1a2b3c4d',
  runId: 'r-1',
  stepId: 'status',
  runbookId: 'service-down',
  idempotencyKey: 'service-down-20260101T120000-1a2b3c4d/status',
  dryRun: false,
};
const runUrl = (id: string): string => `http://ui.test/wf/${id}`;
const PAGE = '/v1/pages/page1';
let sp: Receiver;
let elsewhere: Receiver;

beforeAll(async () => {
  Runtime.install({ logger: new DefaultLogger('ERROR'), shutdownSignals: [] });
  [sp, elsewhere] = await Promise.all([startReceiver(), startReceiver()]);
});
afterAll(() => Promise.all([sp.close(), elsewhere.close()]));

/** An incident as Statuspage lists it (only what the client reads, plus some it does not). */
const incident = (
  id: string,
  o: { key?: string; status?: string; components?: Array<[string, string]>; updates?: Array<[string, string]> },
) => ({
  id,
  name: `incident ${id}`,
  status: o.status ?? 'investigating',
  impact: 'major',
  page_id: 'page1',
  created_at: '2026-01-01T12:00:00Z',
  components: (o.components ?? []).map(([cid, status]) => ({ id: cid, name: cid, status })),
  incident_updates: (o.updates ?? []).map(([status, body], n) => ({ id: `u${n}`, status, body })),
  metadata: o.key ? { runbook: { key: o.key } } : {},
});

/** The page: its unresolved and recent incidents, and what POST and PATCH answer. */
function page(o: { unresolved?: unknown[]; recent?: unknown[]; post?: Responder; patch?: Responder } = {}): void {
  sp.on(`${PAGE}/incidents/unresolved`, () => ({ status: 200, body: o.unresolved ?? [] }));
  sp.on(`${PAGE}/incidents`, (req, n) =>
    req.method === 'GET'
      ? { status: 200, body: o.recent ?? [] }
      : (o.post?.(req, n) ?? { status: 201, body: { id: 'inc1', status: 'investigating' } }),
  );
  for (const id of ['inc7', 'inc8'])
    sp.on(`${PAGE}/incidents/${id}`, (req, n) => o.patch?.(req, n) ?? { status: 200, body: incident(id, {}) });
}

beforeEach(() => {
  sp.received.length = 0;
  elsewhere.received.length = 0;
  page();
});

const targets = (): Record<string, NotifyTarget> => ({
  'status-page': {
    kind: 'statuspage',
    pageId: 'page1',
    tokenSecret: 'sp-key',
    baseUrl: sp.url,
    components: { checkout: 'cmp1', payments: 'cmp2' },
  },
  ids: { kind: 'statuspage', pageId: 'page1', tokenSecret: 'sp-key', baseUrl: sp.url, components: {} },
  unbound: { kind: 'statuspage', pageId: 'page1', tokenSecret: 'sp-key', baseUrl: elsewhere.url, components: {} },
  pager: { kind: 'pagerduty', routingKeySecret: 'pd-key', baseUrl: elsewhere.url },
  inbox: { kind: 'webhook', url: `${elsewhere.url}/v1/dev/inbox/inbox`, inboxFor: 'statuspage', devInbox: true },
});

function activity(templates: MessageTemplates = messageTemplatesOf(undefined)) {
  const secrets = createSecretResolver({
    env: { [envVarFor('sp-key')]: API_KEY },
    bindings: { 'sp-key': [sp.url] },
  });
  const acts = createStatuspageActivities({
    fetch: globalThis.fetch,
    secrets,
    egress: createEgressGuard({ policy: { allowLinkLocal: false } }),
    targets: targets(),
    templates,
    runUrl,
  });
  // As the worker binds it: the schema checks the input, the redactor hides the key.
  return envelope(notifyStatuspageIncident, acts.notifyStatuspageIncident, metrics, secrets.redactor) as unknown as (
    i: ActionInput,
  ) => Promise<ActionResult>;
}

const run = (input: JsonObject, templates?: MessageTemplates): Promise<ActionResult> =>
  new MockActivityEnvironment({ attempt: 1 }).run(activity(templates), { step, input });

async function failure(input: JsonObject): Promise<ApplicationFailure> {
  const err = await run(input).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}

const calls = (r: Receiver) => r.received.map((q) => `${q.method} ${q.path}`);
const bodyOf = (method: string): unknown => JSON.parse(sp.received.find((q) => q.method === method)!.body);

test("create (the catalog's example): reads the unresolved ones, then POSTs the seed template and the key", async () => {
  page({ unresolved: [incident('inc5', { key: 'another-run' }), incident('inc6', {})] });
  const r = await run(notifyStatuspageIncident.example.with);
  expect(calls(sp)).toEqual([`GET ${PAGE}/incidents/unresolved`, `POST ${PAGE}/incidents`]);
  for (const q of sp.received) expect(q.headers.authorization).toBe(`OAuth ${API_KEY}`);
  expect(sp.received[1]!.headers['content-type']).toBe('application/json');
  expect(bodyOf('POST')).toEqual({
    incident: {
      name: 'Checkout errors',
      status: 'investigating',
      body: 'We are investigating reports of errors at checkout. Our team is actively working on a resolution.',
      impact_override: 'major',
      component_ids: ['cmp1'],
      components: { cmp1: 'partial_outage' },
      deliver_notifications: true,
      metadata: { runbook: { key: step.workflowId } },
    },
  });
  expect(r).toEqual({
    attempt: 1,
    output: {
      target: 'status-page',
      incidentId: 'inc1',
      status: 'investigating',
      created: true,
      changed: true,
      delivered: true,
    },
  });
});

test('the status templates come from configuration (notify.templates.status), over the run scope', async () => {
  const templates = messageTemplatesOf({
    status: { investigating: 'Looking into ${{ issue }} (runbook ${{ runbook.id }}, ${{ run.url }})' },
  });
  await run({ target: 'status-page', name: 'Checkout errors', issue: 'slow checkouts' }, templates);
  expect((bodyOf('POST') as { incident: { body: string } }).incident.body).toBe(
    `Looking into slow checkouts (runbook service-down, ${runUrl(step.workflowId)})`,
  );
});

test('an unresolved incident with the same key is updated: PATCH with the status template, created false', async () => {
  page({ unresolved: [incident('inc7', { key: 'checkout-errors', status: 'investigating' })] });
  const r = await run({
    target: 'status-page',
    key: 'checkout-errors',
    status: 'identified',
    rootCause: 'a bad deploy',
    deliverNotifications: false,
  });
  expect(calls(sp)).toEqual([`GET ${PAGE}/incidents/unresolved`, `PATCH ${PAGE}/incidents/inc7`]);
  expect(sp.received[1]!.headers.authorization).toBe(`OAuth ${API_KEY}`);
  expect(bodyOf('PATCH')).toEqual({
    incident: {
      status: 'identified',
      body: 'We have identified the cause as a bad deploy and are implementing a fix.',
      deliver_notifications: false,
    },
  });
  expect(r.output).toEqual({
    target: 'status-page',
    incidentId: 'inc7',
    status: 'identified',
    created: false,
    changed: true,
    delivered: true,
  });
});

test('already as asked (status, components, the same text): changed false and no PATCH', async () => {
  page({
    unresolved: [
      incident('inc7', {
        key: step.workflowId,
        status: 'monitoring',
        components: [['cmp1', 'degraded_performance']],
        updates: [['monitoring', 'A fix is out; watching the error rate.']],
      }),
    ],
  });
  const asked = { target: 'status-page', status: 'monitoring', components: { checkout: 'degraded_performance' } };
  for (const input of [asked, { ...asked, body: 'A fix is out; watching the error rate.' }]) {
    const r = await run(input);
    expect(r.output).toEqual({
      target: 'status-page',
      incidentId: 'inc7',
      status: 'monitoring',
      created: false,
      changed: false,
      delivered: true,
    });
  }
  expect(calls(sp)).toEqual([`GET ${PAGE}/incidents/unresolved`, `GET ${PAGE}/incidents/unresolved`]);
  // A new text under the same status is a new update.
  await run({ ...asked, body: 'Error rate back to normal for 10 minutes.' });
  expect(bodyOf('PATCH')).toEqual({
    incident: {
      status: 'monitoring',
      body: 'Error rate back to normal for 10 minutes.',
      component_ids: ['cmp1'],
      components: { cmp1: 'degraded_performance' },
      deliver_notifications: true,
    },
  });
});

test('resolving an incident already resolved (no longer unresolved) finds it among the recent ones: no request', async () => {
  page({ recent: [incident('inc8', { key: step.workflowId, status: 'resolved' })] });
  const r = await run({ target: 'status-page', status: 'resolved' });
  expect(calls(sp)).toEqual([`GET ${PAGE}/incidents/unresolved`, `GET ${PAGE}/incidents?limit=20`]);
  expect(r.output).toMatchObject({ incidentId: 'inc8', created: false, changed: false });
});

test("component names become their ids, ids pass as they are, and the incident's other components stay listed", async () => {
  page({ unresolved: [incident('inc7', { key: step.workflowId, components: [['cmp3', 'partial_outage']] })] });
  await run({
    target: 'status-page',
    status: 'identified',
    rootCause: 'a full disk',
    components: { checkout: 'major_outage', cmp2: 'degraded_performance' },
  });
  expect(bodyOf('PATCH')).toEqual({
    incident: {
      status: 'identified',
      body: 'We have identified the cause as a full disk and are implementing a fix.',
      component_ids: ['cmp3', 'cmp1', 'cmp2'],
      components: { cmp1: 'major_outage', cmp2: 'degraded_performance' },
      deliver_notifications: true,
    },
  });
  // A target listing no components takes ids only.
  sp.received.length = 0;
  page();
  await run({ target: 'ids', name: 'API errors', components: { '8kbf7d35c070': 'partial_outage' } });
  expect(bodyOf('POST')).toMatchObject({
    incident: { component_ids: ['8kbf7d35c070'], components: { '8kbf7d35c070': 'partial_outage' } },
  });
});

test('an unknown component name is permanent, names the known ones, and sends nothing', async () => {
  const f = await failure({ target: 'status-page', name: 'x', components: { chekout: 'major_outage' } });
  expect({ type: f.type, nonRetryable: f.nonRetryable, message: f.message }).toEqual({
    type: FAILURE.InvalidInput,
    nonRetryable: true,
    message: "status page target 'status-page' has no component 'chekout' (known: checkout, payments)",
  });
  expect(sp.received).toEqual([]);
});

test('opening an incident needs a name; another kind of target is refused', async () => {
  const f = await failure({ target: 'status-page', status: 'investigating', issue: 'errors' });
  expect({ type: f.type, nonRetryable: f.nonRetryable, message: f.message }).toEqual({
    type: FAILURE.InvalidInput,
    nonRetryable: true,
    message: `status page 'status-page' has no unresolved incident with key '${step.workflowId}': opening one needs a name`,
  });
  expect(calls(sp)).toEqual([`GET ${PAGE}/incidents/unresolved`]);
  const pager = await failure({ target: 'pager', name: 'x' });
  expect({ type: pager.type, message: pager.message }).toEqual({
    type: FAILURE.TargetKindUnsupported,
    message:
      "notify target 'pager' is of kind pagerduty: notify:statuspage:incident sends to kind statuspage only (notify:webhook:post sends to any kind)",
  });
});

test.each([429, 420])('%i is retried after Retry-After: the failure carries nextRetryDelay', async (status) => {
  page({ post: () => ({ status, body: { error: 'rate limited' }, headers: { 'retry-after': '30' } }) });
  const f = await failure({ target: 'status-page', name: 'Checkout errors' });
  expect({ type: f.type, nonRetryable: f.nonRetryable, message: f.message, delay: f.nextRetryDelay }).toEqual({
    type: FAILURE.HttpUnexpectedStatus,
    nonRetryable: false,
    message: `statuspage 'status-page' answered ${status} to creating an incident (retry after 30 s)`,
    delay: 30_000,
  });
});

test('5xx is retried; 422 is permanent with Statuspage message', async () => {
  sp.on(`${PAGE}/incidents/unresolved`, () => ({ status: 503, body: 'unavailable' }));
  const busy = await failure({ target: 'status-page', name: 'x' });
  expect({ type: busy.type, nonRetryable: busy.nonRetryable, message: busy.message }).toEqual({
    type: FAILURE.HttpServerError,
    nonRetryable: false,
    message: "statuspage 'status-page' answered 503 to listing unresolved incidents",
  });
  page({ post: () => ({ status: 422, body: { message: 'Incident name is too long' } }) });
  const bad = await failure({ target: 'status-page', name: 'x' });
  expect({ type: bad.type, nonRetryable: bad.nonRetryable, message: bad.message }).toEqual({
    type: FAILURE.HttpClientError,
    nonRetryable: true,
    message: "statuspage 'status-page' answered 422 to creating an incident: Incident name is too long",
  });
});

test('an unresolved list that cannot be read opens nothing (retried)', async () => {
  sp.on(`${PAGE}/incidents/unresolved`, () => ({ status: 200, body: 'x'.repeat(300 * 1024) }));
  const f = await failure({ target: 'status-page', name: 'x' });
  expect({ type: f.type, nonRetryable: f.nonRetryable }).toEqual({
    type: FAILURE.HttpUnexpectedStatus,
    nonRetryable: false,
  });
  expect(calls(sp)).toEqual([`GET ${PAGE}/incidents/unresolved`]);
});

test('the API key is never in an output or a failure, even when the page quotes it', async () => {
  sp.on(`${PAGE}/incidents/unresolved`, () => ({ status: 401, body: { error: `API key ${API_KEY} is not valid` } }));
  const f = await failure({ target: 'status-page', name: 'x' });
  expect(f.message).toBe(
    "statuspage 'status-page' answered 401 to listing unresolved incidents: API key [secret sp-key] is not valid",
  );
  page({ post: () => ({ status: 201, body: { id: API_KEY, status: 'investigating' } }) });
  const r = await run({ target: 'status-page', name: 'x' });
  expect(JSON.stringify(r)).not.toContain(API_KEY);
});

test('a key bound to another host is not sent: SecretNotAllowed, no request', async () => {
  const f = await failure({ target: 'unbound', name: 'x' });
  expect({ type: f.type, nonRetryable: f.nonRetryable }).toEqual({
    type: FAILURE.SecretNotAllowed,
    nonRetryable: true,
  });
  expect(f.message).not.toContain(API_KEY);
  expect(elsewhere.received).toEqual([]);
});

test('in development the incident as it would be opened (no key) goes to the dev inbox', async () => {
  elsewhere.on('/v1/dev/inbox/inbox', () => ({ status: 202, body: { stored: true } }));
  const r = await run({ target: 'inbox', name: 'Checkout errors', issue: 'errors', deliverNotifications: false });
  expect(JSON.parse(elsewhere.received.at(-1)!.body)).toEqual({
    incident: {
      name: 'Checkout errors',
      status: 'investigating',
      body: 'We are investigating reports of errors. Our team is actively working on a resolution.',
      deliver_notifications: false,
      metadata: { runbook: { key: step.workflowId } },
    },
  });
  expect(r.output).toEqual({
    target: 'inbox',
    incidentId: step.workflowId,
    status: 'investigating',
    created: true,
    changed: true,
    delivered: true,
  });
});
