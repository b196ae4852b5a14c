/**
 * Slack's Web API against a loopback receiver that checks the exact requests: chat.postMessage
 * and chat.update as JSON with the bot token in Authorization only, Block Kit bodies, a thread
 * reply, a retried post that finds its first try's message (metadata key) instead of posting
 * twice, 429 Retry-After and `ratelimited` retried, other error codes permanent, and the token
 * never in an output or a failure.
 */
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { createActivities } from '../../src/activities';
import { createSecretResolver, envVarFor } from '../../src/activities/secrets';
import type { NotifyTarget } from '../../src/config/load';
import { FAILURE } from '../../src/shared/failures';
import type { ActionInput, ActionResult, StepContext } from '../../src/shared/activity-types';
import type { JsonObject } from '../../src/shared/model';
import { createWorkerMetrics } from '../../src/worker/metrics';
import { startReceiver, type Receiver } from '../support/http-receiver';
import { libraryOf } from '../support/runbook-worker';

const TOKEN = 'xoxb-test-0123456789-abcdefghijklmnop';
const metrics = createWorkerMetrics();
const step: StepContext = {
  workflowId: 'deploy-20260101T120000-1a2b3c4d',
  runId: 'r-1',
  stepId: 'tell',
  runbookId: 'deploy',
  idempotencyKey: 'deploy-20260101T120000-1a2b3c4d/tell',
  dryRun: false,
};
let slack: Receiver;
let posts = 0;

beforeAll(async () => {
  Runtime.install({ logger: new DefaultLogger('ERROR'), shutdownSignals: [] });
  slack = await startReceiver();
});
afterAll(() => slack.close());
beforeEach(() => {
  slack.received.length = 0;
  posts = 0;
  slack.on('/api/chat.postMessage', () => ({
    status: 200,
    body: { ok: true, channel: 'C0123456789', ts: `1700000000.00000${++posts}`, message: {} },
  }));
  slack.on('/api/chat.update', (req) => ({
    status: 200,
    body: { ok: true, channel: 'C0123456789', ts: (JSON.parse(req.body) as { ts: string }).ts },
  }));
});

const targets = (): Record<string, NotifyTarget> => ({
  ops: { kind: 'slack', tokenSecret: 'slack-bot', channel: 'C0123456789', baseUrl: `${slack.url}/api` },
  hook: { kind: 'webhook', url: `${slack.url}/hook` },
});

function acts() {
  return createActivities({
    fetch: globalThis.fetch,
    secrets: createSecretResolver({ env: { [envVarFor('slack-bot')]: TOKEN }, bindings: { 'slack-bot': [slack.url] } }),
    webhookTargets: {},
    notifyTargets: targets(),
    runUrl: (id) => `http://ui.test/wf/${id}`,
    library: () => libraryOf(),
    metrics,
  }) as unknown as Record<string, (i: ActionInput) => Promise<ActionResult>>;
}
const run = (activity: string, input: JsonObject, attempt = 1): Promise<ActionResult> =>
  new MockActivityEnvironment({ attempt }).run(acts()[activity]!, { step, input });
async function failure(activity: string, input: JsonObject): Promise<ApplicationFailure> {
  const err = await run(activity, input).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}
const bodyOf = (i: number): unknown => JSON.parse(slack.received[i]!.body);

test('notify:slack:post: the exact chat.postMessage request, the run linked, channel and ts answered', async () => {
  const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: '*Deploy* started' } }];
  const r = await run('notify:slack:post', { target: 'ops', text: 'Deploy started', blocks });
  const req = slack.received[0]!;
  expect({
    method: req.method,
    path: req.path,
    type: req.headers['content-type'],
    auth: req.headers.authorization,
  }).toEqual({
    method: 'POST',
    path: '/api/chat.postMessage',
    type: 'application/json; charset=utf-8',
    auth: `Bearer ${TOKEN}`,
  });
  expect(bodyOf(0)).toEqual({
    channel: 'C0123456789',
    text: 'Deploy started',
    blocks: [
      ...blocks,
      {
        type: 'context',
        elements: [{ type: 'mrkdwn', text: `<http://ui.test/wf/${step.workflowId}|Open the run in Temporal>` }],
      },
    ],
    unfurl_links: false,
    unfurl_media: false,
    metadata: { event_type: 'durable_runbooks_message', event_payload: { key: step.idempotencyKey } },
  });
  expect(r.output).toEqual({
    target: 'ops',
    channel: 'C0123456789',
    ts: '1700000000.000001',
    reused: false,
    delivered: true,
  });
  expect(JSON.stringify(r)).not.toContain(TOKEN);
});

