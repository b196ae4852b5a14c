/**
 * The ticket actions on a GitHub target, through their envelope, against a loopback receiver:
 * the exact requests (paths, headers, the token, JSON bodies), the issue a retry finds by its
 * marker (no second one opened), an issue already closed left alone, permanent refusals with
 * GitHub's message, 429 and rate-limit 403 retried after their delay, and the token bound to
 * its host, never in an output or a failure.
 */
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { createEgressGuard } from '../../src/activities/egress';
import { envelope } from '../../src/activities/envelope';
import { createSecretResolver, envVarFor } from '../../src/activities/secrets';
import { createTicketActivities, githubMarker } from '../../src/activities/tickets';
import { ticketIssueClose, ticketIssueComment, ticketIssueCreate } from '../../src/catalog/tickets';
import type { TicketTarget } from '../../src/config/tickets-schema';
import { FAILURE } from '../../src/shared/failures';
import type { ActionInput, ActionResult, StepContext } from '../../src/shared/activity-types';
import type { JsonObject } from '../../src/shared/model';
import { startReceiver, type Receiver } from '../support/http-receiver';

const TOKEN = 'ghp_T0KEN0123456789abcdefABCDEF012345';
const ISSUES = '/repos/acme/checkout/issues';
const SEARCH = `${ISSUES}?state=all&labels=postmortem&per_page=50&sort=created&direction=desc`;
const step: StepContext = {
  workflowId: 'postmortem-inc-7',
  runId: 'r-1',
  stepId: 'open-issue',
  runbookId: 'postmortem',
  idempotencyKey: 'postmortem-inc-7/open-issue',
  dryRun: false,
};
const MARKER = '<!-- durable-runbooks:key=postmortem-inc-7/open-issue -->';
let gh: Receiver;
let elsewhere: Receiver;

beforeAll(async () => {
  Runtime.install({ logger: new DefaultLogger('ERROR'), shutdownSignals: [] });
  [gh, elsewhere] = await Promise.all([startReceiver(), startReceiver()]);
});
afterAll(() => Promise.all([gh.close(), elsewhere.close()]));
beforeEach(() => {
  gh.received.length = 0;
  elsewhere.received.length = 0;
  gh.on(ISSUES, (req) =>
    req.method === 'GET'
      ? { status: 200, body: [] }
      : { status: 201, body: { number: 42, html_url: 'https://github.com/acme/checkout/issues/42', state: 'open' } },
  );
  gh.on(`${ISSUES}/42/comments`, () => ({ status: 201, body: { id: 1001, body: 'x' } }));
  gh.on(`${ISSUES}/42`, (req) => ({
    status: 200,
    body: { number: 42, state: req.method === 'GET' ? 'open' : 'closed' },
  }));
});

const targets = (): Record<string, TicketTarget> => ({
  postmortems: {
    kind: 'github',
    repo: 'acme/checkout',
    tokenSecret: 'gh-token',
    baseUrl: gh.url,
    labels: ['postmortem'],
  },
  unbound: { kind: 'github', repo: 'acme/checkout', tokenSecret: 'gh-token', baseUrl: elsewhere.url, labels: [] },
});

