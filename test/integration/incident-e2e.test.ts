/**
 * An incident end to end with real parts (issue 12): a real worker and the real API over the
 * shared Temporal server, the configuration read from a file as an operator writes it, Slack's
 * Web API and a GitHub-compatible issues API played by loopback receivers that check the wire
 * format, and a "remediation" endpoint the route's runbook calls. An Alertmanager alert opens an
 * incident for its service; the on-call primary (bob) is paged on Slack with Acknowledge and
 * Escalate buttons; bob's signed click acknowledges it through the API's signed path; the route's
 * runbook runs as a child and remediates; the resolved alert resolves the incident, which
 * monitors and closes; its postmortem opens an issue holding the timeline; an action item gets
 * its own issue; the postmortem is completed (its issue closed) and a signed GitHub `issues`
 * webhook closes the item, which ends the follow-up. Every entry of the incident's timeline is
 * checked: what, who, whether a person did it, and the order where the order is determined.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { slackSignature } from '../../src/api/slack-signature';
import { loadConfig } from '../../src/config/load';
import type { IncidentRecord, TimelineEntry } from '../../src/shared/incident';
import type { IncidentStatus } from '../../src/shared/incident-messages';
import type { PostmortemState } from '../../src/shared/postmortem';
import { deliver } from '../support/alert-sender';
import { startApiStack, TOKENS, type ApiStack } from '../support/api-stack';
import { startReceiver, type Received, type Receiver } from '../support/http-receiver';
import { libraryOf, runbookFromYaml } from '../support/runbook-worker';
import { SUITE_SECRETS } from '../support/suite-secrets';
import { connectTestEnv } from '../support/temporal';
import { waitFor } from '../support/wait';

const SLACK_SECRET = 'incident-e2e-slack-signing-secret';
// Secrets every test worker holds, so the suite's end scan looks for them in every history.
const SLACK_BOT = SUITE_SECRETS['slack-bot-token'];
const GITHUB_TOKEN = SUITE_SECRETS['github-issues-token'];
const GITHUB_HOOK_SECRET = 'incident-e2e-github-webhook-secret';
const REPO = 'acme/checkout';
// Its own service per run: the incident's workflow id is the service's, on a server other tests share.
const SERVICE = `checkout-${randomUUID().slice(0, 8)}`;
const INCIDENT_WF = `incident-${SERVICE}`;

let env: TestWorkflowEnvironment;
let slack: Receiver;
let github: Receiver;
let remediation: Receiver;
let stack: ApiStack;

/** The GitHub-compatible issues API: issues by number, as the receiver has them. */
interface Issue {
  number: number;
  title: string;
  body: string;
  labels: string[];
  state: 'open' | 'closed';
  state_reason: string | null;
  html_url: string;
}
const issues = new Map<number, Issue>();

function issueJson(i: Issue): Record<string, unknown> {
  return { ...i, labels: i.labels.map((name, id) => ({ id, name })), user: { login: 'durable-runbooks[bot]' } };
}

function serveIssue(n: number): void {
  github.on(`/repos/${REPO}/issues/${n}`, (r) => {
    const issue = issues.get(n) as Issue;
    if (r.method === 'GET') return { status: 200, body: issueJson(issue) };
    if (r.method === 'PATCH') {
      const b = JSON.parse(r.body) as { state?: 'closed'; state_reason?: string };
      if (b.state) issue.state = b.state;
      issue.state_reason = b.state_reason ?? null;
      return { status: 200, body: issueJson(issue) };
    }
    return { status: 404, body: { message: 'Not Found' } };
  });
}

