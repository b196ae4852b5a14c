/**
 * The postmortem routes with Fastify's inject over a fake service: people's actions need a token
 * and a body of the right shape (400 naming the field), their identity comes from the token; the
 * trackers' webhooks need no token but a signature over the raw body (GitHub's
 * `X-Hub-Signature-256`, Jira's `X-Hub-Signature`), are refused with 401 and counted when it is
 * wrong, read only once verified, and answered 202 with the reason when they close nothing.
 */
import { createHmac } from 'node:crypto';
import { Registry } from 'prom-client';
import { buildApp } from '../../src/api/app';
import { requireRole } from '../../src/api/auth';
import { postmortemRoutes, type TicketEventJournalEntry } from '../../src/api/routes/postmortems';
import { loadConfig } from '../../src/config/load';
import { RunError } from '../../src/runs/errors';
import type { PostmortemService, TrackerEvent, TrackerOutcome } from '../../src/runs/postmortems';
import type { RunService } from '../../src/runs/service';
import type { PostmortemAction } from '../../src/shared/postmortem';
import { libraryOf } from '../support/runbook-worker';

const config = loadConfig({}, process.cwd());
const GITHUB_SECRET = 'gh-webhook-secret';
const JIRA_SECRET = 'jira-webhook-secret';
const WF = 'postmortem-INC-7';
const operator = { authorization: 'Bearer dev-alice-operator' };

function setup(outcome: TrackerOutcome = { outcome: 'closed', workflowId: WF, itemId: 'ai-1', text: 'ai-1 closed' }) {
  const acted: Array<{ id: string; action: PostmortemAction; actor: string; via: string; requestId?: string }> = [];
  const events: TrackerEvent[] = [];
  const refused: string[] = [];
  const journal: TicketEventJournalEntry[] = [];
  const postmortems: Pick<PostmortemService, 'list' | 'get' | 'act' | 'closeItemFromTracker'> = {
    list: async () => [],
    get: async (id) => {
      throw new RunError('not_found', `no postmortem '${id}'`);
    },
    act: async (id, action, actor, via, requestId) => {
      if (action.kind === 'close-item' && action.itemId === 'ai-9')
        throw new RunError('conflict', 'ai-9 is already closed', 'kind');
      acted.push({ id, action, actor, via, ...(requestId ? { requestId } : {}) });
      return { accepted: true, text: 'done', phase: 'open' };
    },
    closeItemFromTracker: async (e) => {
      events.push(e);
      return outcome;
    },
  };
  const app = buildApp({
    runs: { ready: async () => true } as unknown as RunService,
    library: () => libraryOf(),
    tokens: config.tokens,
    registry: new Registry(),
  });
  postmortemRoutes(app, {
    postmortems,
    role: (r) => requireRoleOf(r),
    ticketWebhooks: { github: Buffer.from(GITHUB_SECRET), jira: Buffer.from(JIRA_SECRET) },
    refused: (source, reason) => refused.push(`${source}:${reason}`),
    journal: { append: async (e) => void journal.push(e), newest: async () => [] },
  });
  return { app, acted, events, refused, journal };
}

// The app's own role hooks (what app.ts gives routes), for these tokens.
const requireRoleOf = (r: Parameters<typeof requireRole>[1]) => requireRole(config.tokens, r);

const hmac = (secret: string, body: string): string =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

/** An `issues` `closed` delivery as GitHub sends it (trimmed to the fields GitHub always includes that we read). */
const githubClosed = JSON.stringify({
  action: 'closed',
  issue: {
    url: 'https://api.github.com/repos/acme/checkout/issues/42',
    html_url: 'https://github.com/acme/checkout/issues/42',
    id: 2_345_678_901,
    number: 42,
    title: 'add a canary (INC-7 ai-1)',
    user: { login: 'durable-runbooks[bot]', id: 1, type: 'Bot' },
    labels: [
      { id: 7, name: 'postmortem', color: 'ededed' },
      { id: 8, name: 'action-item', color: 'ededed' },
    ],
    state: 'closed',
    locked: false,
    assignee: null,
    assignees: [],
    comments: 0,
    created_at: '2026-12-01T10:00:00Z',
    updated_at: '2026-12-03T09:00:00Z',
    closed_at: '2026-12-03T09:00:00Z',
    author_association: 'NONE',
    state_reason: 'completed',
    body: `Action item ai-1 of the postmortem of INC-7: checkout 500s\n\n<!-- durable-runbooks:postmortem-item=ai-1 workflow=${WF} -->`,
  },
  repository: { id: 99, name: 'checkout', full_name: 'acme/checkout', private: true, owner: { login: 'acme' } },
  sender: { login: 'dave', id: 5, type: 'User' },
});

