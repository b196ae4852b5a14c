/**
 * Slack incoming webhooks against a loopback receiver: the exact JSON posted (Block Kit within
 * its limits, user text escaped for mrkdwn), `ok`, 400 `invalid_payload` permanent with the code,
 * 429 with Retry-After, and the hook's URL (the credential) in no failure whatever happens.
 */
import { ApplicationFailure } from '@temporalio/common';
import { createEgressGuard } from '../../src/activities/egress';
import { createSlackWebhookSender, slackWebhookMessage } from '../../src/activities/notify/slack-webhook';
import { mrkdwnEscape } from '../../src/shared/slack-blocks';
import { createSecretResolver, envVarFor } from '../../src/activities/secrets';
import type { SlackWebhookTarget } from '../../src/config/load';
import { messageTemplatesOf } from '../../src/config/notify-templates';
import { FAILURE } from '../../src/shared/failures';
import type { StepContext } from '../../src/shared/activity-types';
import { startReceiver, type Receiver } from '../support/http-receiver';

const HOOK_PATH = '/services/T0123ABCD/B0456EFGH/xoxHookSecret0123456789';
const step: StepContext = {
  workflowId: 'service-down-20260101T120000-1a2b3c4d',
  runId: 'r-1',
  stepId: 'tell',
  runbookId: 'service-down',
  idempotencyKey: 'service-down-20260101T120000-1a2b3c4d/tell',
  dryRun: false,
};
const runUrl = (id: string): string => `http://ui.test/wf/${id}`;
let slack: Receiver;
let elsewhere: Receiver;

beforeAll(async () => {
  [slack, elsewhere] = await Promise.all([startReceiver(), startReceiver()]);
});
afterAll(() => Promise.all([slack.close(), elsewhere.close()]));
beforeEach(() => {
  slack.received.length = 0;
  elsewhere.received.length = 0;
  slack.on(HOOK_PATH, () => ({ status: 200, body: 'ok' }));
});

const target: SlackWebhookTarget = { kind: 'slack-webhook', urlSecret: 'slack-hook' };
const hookUrl = (): string => `${slack.url}${HOOK_PATH}`;

function sender(url = hookUrl()) {
  return createSlackWebhookSender({
    fetch: globalThis.fetch,
    // The URL is the secret: resolved, never bound (there is nothing to bind it to but itself).
    secrets: createSecretResolver({ env: { [envVarFor('slack-hook')]: url } }),
    egress: createEgressGuard({ policy: { allowLinkLocal: false } }),
    templates: messageTemplatesOf(undefined),
    runUrl,
  });
}

async function failure(p: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  const f = err as ApplicationFailure;
  // The credential is the whole URL, and its path alone is enough to post.
  expect(f.message).not.toContain(HOOK_PATH);
  expect(f.message).not.toContain('xoxHookSecret');
  return f;
}

const input = {
  target: 'chat',
  title: 'DOWN: checkout <prod>',
  message: 'status 503 & rising; see <!channel>',
  severity: 'critical',
  fields: { service: 'checkout', errors: 42, pods: ['a', 'b'] },
};

test('the exact JSON: fallback text, title and message, fields, a context line linking the run; 200 ok', async () => {
  const r = await sender().send('chat', target, slackWebhookMessage(input, step, runUrl));
  expect(r).toEqual({ status: 200 });
  const req = slack.received.at(-1)!;
  expect({ method: req.method, path: req.path, type: req.headers['content-type'] }).toEqual({
    method: 'POST',
    path: HOOK_PATH,
    type: 'application/json; charset=utf-8',
  });
  expect(req.headers.authorization).toBeUndefined();
  expect(JSON.parse(req.body)).toEqual({
    text: 'DOWN: checkout &lt;prod&gt;: status 503 &amp; rising; see &lt;!channel&gt;',
    blocks: [
      {
        type: 'section',
        text: { type: 'mrkdwn', text: '*DOWN: checkout &lt;prod&gt;*\nstatus 503 &amp; rising; see &lt;!channel&gt;' },
      },
      {
        type: 'section',
        fields: [
          { type: 'mrkdwn', text: '*service*\ncheckout' },
          { type: 'mrkdwn', text: '*errors*\n42' },
          { type: 'mrkdwn', text: '*pods*\n["a","b"]' },
        ],
      },
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: `*critical* · service-down · <${runUrl(step.workflowId)}|Run ${step.workflowId}>`,
          },
        ],
      },
    ],
  });
});

