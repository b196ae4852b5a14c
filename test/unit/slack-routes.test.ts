/**
 * The Slack routes with a recorded run service (the run's own rules are proved end to end in
 * test/integration/slack-approval.test.ts): who a Slack user is comes from configuration only,
 * roles decide what they may press or command, a payload's response_url is followed only to
 * Slack, slash commands answer within Slack's 3 s, refusals are counted and audited.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { buildApp } from '../../src/api/app';
import type { AuditEntry } from '../../src/api/audit';
import { createSlackVerifier, slackSignature } from '../../src/api/slack-signature';
import { createJsonLines } from '../../src/platform/json-lines';
import { RunError } from '../../src/runs/errors';
import type { RunService } from '../../src/runs/service';
import { buttonValue } from '../../src/shared/slack-blocks';
import { startReceiver, type Receiver } from '../support/http-receiver';
import { libraryOf } from '../support/runbook-worker';
import { waitFor } from '../support/wait';

const SECRET = 'unit-slack-signing-secret';
let slack: Receiver;
beforeAll(async () => {
  slack = await startReceiver();
  slack.on('/response', () => ({ status: 200, body: 'ok' }));
});
afterAll(() => slack.close());
beforeEach(() => {
  slack.received.length = 0;
});

function appWith(runs: Partial<RunService>) {
  const registry = new Registry();
  const audit = createJsonLines<AuditEntry>(join(mkdtempSync(join(tmpdir(), 'slack-audit-')), 'audit.jsonl'));
  const app = buildApp({
    runs: runs as RunService,
    library: () => libraryOf(),
    tokens: [],
    registry,
    audit,
    slack: {
      verifier: createSlackVerifier(Buffer.from(SECRET)),
      users: {
        UBOB: { identity: 'bob', roles: ['approver'] },
        UVIC: { identity: 'vic', roles: ['viewer'] },
        UOPS: { identity: 'ops', roles: ['operator'] },
      },
      responseUrlOrigins: [slack.url],
    },
  });
  return { app, registry, audit };
}

function signed(raw: string) {
  const ts = String(Math.floor(Date.now() / 1000));
  return {
    'content-type': 'application/x-www-form-urlencoded',
    'x-slack-request-timestamp': ts,
    'x-slack-signature': slackSignature(SECRET, ts, raw),
  };
}
function clickBody(user: string, action: string, responseUrl = `${slack.url}/response`) {
  const payload = {
    type: 'block_actions',
    user: { id: user, username: 'claims-to-be-admin' },
    response_url: responseUrl,
    actions: [{ action_id: `runbook.${action}`, value: buttonValue('run-1', 'gate') }],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}
const responses = () =>
  slack.received.filter((r) => r.path === '/response').map((r) => JSON.parse(r.body) as Record<string, unknown>);

test('a click decides as the mapped identity (never the payload username), via slack', async () => {
  const decided: unknown[] = [];
  const { app, audit } = appWith({
    decide: async (id, d) => {
      decided.push([id, d]);
      return { stepId: d.stepId, accepted: true, outcome: 'approved' };
    },
  });
  const raw = clickBody('UBOB', 'approve');
  const res = await app.inject({ method: 'POST', url: '/v1/slack/interactions', headers: signed(raw), payload: raw });
  expect(res.statusCode).toBe(200);
  await waitFor('the response_url post', () => responses()[0]);
  expect(decided).toEqual([['run-1', { stepId: 'gate', decision: 'approve', actor: 'bob', via: 'slack' }]]);
  expect(responses()[0]).toEqual({ replace_original: true, text: 'Approved by bob (slack)' });
  const [entry] = await audit.newest(1);
  expect(entry).toMatchObject({
    identity: 'bob',
    channel: 'slack',
    action: 'POST /v1/slack/interactions',
    status: 200,
  });
});

test('unmapped users and missing roles are refused to the clicker alone, and counted', async () => {
  const decide = jest.fn();
  const { app, registry } = appWith({ decide, decideStep: decide });
  for (const [user, action] of [
    ['UNOBODY', 'approve'],
    ['UVIC', 'approve'],
    ['UBOB', 'retry'],
  ] as const) {
    const raw = clickBody(user, action);
    expect(
      (await app.inject({ method: 'POST', url: '/v1/slack/interactions', headers: signed(raw), payload: raw }))
        .statusCode,
    ).toBe(200);
  }
  await waitFor('three refusals', () => responses().length === 3);
  expect(decide).not.toHaveBeenCalled();
  expect(responses().map((r) => [r.response_type, r.text])).toEqual([
    ['ephemeral', 'You are not mapped to anyone in durable-runbooks (slack.users), so you cannot decide here.'],
    ['ephemeral', 'vic lacks the approver role.'],
    ['ephemeral', 'bob lacks the operator role.'],
  ]);
  const metrics = await registry.metrics();
  expect(metrics).toContain('slack_requests_refused_total{reason="unmapped"} 1');
  expect(metrics).toContain('slack_requests_refused_total{reason="forbidden"} 2');
});

test("a run's refusal is said to the clicker; a response_url outside Slack is never followed", async () => {
  const { app } = appWith({
    decide: async () => {
      throw new RunError('conflict', 'bob requested this run and cannot approve it');
    },
  });
  const raw = clickBody('UBOB', 'reject');
  await app.inject({ method: 'POST', url: '/v1/slack/interactions', headers: signed(raw), payload: raw });
  await waitFor('the refusal', () => responses()[0]);
  expect(responses()[0]).toEqual({
    response_type: 'ephemeral',
    replace_original: false,
    text: 'Not applied: bob requested this run and cannot approve it',
  });
  const elsewhere = await startReceiver();
  elsewhere.on('/steal', () => ({ status: 200, body: 'ok' }));
  const evil = clickBody('UBOB', 'reject', `${elsewhere.url}/steal`);
  await app.inject({ method: 'POST', url: '/v1/slack/interactions', headers: signed(evil), payload: evil });
  // The refused path does no I/O (the mock throws, the origin check returns): its microtasks are done by the next turn.
  await new Promise((r) => setImmediate(r));
  expect(elsewhere.received).toHaveLength(0);
  await elsewhere.close();
});

test('slash commands: status for any mapped user, start for operators, usage otherwise', async () => {
  const started: unknown[] = [];
  const { app } = appWith({
    get: async (id) => {
      if (id !== 'run-1') throw new RunError('not_found', `no run '${id}'`);
      return { workflowId: 'run-1', runId: 'r', status: 'RUNNING', startTime: '', url: '', run: null };
    },
    start: async (req) => {
      started.push(req);
      return { workflowId: 'restart-20261201-abc', runId: 'r', created: true } as never;
    },
  });
  const command = async (user: string, text: string) => {
    const raw = new URLSearchParams({
      command: '/runbook',
      text,
      user_id: user,
      response_url: `${slack.url}/response`,
    }).toString();
    const res = await app.inject({ method: 'POST', url: '/v1/slack/commands', headers: signed(raw), payload: raw });
    expect(res.statusCode).toBe(200);
    return res.json() as { response_type: string; text: string };
  };
  expect(await command('UVIC', 'status run-1')).toEqual({
    response_type: 'ephemeral',
    replace_original: false,
    text: 'run-1: running (no worker answered for its details)',
  });
  expect((await command('UVIC', 'status nope')).text).toBe("no run 'nope'");
  expect((await command('UVIC', 'start restart service=api')).text).toBe('vic lacks the operator role.');
  expect(await command('UOPS', 'start restart service=api replicas=3')).toEqual({
    response_type: 'in_channel',
    text: 'ops started restart: restart-20261201-abc',
  });
  expect(started).toEqual([
    {
      runbookId: 'restart',
      params: { service: 'api', replicas: '3' },
      dryRun: false,
      trigger: { source: 'slack', requestedBy: 'ops' },
    },
  ]);
  expect((await command('UOPS', 'start restart oops')).text).toBe('expected key=value, got "oops"');
  expect((await command('UVIC', 'incident sev1 checkout down')).text).toBe('vic lacks the operator role.');
  expect((await command('UOPS', 'incident sev1 checkout')).text).toBe(
    'usage: /runbook incident <severity> <service> <title...>',
  );
  expect((await command('UOPS', 'incident sev1 checkout payments failing')).response_type).toBe('in_channel');
  expect(started.at(-1)).toEqual({
    kind: 'incident',
    target: 'none',
    params: { severity: 'sev1', service: 'checkout', title: 'payments failing' },
    trigger: { source: 'slack', requestedBy: 'ops' },
  });
  expect((await command('UOPS', 'dance')).text).toBe(
    'usage: /runbook status <run id> | /runbook start <runbook> key=value ... | /runbook incident <severity> <service> <title...>',
  );
  expect((await command('UNOBODY', 'status run-1')).text).toBe(
    'You are not mapped to anyone in durable-runbooks (slack.users).',
  );
});

test('a stale or tampered command is 401 and runs nothing', async () => {
  const start = jest.fn();
  const { app } = appWith({ start });
  const raw = new URLSearchParams({ text: 'start restart', user_id: 'UOPS' }).toString();
  const headers = signed(raw);
  const tampered = raw.replace('restart', 'destroy');
  const res = await app.inject({ method: 'POST', url: '/v1/slack/commands', headers, payload: tampered });
  expect(res.statusCode).toBe(401);
  const old = String(Math.floor(Date.now() / 1000) - 600);
  const stale = await app.inject({
    method: 'POST',
    url: '/v1/slack/commands',
    headers: { ...headers, 'x-slack-request-timestamp': old, 'x-slack-signature': slackSignature(SECRET, old, raw) },
    payload: raw,
  });
  expect(stale.json()).toEqual({ error: 'not a request from Slack: stale', field: 'x-slack-signature' });
  expect(start).not.toHaveBeenCalled();
});