const jiraDone = JSON.stringify({
  timestamp: 1_796_300_000_000,
  webhookEvent: 'jira:issue_updated',
  issue_event_type_name: 'issue_generic',
  user: { accountId: '5b10a2844c20165700ede21g', displayName: 'Dave' },
  issue: {
    id: '10042',
    key: 'OPS-7',
    fields: {
      summary: 'add a canary (INC-7 ai-1)',
      labels: ['action-item', `dr-pm.ai-1.${WF}`, 'dr-0123456789abcdef'],
      status: { name: 'Done', statusCategory: { id: 3, key: 'done', name: 'Done' } },
    },
  },
  changelog: { items: [{ field: 'status', fromString: 'In Progress', toString: 'Done' }] },
});

const github = (body: string, headers: Record<string, string> = {}) => ({
  method: 'POST' as const,
  url: '/v1/webhooks/github',
  headers: {
    'content-type': 'application/json',
    'x-github-event': 'issues',
    'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958',
    'x-hub-signature-256': hmac(GITHUB_SECRET, body),
    ...headers,
  },
  payload: body,
});

test('a GitHub-signed issues closed delivery is handed on with its X-GitHub-Delivery as the delivery id', async () => {
  const { app, events } = setup();
  const r = await app.inject(github(githubClosed));
  expect(r.statusCode).toBe(200);
  expect(r.json()).toEqual({ status: 'closed', workflowId: WF, itemId: 'ai-1', text: 'ai-1 closed' });
  expect(events).toEqual([
    expect.objectContaining({
      kind: 'github',
      deliveryId: '72d3162e-cc78-11e3-81ab-4c9367dc0958',
      action: 'closed',
      state: 'closed',
      number: 42,
      repo: 'acme/checkout',
      body: expect.stringContaining('postmortem-item=ai-1'),
    }),
  ]);
  await app.close();
});

test('a bad signature is 401, counted, and the body is never handed on', async () => {
  const { app, events, refused } = setup();
  for (const sig of [hmac('another-secret', githubClosed), undefined, `sha1=${'0'.repeat(40)}`]) {
    const req = github(githubClosed);
    if (sig === undefined) delete (req.headers as Record<string, string>)['x-hub-signature-256'];
    else req.headers['x-hub-signature-256'] = sig;
    const r = await app.inject(req);
    expect(r.statusCode).toBe(401);
    expect(r.json()).toEqual({ error: 'not signed with the github webhook secret', field: 'x-hub-signature-256' });
  }
  // Signed, then changed on the way: the signature is over the raw body.
  const tampered = await app.inject({
    ...github(githubClosed),
    payload: githubClosed.replace('"number":42', '"number":43'),
  });
  expect(tampered.statusCode).toBe(401);
  // Jira's header is X-Hub-Signature; GitHub's -256 header on a Jira request does not count.
  const jira = await app.inject({
    method: 'POST',
    url: '/v1/webhooks/jira',
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': hmac(JIRA_SECRET, jiraDone) },
    payload: jiraDone,
  });
  expect(jira.statusCode).toBe(401);
  expect(jira.json()).toMatchObject({ field: 'x-hub-signature' });
  expect(events).toEqual([]);
  expect(refused).toEqual([...Array<string>(4).fill('github:bad-signature'), 'jira:bad-signature']);
  await app.close();
});

test('a Jira-signed issue update to done is handed on with its labels and its webhook id as the delivery id', async () => {
  const { app, events } = setup();
  const r = await app.inject({
    method: 'POST',
    url: '/v1/webhooks/jira',
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'x-hub-signature': hmac(JIRA_SECRET, jiraDone),
      'x-atlassian-webhook-identifier': '2c5ba8a6-3ab8-4a5c-9bd3-57fa1b9a1c33',
    },
    payload: jiraDone,
  });
  expect(r.statusCode).toBe(200);
  expect(events).toEqual([
    {
      kind: 'jira',
      deliveryId: '2c5ba8a6-3ab8-4a5c-9bd3-57fa1b9a1c33',
      webhookEvent: 'jira:issue_updated',
      key: 'OPS-7',
      statusCategory: 'done',
      labels: ['action-item', `dr-pm.ai-1.${WF}`, 'dr-0123456789abcdef'],
    },
  ]);
  // Without the header: a hash of the body, the same for the same event.
  const again = await app.inject({
    method: 'POST',
    url: '/v1/webhooks/jira',
    headers: { 'content-type': 'application/json', 'x-hub-signature': hmac(JIRA_SECRET, jiraDone) },
    payload: jiraDone,
  });
  expect(again.statusCode).toBe(200);
  expect(events[1]?.deliveryId).toMatch(/^sha256:[0-9a-f]{32}$/);
  await app.close();
});

