/**
 * The ticket actions on a Jira Cloud target, through their envelope, against a loopback
 * receiver: Basic auth from two bound secrets, the exact REST v3 bodies (ADF descriptions and
 * comments), the issue a retry finds by its dr-<hash> label, the done transition found by name,
 * an issue already done left alone, refusals with Jira's errorMessages, 429 retried after
 * Retry-After, and the credentials bound to the site, never in an output or a failure.
 */
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { createEgressGuard } from '../../src/activities/egress';
import { envelope } from '../../src/activities/envelope';
import { createSecretResolver, envVarFor } from '../../src/activities/secrets';
import { adfOf, createTicketActivities, jiraKeyLabel } from '../../src/activities/tickets';
import { ticketIssueClose, ticketIssueComment, ticketIssueCreate } from '../../src/catalog/tickets';
import type { TicketTarget } from '../../src/config/tickets-schema';
import { FAILURE } from '../../src/shared/failures';
import type { ActionInput, ActionResult, StepContext } from '../../src/shared/activity-types';
import type { JsonObject } from '../../src/shared/model';
import { startReceiver, type Receiver } from '../support/http-receiver';

const EMAIL = 'ops-bot@example.com';
const TOKEN = 'ATATT3xFfGF0jiraT0KEN0123456789abcdef';
const BASIC = `Basic ${Buffer.from(`${EMAIL}:${TOKEN}`).toString('base64')}`;
const API = '/rest/api/3';
const step: StepContext = {
  workflowId: 'postmortem-inc-7',
  runId: 'r-1',
  stepId: 'open-issue',
  runbookId: 'postmortem',
  idempotencyKey: 'postmortem-inc-7/open-issue',
  dryRun: false,
};
const LABEL = jiraKeyLabel(step.idempotencyKey);
let jira: Receiver;
let elsewhere: Receiver;

beforeAll(async () => {
  Runtime.install({ logger: new DefaultLogger('ERROR'), shutdownSignals: [] });
  [jira, elsewhere] = await Promise.all([startReceiver(), startReceiver()]);
});
afterAll(() => Promise.all([jira.close(), elsewhere.close()]));
beforeEach(() => {
  jira.received.length = 0;
  elsewhere.received.length = 0;
  jira.on(`${API}/search/jql`, () => ({ status: 200, body: { issues: [], isLast: true } }));
  jira.on(`${API}/issue`, () => ({
    status: 201,
    body: { id: '10007', key: 'OPS-7', self: `${jira.url}${API}/issue/10007` },
  }));
  jira.on(`${API}/issue/OPS-7/comment`, () => ({ status: 201, body: { id: '10100' } }));
  jira.on(`${API}/issue/OPS-7`, () => ({
    status: 200,
    body: { key: 'OPS-7', fields: { status: { name: 'In Progress', statusCategory: { key: 'indeterminate' } } } },
  }));
  jira.on(`${API}/issue/OPS-7/transitions`, (req) =>
    req.method === 'GET'
      ? {
          status: 200,
          body: {
            transitions: [
              { id: '21', name: 'In Review', to: { statusCategory: { key: 'indeterminate' } } },
              { id: '31', name: 'Done', to: { statusCategory: { key: 'done' } } },
            ],
          },
        }
      : { status: 204 },
  );
});

const jiraTarget = (baseUrl: string): TicketTarget => ({
  kind: 'jira',
  baseUrl,
  project: 'OPS',
  issueType: 'Task',
  emailSecret: 'jira-email',
  tokenSecret: 'jira-token',
  doneTransition: 'Done',
});

function acts(bindings: Record<string, string[]> = { 'jira-email': [jira.url], 'jira-token': [jira.url] }) {
  const secrets = createSecretResolver({
    env: { [envVarFor('jira-email')]: EMAIL, [envVarFor('jira-token')]: TOKEN },
    bindings,
  });
  const impl = createTicketActivities({
    fetch: globalThis.fetch,
    secrets,
    egress: createEgressGuard({ policy: { allowLinkLocal: false } }),
    targets: { ops: jiraTarget(jira.url), other: jiraTarget(elsewhere.url) },
  });
  const metrics = { observeStep: () => undefined };
  // As src/activities/index.ts binds them: the envelope checks inputs and redacts secrets.
  return {
    [ticketIssueCreate.id]: envelope(ticketIssueCreate, impl.ticketIssueCreate, metrics, secrets.redactor),
    [ticketIssueComment.id]: envelope(ticketIssueComment, impl.ticketIssueComment, metrics, secrets.redactor),
    [ticketIssueClose.id]: envelope(ticketIssueClose, impl.ticketIssueClose, metrics, secrets.redactor),
  } as unknown as Record<string, (i: ActionInput) => Promise<ActionResult>>;
}

const run = (activity: string, input: JsonObject, a = acts()): Promise<ActionResult> =>
  new MockActivityEnvironment({ attempt: 1 }).run(a[activity]!, { step, input });