test('a thread reply and chat.update in place', async () => {
  await run('notify:slack:post', { target: 'ops', text: 'approve?', threadTs: '1700000000.000001', runLink: false });
  expect(bodyOf(0)).toMatchObject({ thread_ts: '1700000000.000001', text: 'approve?' });
  const u = await run('notify:slack:update', { target: 'ops', ts: '1700000000.000001', text: 'done', runLink: false });
  expect(slack.received[1]!.path).toBe('/api/chat.update');
  expect(bodyOf(1)).toEqual({ channel: 'C0123456789', ts: '1700000000.000001', text: 'done' });
  expect(u.output).toEqual({ target: 'ops', channel: 'C0123456789', ts: '1700000000.000001', delivered: true });
});

test('a retried post finds the message its first try posted and posts nothing', async () => {
  slack.on('/api/conversations.history', () => ({
    status: 200,
    body: {
      ok: true,
      messages: [
        { ts: '1700000000.000009', metadata: { event_type: 'other', event_payload: { key: step.idempotencyKey } } },
        {
          ts: '1700000000.000007',
          metadata: { event_type: 'durable_runbooks_message', event_payload: { key: step.idempotencyKey } },
        },
      ],
    },
  }));
  const r = await run('notify:slack:post', { target: 'ops', text: 'Deploy started' }, 2);
  expect(slack.received.map((x) => x.path)).toEqual(['/api/conversations.history']);
  expect(bodyOf(0)).toEqual({ channel: 'C0123456789', limit: 50, include_all_metadata: true });
  expect(r.output).toMatchObject({ ts: '1700000000.000007', reused: true });
  // Not found (or no history scope): the retry posts.
  slack.on('/api/conversations.history', () => ({ status: 200, body: { ok: false, error: 'missing_scope' } }));
  const again = await run('notify:slack:post', { target: 'ops', text: 'Deploy started' }, 2);
  expect(again.output).toMatchObject({ reused: false });
  expect(slack.received.at(-1)!.path).toBe('/api/chat.postMessage');
});

test('429 with Retry-After and `ratelimited` are retried after the delay; other codes are permanent', async () => {
  slack.on('/api/chat.postMessage', () => ({
    status: 429,
    headers: { 'retry-after': '7' },
    body: { ok: false, error: 'ratelimited' },
  }));
  const limited = await failure('notify:slack:post', { target: 'ops', text: 'x' });
  expect({ retryable: !limited.nonRetryable, delay: limited.nextRetryDelay, type: limited.type }).toEqual({
    retryable: true,
    delay: 7000,
    type: FAILURE.HttpUnexpectedStatus,
  });
  slack.on('/api/chat.postMessage', () => ({ status: 200, body: { ok: false, error: 'ratelimited' } }));
  expect((await failure('notify:slack:post', { target: 'ops', text: 'x' })).nonRetryable).toBe(false);
  slack.on('/api/chat.postMessage', () => ({ status: 200, body: { ok: false, error: 'channel_not_found' } }));
  const gone = await failure('notify:slack:post', { target: 'ops', text: 'x' });
  expect({ type: gone.type, nonRetryable: gone.nonRetryable, message: gone.message }).toEqual({
    type: FAILURE.HttpClientError,
    nonRetryable: true,
    message: "slack 'ops' chat.postMessage: channel_not_found",
  });
  expect(JSON.stringify(gone)).not.toContain(TOKEN);
});

test('notify:webhook:post to a slack target: title, text and fields as Block Kit, escaped', async () => {
  await run('notify:webhook:post', {
    target: 'ops',
    title: 'DOWN: <checkout>',
    message: 'probe & retry failed',
    severity: 'critical',
    fields: { status: 503, owner: '@here' },
  });
  expect(bodyOf(0)).toMatchObject({
    text: 'DOWN: <checkout>: probe & retry failed [critical]',
    blocks: [
      {
        type: 'section',
        text: { type: 'mrkdwn', text: '*DOWN: &lt;checkout&gt;*\nprobe &amp; retry failed [critical]' },
      },
      {
        type: 'section',
        fields: [
          { type: 'mrkdwn', text: '*status*\n503' },
          { type: 'mrkdwn', text: '*owner*\n@here' },
        ],
      },
      { type: 'context' },
    ],
  });
});

test('the slack actions refuse a target of another kind', async () => {
  const f = await failure('notify:slack:post', { target: 'hook', text: 'x' });
  expect({ type: f.type, message: f.message }).toEqual({
    type: FAILURE.TargetKindUnsupported,
    message:
      "notify target 'hook' is of kind webhook: notify:slack:post sends to kind slack only (notify:webhook:post sends to any kind)",
  });
});
