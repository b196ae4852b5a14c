/**
 * Slack end to end, with a real worker, the real API and Temporal, and Slack played by a loopback
 * receiver that checks the exact Web API requests: a run with `announce` posts its message and
 * keeps it current; its approval request goes to the thread with buttons; a click signed with the
 * app's secret, as the Slack user mapped to an approver, decides it through the API's signed path;
 * the request loses its buttons (response_url and chat.update) and the run finishes. The same
 * click by the user mapped to the run's requester is refused, and said to them alone.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { slackSignature } from '../../src/api/slack-signature';
import { envVarFor } from '../../src/activities/secrets';
import type { RunStatus } from '../../src/shared/status';
import { startApiStack, TOKENS, type ApiStack } from '../support/api-stack';
import { startReceiver, type Receiver, type Received } from '../support/http-receiver';
import { libraryOf, runbookFromYaml } from '../support/runbook-worker';
import { connectTestEnv } from '../support/temporal';
import { waitFor } from '../support/wait';

const SECRET = 'slack-signing-secret-for-tests';
const BOT = 'xoxb-slack-approval-test-token';
let env: TestWorkflowEnvironment;
let slack: Receiver;
let stack: ApiStack;
let posted = 0;

beforeAll(async () => {
  [env, slack] = await Promise.all([connectTestEnv(), startReceiver()]);
  slack.on('/api/chat.postMessage', () => ({
    status: 200,
    body: { ok: true, channel: 'C0OPS', ts: `1700000000.${String(++posted).padStart(6, '0')}` },
  }));
  slack.on('/api/chat.update', (r) => ({
    status: 200,
    body: { ok: true, channel: 'C0OPS', ts: (JSON.parse(r.body) as { ts: string }).ts },
  }));
  slack.on('/response', () => ({ status: 200, body: 'ok' }));
  slack.on('/restart', () => ({ status: 200, body: { restarted: true } }));
  const runbook = runbookFromYaml(`
id: slack-gated
title: Slack gated restart
announce: { target: ops-slack }
steps:
  - id: approve
    approval: { message: "Restart checkout?" }
  - id: restart
    action: http:request:send
    with: { method: POST, url: "${slack.url}/restart", body: { service: checkout } }
`);
  stack = await startApiStack(env, libraryOf(runbook), {
    worker: {
      notifyTargets: {
        'ops-slack': { kind: 'slack', tokenSecret: 'slack-bot', channel: 'C0OPS', baseUrl: `${slack.url}/api` },
      },
      env: { [envVarFor('slack-bot')]: BOT },
      secretBindings: { 'slack-bot': [slack.url] },
    },
    slack: {
      signingSecret: Buffer.from(SECRET),
      users: {
        UBOB: { identity: 'bob', roles: ['approver'] },
        UALICE: { identity: 'alice', roles: ['operator', 'approver'] },
      },
      responseUrlOrigins: [slack.url],
    },
  });
}, 60_000);
afterAll(async () => {
  await stack?.close();
  await slack?.close();
  await env?.teardown();
});

const bodies = (path: string): Array<Record<string, unknown>> =>
  slack.received.filter((r: Received) => r.path === path).map((r) => JSON.parse(r.body) as Record<string, unknown>);

/** A click as Slack sends it: form-encoded `payload`, signed over the raw body. */
function click(user: string, action: string, value: string, blocks: unknown[]): Promise<Response> {
  const payload = {
    type: 'block_actions',
    user: { id: user, username: user.toLowerCase() },
    team: { id: 'T0TEAM' },
    response_url: `${slack.url}/response`,
    message: { ts: '1700000000.000002', blocks },
    actions: [{ type: 'button', action_id: action, block_id: 'approval', value, action_ts: '1700000001.0001' }],
  };
  const raw = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  const ts = String(Math.floor(Date.now() / 1000));
  return fetch(`${stack.url}/v1/slack/interactions`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': ts,
      'x-slack-signature': slackSignature(SECRET, ts, raw),
    },
    body: raw,
  });
}

async function status(id: string): Promise<RunStatus> {
  const r = await fetch(`${stack.url}/v1/runs/${id}`, { headers: { authorization: `Bearer ${TOKENS.viewer}` } });
  return ((await r.json()) as { run: RunStatus }).run;
}