test('signed events that close nothing: 202 with the reason; a malformed one: 400, journaled', async () => {
  const { app, journal } = setup({ outcome: 'ignored', reason: 'the issue names no postmortem action item' });
  const r = await app.inject(github(githubClosed));
  expect(r.statusCode).toBe(202);
  expect(r.json()).toEqual({ status: 'ignored', reason: 'the issue names no postmortem action item' });
  const ping = await app.inject(github('{"zen":"Keep it logically awesome."}', { 'x-github-event': 'ping' }));
  expect(ping.json()).toEqual({ status: 'pong' });
  const push = await app.inject(github('{}', { 'x-github-event': 'push' }));
  expect([push.statusCode, push.json()]).toEqual([202, { status: 'ignored', reason: "a 'push' event closes nothing" }]);
  const bad = '{"action":"closed","issue":{"number":"forty-two"}}';
  const malformed = await app.inject(github(bad));
  expect([malformed.statusCode, malformed.json()]).toEqual([
    400,
    { error: 'not a GitHub issues event', field: 'body' },
  ]);
  expect(journal).toEqual([
    expect.objectContaining({ source: 'github', reason: 'not a GitHub issues event', body: bad }),
  ]);
  const noDelivery = github(githubClosed);
  delete (noDelivery.headers as Record<string, string>)['x-github-delivery'];
  expect((await app.inject(noDelivery)).json()).toEqual({
    error: 'X-GitHub-Delivery is required',
    field: 'x-github-delivery',
  });
  await app.close();
});

test('people act with a token; the body is checked strictly; the identity is the token’s', async () => {
  const { app, acted } = setup();
  const post = (payload: unknown, headers: Record<string, string> = operator) =>
    app.inject({ method: 'POST', url: `/v1/postmortems/${WF}/actions`, headers, payload: payload as object });
  expect((await post({ kind: 'complete' }, {})).statusCode).toBe(401);
  expect((await post({ kind: 'complete' }, { authorization: 'Bearer dev-viewer-token' })).statusCode).toBe(403);

  const ok = await post({
    kind: 'add-item',
    title: 'add a canary',
    owner: 'dave',
    dueAt: '2026-12-15T17:00:00Z',
    via: 'cli',
    requestId: 'r-1',
  });
  expect([ok.statusCode, ok.json()]).toEqual([200, { accepted: true, text: 'done', phase: 'open' }]);
  expect(acted).toEqual([
    {
      id: WF,
      action: { kind: 'add-item', title: 'add a canary', owner: 'dave', dueAt: '2026-12-15T17:00:00Z' },
      actor: 'alice',
      via: 'cli',
      requestId: 'r-1',
    },
  ]);
  const cases: Array<[unknown, string]> = [
    [{ kind: 'add-item', title: 'x', owner: 'dave', dueAt: 'next week' }, 'dueAt'],
    [{ kind: 'add-item', title: 'x', owner: 'dave' }, 'dueAt'],
    [{ kind: 'close-item', itemId: 'ai-1', actor: 'mallory' }, 'body'],
    [{ kind: 'close-item', itemId: '1' }, 'itemId'],
    [{ kind: 'publish' }, 'kind'],
    [{ kind: 'note', text: 'x', via: 'github' }, 'via'],
  ];
  for (const [body, field] of cases) {
    const r = await post(body);
    expect([r.statusCode, r.json().field]).toEqual([400, field]);
  }
  // The run's refusal: 409 with its reason.
  const refused = await post({ kind: 'close-item', itemId: 'ai-9' });
  expect([refused.statusCode, refused.json()]).toEqual([409, { error: 'ai-9 is already closed', field: 'kind' }]);
  expect(acted).toHaveLength(1);
  const missing = await app.inject({ method: 'GET', url: '/v1/postmortems/nope', headers: operator });
  expect([missing.statusCode, missing.json()]).toEqual([404, { error: "no postmortem 'nope'" }]);
  await app.close();
});

test('a tracker not configured: 404, nothing read', async () => {
  const { app } = setup();
  const bare = buildApp({
    runs: { ready: async () => true } as unknown as RunService,
    library: () => libraryOf(),
    tokens: config.tokens,
    registry: new Registry(),
  });
  postmortemRoutes(bare, { postmortems: {} as PostmortemService, role: requireRoleOf });
  const r = await bare.inject(github(githubClosed));
  expect([r.statusCode, r.json()]).toEqual([
    404,
    { error: 'github webhooks are not configured (tickets.webhooks.github)' },
  ]);
  await bare.close();
  await app.close();
});