test('Block Kit limits: sections of at most 3000, fields of at most 2000 and 10 a section, 50 blocks', () => {
  const long = slackWebhookMessage(
    {
      target: 'chat',
      message: `${'a'.repeat(2999)}&${'b'.repeat(4000)}`,
      fields: Object.fromEntries(Array.from({ length: 23 }, (_, i) => [`f${i}`, i === 0 ? 'x'.repeat(5000) : i])),
    },
    step,
    runUrl,
  );
  const blocks = long.blocks as Array<{ type: string; text?: { text: string }; fields?: Array<{ text: string }> }>;
  const sections = blocks.filter((b) => b.text && b.type === 'section').map((b) => b.text!.text);
  // The escape `&amp;` is never cut in two: the first piece stops before it.
  expect(sections.map((s) => s.length)).toEqual([2999, 3000, 1005]);
  expect(sections.join('')).toBe(mrkdwnEscape(`${'a'.repeat(2999)}&${'b'.repeat(4000)}`));
  const fieldCounts = blocks.filter((b) => b.fields).map((b) => b.fields!.length);
  expect(fieldCounts).toEqual([10, 10, 3]);
  expect(blocks.flatMap((b) => b.fields ?? []).every((f) => f.text.length <= 2000)).toBe(true);
  expect(long.text.length).toBeLessThanOrEqual(3000);

  const huge = slackWebhookMessage({ target: 'chat', message: 'm'.repeat(500_000) }, step, runUrl);
  expect(huge.blocks).toHaveLength(50);
  const last = (huge.blocks as Array<{ type: string; text?: { text: string } }>)[48]!;
  expect(last.text!.text.endsWith('…')).toBe(true);
  expect(last.text!.text.length).toBeLessThanOrEqual(3000);
  expect((huge.blocks as Array<{ type: string }>)[49]!.type).toBe('context');
});

test('400 invalid_payload is permanent, with the code and without the URL', async () => {
  slack.on(HOOK_PATH, () => ({ status: 400, body: 'invalid_payload' }));
  const f = await failure(sender().send('chat', target, { text: 'hi' }));
  expect({ type: f.type, nonRetryable: f.nonRetryable, message: f.message }).toEqual({
    type: FAILURE.HttpClientError,
    nonRetryable: true,
    message: "slack webhook 'chat' answered 400: invalid_payload",
  });
  slack.on(HOOK_PATH, () => ({ status: 404, body: 'channel_not_found' }));
  const gone = await failure(sender().send('chat', target, { text: 'hi' }));
  expect(gone.message).toBe("slack webhook 'chat' answered 404: channel_not_found");
});

test('429 is retried after Retry-After (nextRetryDelay); 5xx is retried', async () => {
  slack.on(HOOK_PATH, () => ({ status: 429, body: 'rate_limited', headers: { 'retry-after': '7' } }));
  const f = await failure(sender().send('chat', target, { text: 'hi' }));
  expect({ type: f.type, nonRetryable: f.nonRetryable, message: f.message, delay: f.nextRetryDelay }).toEqual({
    type: FAILURE.HttpUnexpectedStatus,
    nonRetryable: false,
    message: "slack webhook 'chat' answered 429: rate_limited (retry after 7 s)",
    delay: 7000,
  });
  slack.on(HOOK_PATH, () => ({ status: 503, body: 'no_service' }));
  const busy = await failure(sender().send('chat', target, { text: 'hi' }));
  expect({ type: busy.type, nonRetryable: busy.nonRetryable }).toEqual({
    type: FAILURE.HttpServerError,
    nonRetryable: false,
  });
});

test('the URL is in no failure: an answer quoting it, a redirect off its origin, a URL that is not https', async () => {
  slack.on(HOOK_PATH, () => ({ status: 403, body: `no hook at ${hookUrl()} (${HOOK_PATH})` }));
  const quoted = await failure(sender().send('chat', target, { text: 'hi' }));
  expect(quoted.message).toBe("slack webhook 'chat' answered 403: no hook at [webhook url] ([webhook url])");

  slack.on(HOOK_PATH, () => ({ status: 302, headers: { location: `${elsewhere.url}${HOOK_PATH}` } }));
  const moved = await failure(sender().send('chat', target, { text: 'hi' }));
  expect({ type: moved.type, nonRetryable: moved.nonRetryable }).toEqual({
    type: FAILURE.SecretNotAllowed,
    nonRetryable: true,
  });
  expect(elsewhere.received).toEqual([]);

  const plain = await failure(sender(`http://hooks.slack.example${HOOK_PATH}`).send('chat', target, { text: 'hi' }));
  expect({ type: plain.type, nonRetryable: plain.nonRetryable, message: plain.message }).toEqual({
    type: FAILURE.InvalidInput,
    nonRetryable: true,
    message: "slack-webhook target 'chat': secret 'slack-hook' is not an https URL (http only to this machine)",
  });

  // Nobody listening: the network error says so without the path.
  const closed = await startReceiver();
  const url = `${closed.url}${HOOK_PATH}`;
  await closed.close();
  const refused = await sender(url)
    .send('chat', target, { text: 'hi' })
    .then(
      () => undefined,
      (e: unknown) => e as Error,
    );
  expect(refused).toBeDefined();
  expect(String(refused!.message)).not.toContain(HOOK_PATH);
});