test('a run posts to Slack; the requester cannot approve by button; the mapped approver can; the message updates', async () => {
  const start = await fetch(`${stack.url}/v1/runs`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKENS.alice}`, 'content-type': 'application/json' },
    body: JSON.stringify({ runbook: 'slack-gated', params: {} }),
  });
  const { workflowId } = (await start.json()) as { workflowId: string };

  // The run's card, then its approval request in the card's thread with both buttons.
  const request = await waitFor('the approval request in the thread', () =>
    bodies('/api/chat.postMessage').find((b) => b.thread_ts !== undefined),
  );
  const card = bodies('/api/chat.postMessage')[0]!;
  expect(card).toMatchObject({ channel: 'C0OPS', text: expect.stringContaining('Slack gated restart') });
  expect(slack.received[0]!.headers.authorization).toBe(`Bearer ${BOT}`);
  expect(request.thread_ts).toBe('1700000000.000001');
  const actions = (
    request.blocks as Array<{ type: string; elements?: Array<{ action_id: string; value: string }> }>
  ).find((b) => b.type === 'actions')!;
  expect(actions.elements!.map((e) => e.action_id)).toEqual(['runbook.approve', 'runbook.reject']);
  const value = actions.elements![0]!.value;
  expect(JSON.parse(value)).toEqual({
    w: workflowId,
    s: 'approve',
    o: (await status(workflowId)).pendingApprovals[0]!.requestedAt,
  });

  // Alice started the run: her click is answered 200 at once, refused by the run, told to her only.
  expect((await click('UALICE', 'runbook.approve', value, request.blocks as unknown[])).status).toBe(200);
  const refusal = await waitFor("the refusal on alice's response_url", () => bodies('/response')[0]);
  expect(refusal).toMatchObject({ response_type: 'ephemeral', replace_original: false });
  expect(String(refusal.text)).toMatch(/^Not applied: .*alice/);
  expect((await status(workflowId)).phase).toBe('waiting_approval');

  // Bob approves: the run goes on, the clicked message loses its buttons and says who decided.
  expect((await click('UBOB', 'runbook.approve', value, request.blocks as unknown[])).status).toBe(200);
  const replaced = await waitFor("the update on bob's response_url", () => bodies('/response')[1]);
  expect(replaced).toMatchObject({ replace_original: true, text: 'Approved by bob (slack)' });
  expect((replaced.blocks as Array<{ type: string }>).some((b) => b.type === 'actions')).toBe(false);
  await waitFor('the run to succeed', async () =>
    (await status(workflowId)).phase === 'succeeded' ? true : undefined,
  );
  const run = await status(workflowId);
  expect(run.decisions).toEqual([
    expect.objectContaining({ stepId: 'approve', decision: 'approve', actor: 'bob', via: 'slack' }),
  ]);

  // The run's own updates: the thread request settled, and the card's last state is succeeded.
  await waitFor('the thread request settled by the run', () =>
    bodies('/api/chat.update').find((b) => b.ts === request.ts || String(b.text).includes('Approved by bob')),
  );
  await waitFor(
    'the card updated to succeeded',
    () =>
      bodies('/api/chat.update')
        .filter((b) => b.ts === '1700000000.000001')
        .at(-1)
        ?.text?.toString()
        .includes('succeeded') || undefined,
  );
}, 60_000);

test('an unsigned or replayed click is refused with 401 and decides nothing', async () => {
  const raw = new URLSearchParams({ payload: JSON.stringify({ type: 'block_actions' }) }).toString();
  const unsigned = await fetch(`${stack.url}/v1/slack/interactions`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: raw,
  });
  expect(unsigned.status).toBe(401);
  expect(await unsigned.json()).toEqual({ error: 'not a request from Slack: unsigned', field: 'x-slack-signature' });
  const ts = String(Math.floor(Date.now() / 1000));
  const headers = {
    'content-type': 'application/x-www-form-urlencoded',
    'x-slack-request-timestamp': ts,
    'x-slack-signature': slackSignature(SECRET, ts, raw),
  };
  const first = await fetch(`${stack.url}/v1/slack/interactions`, { method: 'POST', headers, body: raw });
  expect(first.status).toBe(200);
  const again = await fetch(`${stack.url}/v1/slack/interactions`, { method: 'POST', headers, body: raw });
  expect(again.status).toBe(401);
  expect(await again.json()).toMatchObject({ error: 'not a request from Slack: replayed' });
});