async function failure(activity: string, input: JsonObject, a = acts()): Promise<ApplicationFailure> {
  const err = await run(activity, input, a).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}

const brief = (f: ApplicationFailure) => ({ type: f.type, nonRetryable: f.nonRetryable, message: f.message });
const calls = (r: Receiver) => r.received.map((q) => `${q.method} ${q.path}`);
const bodyOf = (r: Receiver, i: number): unknown => JSON.parse(r.received[i]!.body);
const create = {
  target: 'ops',
  title: 'Postmortem: checkout outage',
  body: 'Timeline.\n\nImpact: line one\nline two\n\n\n',
  labels: ['postmortem'],
};

test('create: searches by the key label (enhanced JQL search), then opens the issue with an ADF description', async () => {
  const r = await run('ticket:issue:create', create);
  expect(calls(jira)).toEqual([`POST ${API}/search/jql`, `POST ${API}/issue`]);
  for (const req of jira.received)
    expect({ auth: req.headers.authorization, accept: req.headers.accept, type: req.headers['content-type'] }).toEqual({
      auth: BASIC,
      accept: 'application/json',
      type: 'application/json',
    });
  expect(LABEL).toMatch(/^dr-[0-9a-f]{16}$/);
  expect(bodyOf(jira, 0)).toEqual({
    jql: `project = "OPS" AND labels = "${LABEL}" ORDER BY created DESC`,
    fields: ['key'],
    maxResults: 1,
  });
  expect(bodyOf(jira, 1)).toEqual({
    fields: {
      project: { key: 'OPS' },
      issuetype: { name: 'Task' },
      summary: 'Postmortem: checkout outage',
      description: {
        version: 1,
        type: 'doc',
        content: [
          { type: 'paragraph', content: [{ type: 'text', text: 'Timeline.' }] },
          {
            type: 'paragraph',
            content: [
              { type: 'text', text: 'Impact: line one' },
              { type: 'hardBreak' },
              { type: 'text', text: 'line two' },
            ],
          },
        ],
      },
      labels: ['postmortem', LABEL],
    },
  });
  expect(r).toEqual({
    attempt: 1,
    output: { target: 'ops', kind: 'jira', id: 'OPS-7', url: `${jira.url}/browse/OPS-7`, created: true },
  });
});

test('a retry finds the issue by its label: created false, no POST /issue', async () => {
  jira.on(`${API}/search/jql`, () => ({
    status: 200,
    body: { issues: [{ id: '10005', key: 'OPS-5' }], isLast: true },
  }));
  const r = await run('ticket:issue:create', create);
  expect(calls(jira)).toEqual([`POST ${API}/search/jql`]);
  expect(r.output).toEqual({
    target: 'ops',
    kind: 'jira',
    id: 'OPS-5',
    url: `${jira.url}/browse/OPS-5`,
    created: false,
  });
});

test('comment: an ADF body; the comment id', async () => {
  const r = await run('ticket:issue:comment', { target: 'ops', id: 'OPS-7', body: 'Remediated.' });
  expect(calls(jira)).toEqual([`POST ${API}/issue/OPS-7/comment`]);
  expect(jira.received[0]!.headers.authorization).toBe(BASIC);
  expect(bodyOf(jira, 0)).toEqual({
    body: {
      version: 1,
      type: 'doc',
      content: [{ type: 'paragraph', content: [{ type: 'text', text: 'Remediated.' }] }],
    },
  });
  expect(r.output).toEqual({ target: 'ops', id: 'OPS-7', commentId: '10100' });
});

test('close: reads the status, finds the transition by name, POSTs its id', async () => {
  const r = await run('ticket:issue:close', { target: 'ops', id: 'OPS-7' });
  expect(calls(jira)).toEqual([
    `GET ${API}/issue/OPS-7?fields=status`,
    `GET ${API}/issue/OPS-7/transitions`,
    `POST ${API}/issue/OPS-7/transitions`,
  ]);
  expect(bodyOf(jira, 2)).toEqual({ transition: { id: '31' } });
  expect(r.output).toEqual({ target: 'ops', id: 'OPS-7', changed: true });
});

test('close of an issue already done: changed false, no transition', async () => {
  jira.on(`${API}/issue/OPS-7`, () => ({
    status: 200,
    body: { key: 'OPS-7', fields: { status: { name: 'Done', statusCategory: { key: 'done' } } } },
  }));
  const r = await run('ticket:issue:close', { target: 'ops', id: 'OPS-7' });
  expect(r.output).toEqual({ target: 'ops', id: 'OPS-7', changed: false });
  expect(calls(jira)).toEqual([`GET ${API}/issue/OPS-7?fields=status`]);
});