function startGithub(r: Receiver): void {
  r.on(`/repos/${REPO}/issues`, (req) => {
    if (req.method === 'GET') {
      const q = new URL(req.path, r.url).searchParams;
      const label = q.get('labels');
      const list = [...issues.values()]
        .filter((i) => !label || i.labels.includes(label))
        .sort((a, b) => b.number - a.number)
        .map(issueJson);
      return { status: 200, body: list };
    }
    if (req.method === 'POST') {
      const b = JSON.parse(req.body) as { title: string; body: string; labels: string[] };
      const number = issues.size + 1;
      const issue: Issue = {
        number,
        title: b.title,
        body: b.body,
        labels: b.labels,
        state: 'open',
        state_reason: null,
        html_url: `https://github.example/${REPO}/issues/${number}`,
      };
      issues.set(number, issue);
      serveIssue(number);
      return { status: 201, body: issueJson(issue), headers: { location: `${r.url}/repos/${REPO}/issues/${number}` } };
    }
    return { status: 404, body: { message: 'Not Found' } };
  });
}

let posted = 0;

beforeAll(async () => {
  [env, slack, github, remediation] = await Promise.all([
    connectTestEnv(),
    startReceiver(),
    startReceiver(),
    startReceiver(),
  ]);
  slack.on('/api/chat.postMessage', () => ({
    status: 200,
    body: { ok: true, channel: 'C0PAGE', ts: `1700000100.${String(++posted).padStart(6, '0')}` },
  }));
  slack.on('/response', () => ({ status: 200, body: 'ok' }));
  startGithub(github);
  remediation.on('/restart', () => ({ status: 202, body: { restarted: true } }));

  // The configuration as an operator writes it, read by the real loader.
  const dir = mkdtempSync(join(tmpdir(), 'incident-e2e-'));
  const file = join(dir, 'runbooks.yaml');
  writeFileSync(
    file,
    `
notify:
  targets:
    oncall-slack: { kind: slack, tokenSecret: slack-bot-token, channel: C0PAGE, baseUrl: "${slack.url}/api" }
tickets:
  targets:
    postmortems: { kind: github, repo: ${REPO}, tokenSecret: github-issues-token, baseUrl: "${github.url}" }
  webhooks:
    github: { secretEnv: E2E_GITHUB_WEBHOOK_SECRET }
secrets:
  slack-bot-token: { sendTo: ["${slack.url}"] }
  github-issues-token: { sendTo: ["${github.url}"] }
oncall:
  rotations:
    - { name: checkout, start: "2026-01-05T00:00:00Z", turn: 1w, primary: [bob], secondary: [erin] }
incidents:
  channels:
    page: [oncall-slack]
    postmortem: postmortems
  monitor: 2s
slack:
  signingSecret: { secretEnv: E2E_SLACK_SIGNING_SECRET }
  users:
    UBOB: { identity: bob, roles: [operator] }
  responseUrlOrigins: ["${slack.url}"]
alerts:
  routes:
    - id: checkout-down
      kind: incident
      match: { source: [alertmanager], labels: { alertname: CheckoutDown } }
      runbook: restart-checkout
      params:
        service: "\${{ alert.labels.service }}"
        severity: "\${{ alert.labels.severity }}"
        title: "\${{ alert.annotations.summary }}"
      owner: alert-router
`,
  );
  const config = loadConfig(
    {
      RUNBOOKS_CONFIG: file,
      E2E_GITHUB_WEBHOOK_SECRET: GITHUB_HOOK_SECRET,
      E2E_SLACK_SIGNING_SECRET: SLACK_SECRET,
    },
    process.cwd(),
  );
  const runbook = runbookFromYaml(`
id: restart-checkout
title: Restart checkout
service: \${{ params.service }}
params:
  service: { type: string }
steps:
  - id: restart
    action: http:request:send
    with: { method: POST, url: "${remediation.url}/restart", body: { service: "\${{ params.service }}" } }
`);
  stack = await startApiStack(env, libraryOf(runbook), {
    config: {
      incidents: config.incidents,
      incidentSetup: config.incidentSetup,
      notifyTargets: config.notifyTargets,
      ticketTargets: config.ticketTargets,
      ticketWebhooks: config.ticketWebhooks,
      oncall: config.oncall,
      secretBindings: config.secretBindings,
    },
    slack: config.slack,
    alerts: { routes: config.alerts.routes },
  });
}, 60_000);

afterAll(async () => {
  await stack?.close();
  await Promise.all([slack?.close(), github?.close(), remediation?.close()]);
  await env?.teardown();
});