function acts(): Record<string, (i: ActionInput) => Promise<ActionResult>> {
  const secrets = createSecretResolver({ env: { [envVarFor('gh-token')]: TOKEN }, bindings: { 'gh-token': [gh.url] } });
  const impl = createTicketActivities({
    fetch: globalThis.fetch,
    secrets,
    egress: createEgressGuard({ policy: { allowLinkLocal: false } }),
    targets: targets(),
  });
  const metrics = { observeStep: () => undefined };
  // As src/activities/index.ts binds them: the envelope checks inputs and redacts secrets.
  return {
    [ticketIssueCreate.id]: envelope(ticketIssueCreate, impl.ticketIssueCreate, metrics, secrets.redactor),
    [ticketIssueComment.id]: envelope(ticketIssueComment, impl.ticketIssueComment, metrics, secrets.redactor),
    [ticketIssueClose.id]: envelope(ticketIssueClose, impl.ticketIssueClose, metrics, secrets.redactor),
  } as unknown as Record<string, (i: ActionInput) => Promise<ActionResult>>;
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

const brief = (f: ApplicationFailure) => ({ type: f.type, nonRetryable: f.nonRetryable, message: f.message });
const calls = (r: Receiver) => r.received.map((q) => `${q.method} ${q.path}`);
const bodyOf = (r: Receiver, i: number): unknown => JSON.parse(r.received[i]!.body);
const create = { target: 'postmortems', title: 'Postmortem: checkout outage', body: 'Timeline.', labels: ['sev1'] };

test('create: searches by the first label, then opens the issue with its marker, exact headers and body', async () => {
  const r = await run('ticket:issue:create', create);
  expect(calls(gh)).toEqual([`GET ${SEARCH}`, `POST ${ISSUES}`]);
  for (const req of gh.received)
    expect({
      authorization: req.headers.authorization,
      accept: req.headers.accept,
      version: req.headers['x-github-api-version'],
      agent: req.headers['user-agent'],
    }).toEqual({
      authorization: `Bearer ${TOKEN}`,
      accept: 'application/vnd.github+json',
      version: '2022-11-28',
      agent: 'durable-runbooks',
    });
  expect(gh.received[1]!.headers['content-type']).toBe('application/json');
  expect(bodyOf(gh, 1)).toEqual({
    title: 'Postmortem: checkout outage',
    body: `Timeline.\n\n${MARKER}`,
    labels: ['postmortem', 'sev1'],
  });
  expect(r).toEqual({
    attempt: 1,
    output: {
      target: 'postmortems',
      kind: 'github',
      id: '42',
      url: 'https://github.com/acme/checkout/issues/42',
      created: true,
    },
  });
});

test('a retry finds the issue its lost answer opened: created false, no POST (pull requests and other keys ignored)', async () => {
  gh.on(ISSUES, () => ({
    status: 200,
    body: [
      { number: 50, html_url: 'https://github.com/acme/checkout/pull/50', body: MARKER, pull_request: {} },
      { number: 44, html_url: 'https://github.com/acme/checkout/issues/44', body: githubMarker('other/step') },
      { number: 43, html_url: 'https://github.com/acme/checkout/issues/43', body: null },
      { number: 41, html_url: 'https://github.com/acme/checkout/issues/41', body: `Timeline.\n\n${MARKER}` },
    ],
  }));
  const r = await run('ticket:issue:create', create);
  expect(calls(gh)).toEqual([`GET ${SEARCH}`]);
  expect(r.output).toEqual({
    target: 'postmortems',
    kind: 'github',
    id: '41',
    url: 'https://github.com/acme/checkout/issues/41',
    created: false,
  });
});

test('an explicit key is the marker; a key that is not plain becomes its SHA-256', async () => {
  await run('ticket:issue:create', { ...create, key: 'incident-7' });
  expect((bodyOf(gh, 1) as { body: string }).body).toBe('Timeline.\n\n<!-- durable-runbooks:key=incident-7 -->');
  expect(githubMarker('a --> b')).toMatch(/^<!-- durable-runbooks:key=sha256:[0-9a-f]{64} -->$/);
});

test('a search answer that cannot be read opens nothing and is retried', async () => {
  gh.on(ISSUES, (req) => (req.method === 'GET' ? { status: 200, body: { not: 'a list' } } : { status: 201, body: {} }));
  const f = await failure('ticket:issue:create', create);
  expect(brief(f)).toEqual({
    type: FAILURE.HttpUnexpectedStatus,
    nonRetryable: false,
    message:
      "github 'postmortems' answered the issue search with something not a list: cannot tell whether the issue exists, so none was opened",
  });
  expect(calls(gh)).toEqual([`GET ${SEARCH}`]);
});

test('comment: POST .../issues/42/comments with the body and its marker; the comment id as a string', async () => {
  const r = await run('ticket:issue:comment', { target: 'postmortems', id: '42', body: 'Remediated.' });
  expect(calls(gh)).toEqual([`POST ${ISSUES}/42/comments`]);
  expect(gh.received[0]!.headers.authorization).toBe(`Bearer ${TOKEN}`);
  expect(bodyOf(gh, 0)).toEqual({ body: 'Remediated.\n\n<!-- durable-runbooks:key=postmortem-inc-7/open-issue -->' });
  expect(r.output).toEqual({ target: 'postmortems', id: '42', commentId: '1001' });
});

test('a retried comment finds the one its first try posted (its marker) and posts nothing', async () => {
  gh.on(`${ISSUES}/42/comments`, (req) =>
    req.method === 'GET'
      ? {
          status: 200,
          body: [
            { id: 7, body: 'someone else' },
            { id: 1001, body: 'Remediated.\n\n<!-- durable-runbooks:key=postmortem-inc-7/open-issue -->' },
          ],
        }
      : { status: 201, body: { id: 2002 } },
  );
  const r = await run('ticket:issue:comment', { target: 'postmortems', id: '42', body: 'Remediated.' }, 2);
  expect(calls(gh)).toEqual([`GET ${ISSUES}/42/comments?per_page=100`]);
  expect(r.output).toEqual({ target: 'postmortems', id: '42', commentId: '1001' });
  // Not there: the retry posts.
  gh.received.length = 0;
  gh.on(`${ISSUES}/42/comments`, (req) =>
    req.method === 'GET' ? { status: 200, body: [] } : { status: 201, body: { id: 2002 } },
  );
  const again = await run('ticket:issue:comment', { target: 'postmortems', id: '42', body: 'Remediated.' }, 2);
  expect(calls(gh)).toEqual([`GET ${ISSUES}/42/comments?per_page=100`, `POST ${ISSUES}/42/comments`]);
  expect(again.output).toMatchObject({ commentId: '2002' });
});

test('close: reads the issue, then PATCHes state closed with the reason', async () => {
  const r = await run('ticket:issue:close', { target: 'postmortems', id: '42', reason: 'not_planned' });
  expect(calls(gh)).toEqual([`GET ${ISSUES}/42`, `PATCH ${ISSUES}/42`]);
  expect(bodyOf(gh, 1)).toEqual({ state: 'closed', state_reason: 'not_planned' });
  expect(r.output).toEqual({ target: 'postmortems', id: '42', changed: true });
  await run('ticket:issue:close', { target: 'postmortems', id: '42' });
  expect(bodyOf(gh, 3)).toEqual({ state: 'closed', state_reason: 'completed' });
});

test('close of an issue already closed: changed false, no PATCH', async () => {
  gh.on(`${ISSUES}/42`, () => ({ status: 200, body: { number: 42, state: 'closed', state_reason: 'completed' } }));
  const r = await run('ticket:issue:close', { target: 'postmortems', id: '42' });
  expect(r.output).toEqual({ target: 'postmortems', id: '42', changed: false });
  expect(calls(gh)).toEqual([`GET ${ISSUES}/42`]);
});

test('422 is permanent with GitHub message and errors', async () => {
  gh.on(ISSUES, (req) =>
    req.method === 'GET'
      ? { status: 200, body: [] }
      : {
          status: 422,
          body: {
            message: 'Validation Failed',
            errors: [{ resource: 'Issue', field: 'title', code: 'missing_field' }],
            documentation_url: 'https://docs.github.com/rest/issues/issues#create-an-issue',
          },
        },
  );
  expect(brief(await failure('ticket:issue:create', create))).toEqual({
    type: FAILURE.HttpClientError,
    nonRetryable: true,
    message: "github 'postmortems' answered 422 to the new issue: Validation Failed; Issue.title missing_field",
  });
});

test('410 (issues disabled) and 404 are permanent with the message', async () => {
  gh.on(`${ISSUES}/42/comments`, () => ({ status: 410, body: { message: 'Issues are disabled for this repo' } }));
  expect(brief(await failure('ticket:issue:comment', { target: 'postmortems', id: '42', body: 'x' }))).toEqual({
    type: FAILURE.HttpClientError,
    nonRetryable: true,
    message: "github 'postmortems' answered 410 to a comment on #42: Issues are disabled for this repo",
  });
  gh.on(`${ISSUES}/7`, () => ({
    status: 404,
    body: { message: 'Not Found', documentation_url: 'https://docs.github.com' },
  }));
  expect(brief(await failure('ticket:issue:close', { target: 'postmortems', id: '7' }))).toEqual({
    type: FAILURE.HttpClientError,
    nonRetryable: true,
    message: "github 'postmortems' answered 404 to issue #7: Not Found",
  });
});

test('429 is retried after Retry-After; 5xx is retried', async () => {
  gh.on(`${ISSUES}/42/comments`, () => ({ status: 429, body: { message: 'slow' }, headers: { 'retry-after': '30' } }));
  const f = await failure('ticket:issue:comment', { target: 'postmortems', id: '42', body: 'x' });
  expect(brief(f)).toEqual({
    type: FAILURE.HttpUnexpectedStatus,
    nonRetryable: false,
    message: "github 'postmortems' answered 429 to a comment on #42 (retry after 30 s)",
  });
  expect(f.nextRetryDelay).toBe(30_000);
  gh.on(`${ISSUES}/42/comments`, () => ({ status: 502, body: 'bad gateway' }));
  const busy = await failure('ticket:issue:comment', { target: 'postmortems', id: '42', body: 'x' });
  expect({ type: busy.type, nonRetryable: busy.nonRetryable }).toEqual({
    type: FAILURE.HttpServerError,
    nonRetryable: false,
  });
});

test('403 with x-ratelimit-remaining 0 waits until x-ratelimit-reset; a secondary limit a minute; other 403s are permanent', async () => {
  const reset = Math.floor(Date.now() / 1000) + 120;
  gh.on(`${ISSUES}/42`, () => ({
    status: 403,
    body: { message: 'API rate limit exceeded for user ID 1.' },
    headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset), 'x-ratelimit-limit': '5000' },
  }));
  const f = await failure('ticket:issue:close', { target: 'postmortems', id: '42' });
  expect({ type: f.type, nonRetryable: f.nonRetryable }).toEqual({
    type: FAILURE.HttpUnexpectedStatus,
    nonRetryable: false,
  });
  expect(f.message).toMatch(
    /^github 'postmortems' answered 403 to issue #42: rate limit reached \(retry after 1[12]\d s\)$/,
  );
  expect(f.nextRetryDelay).toBeGreaterThan(110_000);
  expect(f.nextRetryDelay).toBeLessThanOrEqual(120_000);

  gh.on(`${ISSUES}/42`, () => ({ status: 403, body: { message: 'You have exceeded a secondary rate limit.' } }));
  const secondary = await failure('ticket:issue:close', { target: 'postmortems', id: '42' });
  expect({ nonRetryable: secondary.nonRetryable, delay: secondary.nextRetryDelay }).toEqual({
    nonRetryable: false,
    delay: 60_000,
  });

  gh.on(`${ISSUES}/42`, () => ({
    status: 403,
    body: { message: 'Resource not accessible by personal access token' },
    headers: { 'x-ratelimit-remaining': '4999' },
  }));
  expect(brief(await failure('ticket:issue:close', { target: 'postmortems', id: '42' }))).toEqual({
    type: FAILURE.HttpClientError,
    nonRetryable: true,
    message: "github 'postmortems' answered 403 to issue #42: Resource not accessible by personal access token",
  });
});