test('no transition of that name from where the issue is: permanent, naming those offered', async () => {
  jira.on(`${API}/issue/OPS-7/transitions`, () => ({
    status: 200,
    body: { transitions: [{ id: '21', name: 'In Review' }] },
  }));
  expect(brief(await failure('ticket:issue:close', { target: 'ops', id: 'OPS-7' }))).toEqual({
    type: FAILURE.InvalidInput,
    nonRetryable: true,
    message:
      "jira 'ops': OPS-7 (In Progress) offers no transition 'Done' (offered: In Review); set doneTransition on the target",
  });
  expect(calls(jira)).not.toContain(`POST ${API}/issue/OPS-7/transitions`);
});

test('400 and 404 are permanent with errorMessages and field errors', async () => {
  jira.on(`${API}/issue`, () => ({
    status: 400,
    body: { errorMessages: [], errors: { labels: 'The label cannot contain spaces.' } },
  }));
  expect(brief(await failure('ticket:issue:create', create))).toEqual({
    type: FAILURE.HttpClientError,
    nonRetryable: true,
    message: "jira 'ops' answered 400 to the new issue: labels: The label cannot contain spaces.",
  });
  jira.on(`${API}/issue/OPS-9/comment`, () => ({
    status: 404,
    body: { errorMessages: ['Issue does not exist or you do not have permission to see it.'], errors: {} },
  }));
  expect(brief(await failure('ticket:issue:comment', { target: 'ops', id: 'OPS-9', body: 'x' }))).toEqual({
    type: FAILURE.HttpClientError,
    nonRetryable: true,
    message:
      "jira 'ops' answered 404 to a comment on OPS-9: Issue does not exist or you do not have permission to see it.",
  });
});

test('429 is retried after Retry-After; 503 is retried', async () => {
  jira.on(`${API}/search/jql`, () => ({ status: 429, body: 'rate limited', headers: { 'retry-after': '10' } }));
  const f = await failure('ticket:issue:create', create);
  expect(brief(f)).toEqual({
    type: FAILURE.HttpUnexpectedStatus,
    nonRetryable: false,
    message: "jira 'ops' answered 429 to the issue search (retry after 10 s)",
  });
  expect(f.nextRetryDelay).toBe(10_000);
  expect(calls(jira)).toEqual([`POST ${API}/search/jql`]);
  jira.on(`${API}/search/jql`, () => ({ status: 503, body: 'unavailable' }));
  const busy = await failure('ticket:issue:create', create);
  expect({ type: busy.type, nonRetryable: busy.nonRetryable }).toEqual({
    type: FAILURE.HttpServerError,
    nonRetryable: false,
  });
});

test('the credentials are never in an output or a failure, even when Jira quotes them', async () => {
  jira.on(`${API}/issue/OPS-7/comment`, () => ({
    status: 401,
    body: { errorMessages: [`token ${TOKEN} for ${EMAIL} refused`] },
  }));
  const f = await failure('ticket:issue:comment', { target: 'ops', id: 'OPS-7', body: 'x' });
  expect(f.message).toBe(
    "jira 'ops' answered 401 to a comment on OPS-7: token [secret jira-token] for [secret jira-email] refused",
  );
});

test('a secret bound to another host is not sent: SecretNotAllowed, no request', async () => {
  const f = await failure('ticket:issue:create', { ...create, target: 'other' });
  expect({ type: f.type, nonRetryable: f.nonRetryable }).toEqual({
    type: FAILURE.SecretNotAllowed,
    nonRetryable: true,
  });
  expect(elsewhere.received).toEqual([]);
  // The token bound nowhere, even with the email bound to the site: nothing is sent.
  const half = await failure('ticket:issue:create', create, acts({ 'jira-email': [jira.url] }));
  expect(brief(half)).toEqual({
    type: FAILURE.SecretNotAllowed,
    nonRetryable: true,
    message:
      "secret 'jira-token' may be sent nowhere: list where it may go in secrets.jira-token.sendTo (configuration); no request was made",
  });
  expect(jira.received).toEqual([]);
});

test('an id that is not an issue key fails at once, with no request', async () => {
  expect(brief(await failure('ticket:issue:close', { target: 'ops', id: '42' }))).toEqual({
    type: FAILURE.InvalidInput,
    nonRetryable: true,
    message: "jira target 'ops': '42' is not an issue key (such as OPS-7)",
  });
  expect(jira.received).toEqual([]);
});

test('ADF: a paragraph per blank-line-separated block, hard breaks for lines, plain text; empty text one empty paragraph', () => {
  expect(adfOf('a\r\n\r\nb  \n \nc')).toEqual({
    version: 1,
    type: 'doc',
    content: [
      { type: 'paragraph', content: [{ type: 'text', text: 'a' }] },
      { type: 'paragraph', content: [{ type: 'text', text: 'b  ' }] },
      { type: 'paragraph', content: [{ type: 'text', text: 'c' }] },
    ],
  });
  expect(adfOf('**bold** `x`').content).toEqual([
    { type: 'paragraph', content: [{ type: 'text', text: '**bold** `x`' }] },
  ]);
  expect(adfOf('')).toEqual({ version: 1, type: 'doc', content: [{ type: 'paragraph', content: [] }] });
});