async function api<T>(
  method: string,
  path: string,
  token: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const res = await fetch(`${stack.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

/** The incident as the API shows it. */
async function incident(): Promise<{ status: string; incident: IncidentStatus | null }> {
  const r = await api<{ status: string; incident: IncidentStatus | null }>(
    'GET',
    `/v1/incidents/${INCIDENT_WF}`,
    TOKENS.viewer,
  );
  if (r.status !== 200) throw new Error(`GET incident answered ${r.status}`);
  return r.body;
}

const timelineHas = (pred: (e: TimelineEntry) => boolean) => async () =>
  (await incident()).incident?.record.timeline.find(pred);

/** An Alertmanager notification (payload version 4) of one alert. */
function alertmanager(status: 'firing' | 'resolved', startsAt: string): Record<string, unknown> {
  const labels = { alertname: 'CheckoutDown', service: SERVICE, severity: 'critical' };
  return {
    version: '4',
    groupKey: '{}:{alertname="CheckoutDown"}',
    truncatedAlerts: 0,
    status,
    receiver: 'runbooks',
    groupLabels: { alertname: 'CheckoutDown' },
    commonLabels: labels,
    commonAnnotations: {},
    externalURL: 'http://alertmanager.example:9093',
    alerts: [
      {
        status,
        labels,
        annotations: { summary: `${SERVICE} answers 5xx` },
        startsAt,
        endsAt: status === 'resolved' ? new Date().toISOString() : '0001-01-01T00:00:00Z',
        generatorURL: 'http://prometheus.example:9090/graph?g0.expr=checkout_5xx',
        fingerprint: `fp-${SERVICE}`,
      },
    ],
  };
}

/** A click as Slack sends it: form-encoded `payload`, signed over the raw body with the app's secret. */
function click(user: string, action: { action_id: string; value: string; block_id?: string }, blocks: unknown[]) {
  const payload = {
    type: 'block_actions',
    user: { id: user, username: user.toLowerCase() },
    team: { id: 'T0TEAM' },
    response_url: `${slack.url}/response`,
    message: { ts: '1700000100.000001', blocks },
    actions: [{ type: 'button', ...action, action_ts: '1700000101.0001' }],
  };
  const raw = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  const ts = String(Math.floor(Date.now() / 1000));
  return fetch(`${stack.url}/v1/slack/interactions`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': ts,
      'x-slack-signature': slackSignature(SLACK_SECRET, ts, raw),
    },
    body: raw,
  });
}

/** An `issues` delivery as GitHub sends it, signed over the raw body with the webhook's secret. */
function githubIssuesEvent(action: string, issue: Issue, deliveryId: string) {
  const raw = JSON.stringify({
    action,
    issue: {
      ...issueJson(issue),
      url: `https://api.github.example/repos/${REPO}/issues/${issue.number}`,
      id: 9_000_000 + issue.number,
      locked: false,
      comments: 0,
      created_at: '2026-12-01T10:00:00Z',
      updated_at: new Date().toISOString(),
      closed_at: issue.state === 'closed' ? new Date().toISOString() : null,
      author_association: 'NONE',
    },
    repository: { id: 99, name: 'checkout', full_name: REPO, private: true, owner: { login: 'acme' } },
    sender: { login: 'dave', id: 5, type: 'User' },
  });
  return fetch(`${stack.url}/v1/webhooks/github`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'user-agent': 'GitHub-Hookshot/e2e',
      'x-github-event': 'issues',
      'x-github-delivery': deliveryId,
      'x-github-hook-id': '4242',
      'x-hub-signature-256': `sha256=${createHmac('sha256', GITHUB_HOOK_SECRET).update(raw).digest('hex')}`,
    },
    body: raw,
  });
}

const bodiesTo = (r: Receiver, path: string, method = 'POST'): Received[] =>
  r.received.filter((x) => x.path.split('?')[0] === path && x.method === method);