test('the token is never in an output or a failure, even when GitHub quotes it', async () => {
  gh.on(`${ISSUES}/42/comments`, () => ({ status: 401, body: { message: `Bad credentials: ${TOKEN}` } }));
  const f = await failure('ticket:issue:comment', { target: 'postmortems', id: '42', body: 'x' });
  expect(f.message).toBe("github 'postmortems' answered 401 to a comment on #42: Bad credentials: [secret gh-token]");
  gh.on(ISSUES, (req) =>
    req.method === 'GET'
      ? { status: 200, body: [] }
      : { status: 201, body: { number: 42, html_url: `https://github.com/acme/checkout/issues/42?t=${TOKEN}` } },
  );
  const r = await run('ticket:issue:create', create);
  expect(JSON.stringify(r)).not.toContain(TOKEN);
});

test('a token bound to another host is not sent: SecretNotAllowed, no request', async () => {
  const f = await failure('ticket:issue:create', { ...create, target: 'unbound' });
  expect({ type: f.type, nonRetryable: f.nonRetryable }).toEqual({
    type: FAILURE.SecretNotAllowed,
    nonRetryable: true,
  });
  expect(f.message).not.toContain(TOKEN);
  expect(elsewhere.received).toEqual([]);
});

test('an unknown target, an id that is not a number and a bad input fail at once, with no request', async () => {
  expect(brief(await failure('ticket:issue:close', { target: 'nope', id: '42' }))).toEqual({
    type: FAILURE.UnknownTarget,
    nonRetryable: true,
    message: "no ticket target 'nope' in configuration (known: postmortems, unbound)",
  });
  expect(brief(await failure('ticket:issue:close', { target: 'postmortems', id: 'OPS-7' }))).toEqual({
    type: FAILURE.InvalidInput,
    nonRetryable: true,
    message: "github target 'postmortems': 'OPS-7' is not an issue number",
  });
  const bad = await failure('ticket:issue:create', { target: 'postmortems', title: '', body: 'x' });
  expect({ type: bad.type, nonRetryable: bad.nonRetryable }).toEqual({
    type: FAILURE.InvalidInput,
    nonRetryable: true,
  });
  expect(gh.received).toEqual([]);
});