/** GitHub's REST conventions, on every request the ticket actions made. */
function expectGithubWire(r: Received): void {
  expect(r.headers.authorization).toBe(`Bearer ${GITHUB_TOKEN}`);
  expect(r.headers.accept).toBe('application/vnd.github+json');
  expect(r.headers['x-github-api-version']).toBe('2022-11-28');
  expect(r.headers['user-agent']).toBe('durable-runbooks');
  if (r.method === 'POST' || r.method === 'PATCH') {
    expect(r.headers['content-type']).toBe('application/json');
    expect(() => JSON.parse(r.body) as unknown).not.toThrow();
  }
}

test('an alert opens an incident; Slack acknowledges; a runbook remediates; it resolves, closes, and its postmortem follows up to the end', async () => {
  const startsAt = new Date(Date.now() - 60_000).toISOString();

  // 1. Alertmanager's firing alert opens the service's incident.
  const fired = await deliver(
    `${stack.url}/v1/alerts/alertmanager`,
    TOKENS.alertmanager,
    alertmanager('firing', startsAt),
  );
  expect(fired.status).toBe(200);
  expect(JSON.parse(fired.body)).toMatchObject({
    results: [{ outcome: 'accepted', route: 'checkout-down', workflowId: INCIDENT_WF }],
  });
  const listed = await waitFor('the incident listed as open', async () => {
    const r = await api<{ incidents: Array<{ workflowId: string; incidentId?: string; status: string }> }>(
      'GET',
      `/v1/incidents?service=${SERVICE}`,
      TOKENS.viewer,
    );
    return r.body.incidents.find((i) => i.workflowId === INCIDENT_WF && i.incidentId && i.status === 'RUNNING');
  });
  const incidentId = listed.incidentId as string;
  expect(incidentId).toMatch(/^INC-\d{8}-\d{6}-[0-9a-f]{4}$/);

  // 2. The primary on call (bob) is paged on Slack, with the buttons, in Slack's wire format.
  const page = await waitFor('the page on Slack', () => bodiesTo(slack, '/api/chat.postMessage')[0]);
  expect(page.headers.authorization).toBe(`Bearer ${SLACK_BOT}`);
  expect(page.headers['content-type']).toBe('application/json; charset=utf-8');
  const message = JSON.parse(page.body) as {
    channel: string;
    text: string;
    blocks: Array<{ type: string; block_id?: string; elements?: Array<Record<string, unknown>> }>;
    unfurl_links: boolean;
    unfurl_media: boolean;
    metadata: unknown;
    token?: unknown;
  };
  expect(message).toMatchObject({ channel: 'C0PAGE', unfurl_links: false, unfurl_media: false });
  expect(message.token).toBeUndefined();
  expect(message.text).toContain(`[sev1] ${SERVICE} answers 5xx (${incidentId}): paging primary bob (opened)`);
  expect(message.blocks.map((b) => b.type)).toEqual(['section', 'actions', 'context']);
  expect(JSON.stringify(message.blocks[2])).toContain(
    `http://ui.test/workflows/${INCIDENT_WF}|Open the run in Temporal`,
  );
  // Its key rides in the metadata: a retried post finds the message instead of paging twice.
  expect(message.metadata).toEqual({
    event_type: 'durable_runbooks_message',
    event_payload: { key: expect.stringMatching(new RegExp(`^${INCIDENT_WF}/INC-.*\\.page-1$`)) },
  });
  const buttons = message.blocks[1]?.elements ?? [];
  expect(buttons.map((b) => [b.type, b.action_id, b.style])).toEqual([
    ['button', 'runbook.ack', 'primary'],
    ['button', 'runbook.escalate', 'danger'],
  ]);
  const value = String(buttons[0]?.value);
  expect(JSON.parse(value)).toMatchObject({ w: INCIDENT_WF });
  // The incident has recorded the page before anyone answers it.
  await waitFor(
    'the page on the timeline',
    timelineHas((e) => e.kind === 'page'),
  );

  // 3. Bob clicks Acknowledge: a signed Slack request, bob because the configuration maps UBOB to him.
  const clicked = await click(
    'UBOB',
    { action_id: 'runbook.ack', value, block_id: String(message.blocks[1]?.block_id) },
    message.blocks,
  );
  expect(clicked.status).toBe(200);
  const answered = await waitFor("the outcome on bob's response_url", () => bodiesTo(slack, '/response')[0]);
  const reply = JSON.parse(answered.body) as {
    replace_original: boolean;
    text: string;
    blocks: Array<{ type: string }>;
  };
  expect(reply).toMatchObject({ replace_original: true, text: `${incidentId}: acknowledged by bob (slack)` });
  // The message keeps its text and link, loses its buttons, and says who acknowledged.
  expect(reply.blocks.map((b) => b.type)).toEqual(['section', 'context', 'context']);
  const acked = await waitFor('the incident acknowledged', async () => {
    const s = (await incident()).incident;
    return s?.record.state === 'acknowledged' && s;
  });
  expect(acked.record).toMatchObject({ roles: { commander: 'bob' }, acknowledgedAt: expect.any(String) });

  // 4. The route's runbook ran as the incident's child and remediated (its request reached the service).
  const child = await waitFor('the remediation to succeed', async () =>
    (await incident()).incident?.children.find((c) => c.state === 'succeeded'),
  );
  expect(child).toMatchObject({
    workflowId: `${incidentId}-restart-checkout-1`,
    runbookId: 'restart-checkout',
    startedBy: 'alert-router',
  });
  const restarts = bodiesTo(remediation, '/restart');
  expect(restarts).toHaveLength(1);
  expect(JSON.parse(restarts[0]!.body)).toEqual({ service: SERVICE });

  // 5. The alert resolves: so does the incident; it monitors (2 s), then closes.
  const resolved = await deliver(
    `${stack.url}/v1/alerts/alertmanager`,
    TOKENS.alertmanager,
    alertmanager('resolved', startsAt),
  );
  expect(JSON.parse(resolved.body)).toMatchObject({ results: [{ outcome: 'accepted', workflowId: INCIDENT_WF }] });
  const record = (await env.client.workflow.getHandle(INCIDENT_WF).result()) as IncidentRecord;
  const described = await env.client.workflow.getHandle(INCIDENT_WF).describe();
  expect(described.status.name).toBe('COMPLETED');
  expect(record).toMatchObject({
    id: incidentId,
    title: `${SERVICE} answers 5xx`,
    service: SERVICE,
    severity: 'sev1',
    state: 'closed',
    detectedAt: startsAt,
    roles: { commander: 'bob' },
    dropped: 0,
  });
  for (const k of ['openedAt', 'acknowledgedAt', 'resolvedAt', 'closedAt', 'firstAutomatedAt'] as const)
    expect(Date.parse(record[k] as string)).not.toBeNaN();
  // It monitored for its window before closing.
  expect(Date.parse(record.closedAt as string) - Date.parse(record.resolvedAt as string)).toBeGreaterThanOrEqual(2000);
  // The API still shows the closed incident by its id, with seed 004's accounting.
  const shown = await api<{ status: string; incident: IncidentStatus | null }>(
    'GET',
    `/v1/incidents/${incidentId}`,
    TOKENS.viewer,
  );
  expect(shown.status).toBe(200);
  expect(shown.body).toMatchObject({ status: 'COMPLETED', incident: { record: { id: incidentId, state: 'closed' } } });
  const acc = shown.body.incident?.accounting;
  expect(acc?.mttdMs).toBeGreaterThanOrEqual(60_000); // the alert started a minute before it was sent
  expect(acc?.mttaMs).toBeGreaterThan(0);
  expect(acc?.mttrMs).toBeGreaterThanOrEqual(acc?.mttaMs ?? Infinity);
  expect(acc?.remediatedWithoutHuman).toBe(false); // bob acknowledged

  // Every entry of the timeline: what, who, and whether a person did it.
  const postmortemWf = `postmortem-${incidentId}`;
  const childWf = `${incidentId}-restart-checkout-1`;
  const expected: Array<Pick<TimelineEntry, 'kind' | 'by' | 'text' | 'human'>> = [
    {
      kind: 'opened',
      by: 'alert-router',
      text: 'opened (alert: alertmanager alert CheckoutDown (route checkout-down))',
      human: false,
    },
    { kind: 'alert', by: 'checkout-down', text: 'CheckoutDown firing (critical)', human: false },
    { kind: 'runbook', by: 'alert-router', text: `runbook restart-checkout started (${childWf})`, human: false },
    { kind: 'page', by: 'system', text: 'paged primary bob: opened via oncall-slack', human: false },
    { kind: 'step', by: 'restart-checkout', text: 'restart: succeeded', human: false },
    { kind: 'runbook', by: 'system', text: 'runbook restart-checkout succeeded', human: false },
    { kind: 'acknowledged', by: 'bob', text: 'acknowledged by bob (slack)', human: true },
    { kind: 'alert', by: 'checkout-down', text: 'CheckoutDown resolved (critical)', human: false },
    { kind: 'resolved', by: 'system', text: 'every alert has resolved', human: false },
    { kind: 'note', by: 'system', text: `postmortem ${postmortemWf} opened`, human: false },
    { kind: 'closed', by: 'system', text: 'closed after 2s of monitoring', human: false },
  ];
  const got = record.timeline.map(({ kind, by, text, human }) => ({ kind, by, text, human }));
  const key = (e: (typeof expected)[number]) => JSON.stringify(e);
  expect([...got].map(key).sort()).toEqual([...expected].map(key).sort());
  // The order: fixed where causes precede effects; the page and the remediation run side by side.
  const at = (e: (typeof expected)[number]) => got.findIndex((g) => key(g) === key(e));
  const [opened, firing, started, paged, step, succeeded, ack, alertResolved, resolvedE, note, closed] =
    expected.map(at);
  expect([opened, firing]).toEqual([0, 1]);
  expect(started).toBeLessThan(step as number);
  expect(step).toBeLessThan(succeeded as number);
  expect(paged).toBeLessThan(ack as number);
  // The test resolved the alert after the acknowledgement and the remediation.
  expect(Math.max(ack as number, succeeded as number)).toBeLessThan(alertResolved as number);
  expect([alertResolved, resolvedE, note, closed]).toEqual([7, 8, 9, 10]);
  // Times never go backwards.
  const times = record.timeline.map((e) => Date.parse(e.at));
  expect(times).toEqual([...times].sort((a, b) => a - b));

  // 6. The postmortem's issue, on the GitHub-compatible receiver, holds the timeline.
  const doc = await waitFor('the postmortem issue', () => [...issues.values()].find((i) => i.number === 1));
  expect(doc.title).toBe(`Postmortem: ${SERVICE} answers 5xx (${incidentId})`);
  expect(doc.labels).toEqual(['postmortem', 'sev1']);
  for (const e of expected.slice(0, 9)) expect(doc.body).toContain(`| ${e.kind} | ${e.by} | ${e.text} |`);
  expect(doc.body).toContain('## Root causes');
  expect(doc.body).toContain(`<!-- durable-runbooks:key=${postmortemWf}/postmortem-ticket -->`);
  // It looked for the issue first (nothing there), then opened it, in GitHub's wire format.
  const [search, open] = github.received.slice(0, 2);
  expect(search).toMatchObject({ method: 'GET' });
  expect(Object.fromEntries(new URL(search!.path, github.url).searchParams)).toEqual({
    state: 'all',
    labels: 'postmortem',
    per_page: '50',
    sort: 'created',
    direction: 'desc',
  });
  expect(open).toMatchObject({ method: 'POST', path: `/repos/${REPO}/issues` });
  expect(Object.keys(JSON.parse(open!.body) as object).sort()).toEqual(['body', 'labels', 'title']);

  const pm = await waitFor('the postmortem to show its issue', async () => {
    const r = await api<{ status: string; postmortem: PostmortemState | null }>(
      'GET',
      `/v1/postmortems/${postmortemWf}`,
      TOKENS.viewer,
    );
    return r.body.postmortem?.document.ticket && r.body;
  });
  expect(pm.status).toBe('RUNNING');
  expect(pm.postmortem).toMatchObject({
    incidentId,
    owner: 'bob',
    severity: 'sev1',
    document: { ticket: { target: 'postmortems', kind: 'github', id: '1', url: doc.html_url } },
  });

  // 7. An action item: its own issue, carrying the marker the webhook will name it by.
  const added = await api<{ accepted: boolean; itemId: string }>(
    'POST',
    `/v1/postmortems/${postmortemWf}/actions`,
    TOKENS.alice,
    {
      kind: 'add-item',
      title: 'alert on checkout 5xx before customers do',
      owner: 'dave',
      dueAt: '2026-12-15T17:00:00Z',
    },
  );
  expect(added.status).toBe(200);
  expect(added.body).toMatchObject({ accepted: true, itemId: 'ai-1' });
  const itemIssue = await waitFor('the action item issue', () => issues.get(2));
  expect(itemIssue.title).toBe(`alert on checkout 5xx before customers do (${incidentId} ai-1)`);
  expect(itemIssue.labels).toEqual(['postmortem', 'action-item']);
  expect(itemIssue.body).toContain(`<!-- durable-runbooks:postmortem-item=ai-1 workflow=${postmortemWf} -->`);
  expect(itemIssue.body).toContain(`Postmortem: ${doc.html_url}`);

  // 8. The postmortem is complete: its issue is closed on the tracker; the item still holds it open.
  const completed = await api('POST', `/v1/postmortems/${postmortemWf}/actions`, TOKENS.alice, {
    kind: 'complete',
    url: 'https://wiki.example.com/postmortems/checkout',
  });
  expect(completed.status).toBe(200);
  await waitFor('the postmortem issue closed', () => issues.get(1)?.state === 'closed');
  expect(issues.get(1)?.state_reason).toBe('completed');
  expect((await env.client.workflow.getHandle(postmortemWf).describe()).status.name).toBe('RUNNING');

  // 9. Someone closes the item's issue on GitHub; GitHub's signed `issues` webhook closes the item.
  itemIssue.state = 'closed';
  itemIssue.state_reason = 'completed';
  const delivery = randomUUID();
  const hook = await githubIssuesEvent('closed', itemIssue, delivery);
  expect(hook.status).toBe(200);
  expect(await hook.json()).toMatchObject({ status: 'closed', workflowId: postmortemWf, itemId: 'ai-1' });
  const final = (await env.client.workflow.getHandle(postmortemWf).result()) as PostmortemState;
  expect((await env.client.workflow.getHandle(postmortemWf).describe()).status.name).toBe('COMPLETED');
  expect(final).toMatchObject({
    phase: 'done',
    completed: { by: 'alice', url: 'https://wiki.example.com/postmortems/checkout' },
    document: { ticketClosed: true },
    items: [
      {
        id: 'ai-1',
        state: 'closed',
        closedBy: 'github-webhook',
        closedVia: 'github',
        ticket: { target: 'postmortems', kind: 'github', id: '2' },
        ticketClosed: true,
      },
    ],
    deliveriesTaken: 1,
  });
  // The same delivery again (a manual redelivery): the follow-up has ended, so it changes nothing.
  const again = await githubIssuesEvent('closed', itemIssue, delivery);
  expect(again.status).toBe(202);
  expect(await again.json()).toMatchObject({ status: 'ignored', reason: expect.stringContaining('ended (COMPLETED)') });

  // Every request to GitHub in its wire format; the item's issue was closed by a person, not patched.
  for (const r of github.received) expectGithubWire(r);
  expect(bodiesTo(github, `/repos/${REPO}/issues/1`, 'PATCH').map((r) => JSON.parse(r.body) as unknown)).toEqual([
    { state: 'closed', state_reason: 'completed' },
  ]);
  expect(bodiesTo(github, `/repos/${REPO}/issues/2`, 'PATCH')).toEqual([]);
  // One page, and nothing else on Slack (no triage reminder: bob took command).
  expect(bodiesTo(slack, '/api/chat.postMessage')).toHaveLength(1);
}, 90_000);
