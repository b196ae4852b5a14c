/** The HTTP API against a real Temporal and a real worker, over a real socket. */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Registry } from 'prom-client';
import { Client, Connection } from '@temporalio/client';
import { buildApp } from '../../src/api/app';
import { createRunService } from '../../src/runs/service';
import { startApiStack, TOKENS, type ApiStack } from '../support/api-stack';
import { startReceiver, type Receiver } from '../support/http-receiver';
import { libraryOf, runbookFromYaml } from '../support/runbook-worker';
import { connectTestEnv } from '../support/temporal';
import { waitFor } from '../support/wait';
import {
  acquireLockSignal,
  CONTROL_WORKFLOW,
  controlWorkflowId,
  LOCK_WORKFLOW,
  lockWorkflowId,
  releaseLockSignal,
} from '../../src/shared/coordination';

let env: TestWorkflowEnvironment;
let stack: ApiStack;
let target: Receiver;

async function api(
  method: string,
  path: string,
  o: { token?: string; body?: unknown; raw?: string } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${stack.url}${path}`, {
    method,
    headers: {
      ...(o.token ? { authorization: `Bearer ${o.token}` } : {}),
      ...(o.body !== undefined || o.raw !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(o.raw !== undefined ? { body: o.raw } : o.body !== undefined ? { body: JSON.stringify(o.body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text.startsWith('{') ? (JSON.parse(text) as Record<string, unknown>) : { text } };
}

/** Polls the run until its phase is reached (and, for a final phase, the execution has closed). */
async function waitForPhase(id: string, phase: string, executionStatus?: string): Promise<Record<string, unknown>> {
  let last: Record<string, unknown> | undefined;
  return waitFor(
    `run ${id} in phase ${phase}${executionStatus ? ` with execution ${executionStatus}` : ''}`,
    async () => {
      last = (await api('GET', `/v1/runs/${id}`, { token: TOKENS.viewer })).body;
      const run = last.run as { phase?: string } | null;
      return run?.phase === phase && (!executionStatus || last.status === executionStatus) && last;
    },
    { detail: () => `last answer: ${JSON.stringify(last)?.slice(0, 1000)}` },
  );
}

beforeAll(async () => {
  env = await connectTestEnv();
  target = await startReceiver();
  target.on('/health', () => ({ status: 200, body: { ok: true } }));
  target.on('/restart', () => ({ status: 202, body: { restarted: true } }));
  const rb = runbookFromYaml(`
id: restart-service
title: Restart a service
service: \${{ params.service }}
severity: sev2
params:
  service: { type: string }
  replicas: { type: int, default: 2 }
steps:
  - id: probe
    action: http:endpoint:check
    with: { url: "${target.url}/health" }
  - id: approve
    approval: { message: "Restart \${{ params.service }}?" }
  - id: restart
    action: http:request:send
    with: { method: POST, url: "${target.url}/restart", body: { service: "\${{ params.service }}", replicas: "\${{ params.replicas }}" } }
`);
  const rebind = runbookFromYaml(`
id: rebind
title: Rebind
steps:
  - id: gate
    approval: { message: "delete a pod?" }
  - id: pods
    action: http:endpoint:check
    with: { url: "${target.url}/health" }
  - id: delete
    action: http:request:send
    with: { method: POST, url: "${target.url}/restart", body: { status: "\${{ steps.pods.output.status }}" } }
`);
  // Only on-call (config/dev.yaml: bob, admin) may start it as an emergency.
  const urgent = runbookFromYaml(`
id: urgent
title: Urgent
emergency:
  requesters: [group:oncall]
steps:
  - id: gate
    approval: { message: go?, required: 2, emergency: { retroactiveWithin: 1h } }
  - id: restart
    action: http:request:send
    with: { method: POST, url: "${target.url}/restart", body: { service: urgent } }
`);
  // A gate whose deadline lets the run go on, then one that keeps it open.
  const late = runbookFromYaml(`
id: late
title: Late
steps:
  - id: first
    approval: { message: first?, onTimeout: continue }
    timeout: 1s
  - id: second
    approval: { message: second? }
`);
  const deadline = runbookFromYaml(`
id: deadline
title: Deadline
steps:
  - id: gate
    approval: { message: go? }
    timeout: 1s
`);
  stack = await startApiStack(env, libraryOf(rb, rebind, urgent, late, deadline));
});

afterAll(async () => {
  await stack?.close();
  await target?.close();
  await env?.teardown();
});

test('health, readiness and metrics need no token; metrics pass promtool', async () => {
  expect(await api('GET', '/healthz')).toEqual({ status: 200, body: { status: 'ok' } });
  expect(await api('GET', '/readyz')).toEqual({ status: 200, body: { status: 'ready' } });
  const m = await fetch(`${stack.url}/metrics`);
  expect(m.status).toBe(200);
  const text = await m.text();
  expect(text).toContain('runbook_api_request_duration_seconds');
  expect(text).toContain('runbook_runs_in_progress');
});

test('auth: no token 401, wrong role 403, identity from the token', async () => {
  expect(await api('GET', '/v1/runbooks')).toMatchObject({ status: 401, body: { field: 'authorization' } });
  expect(await api('GET', '/v1/runbooks', { token: 'nope-nope-nope' })).toMatchObject({ status: 401 });
  expect(
    await api('POST', '/v1/runs', {
      token: TOKENS.viewer,
      body: { runbook: 'restart-service', params: { service: 'x' } },
    }),
  ).toMatchObject({
    status: 403,
    body: { error: 'viewer lacks the operator role' },
  });
});

test('runbooks: list, show, plan; unknown 404; bad params 400 naming the field', async () => {
  const list = await api('GET', '/v1/runbooks', { token: TOKENS.viewer });
  expect(list.status).toBe(200);
  expect((list.body.runbooks as Array<{ id: string }>).map((r) => r.id)).toEqual([
    'restart-service',
    'rebind',
    'urgent',
    'late',
    'deadline',
  ]);
  expect((await api('GET', '/v1/runbooks/restart-service', { token: TOKENS.viewer })).body).toMatchObject({
    id: 'restart-service',
    steps: expect.any(Array),
  });
  expect(await api('GET', '/v1/runbooks/nope', { token: TOKENS.viewer })).toMatchObject({
    status: 404,
    body: { field: 'id' },
  });

  const plan = await api('POST', '/v1/runbooks/restart-service/plan', {
    token: TOKENS.viewer,
    body: { params: { service: 'api' } },
  });
  expect(plan.status).toBe(200);
  expect(plan.body).toMatchObject({
    mutatingSteps: ['restart'],
    steps: expect.arrayContaining([
      expect.objectContaining({
        id: 'restart',
        mutating: true,
        inputs: { method: 'POST', url: `${target.url}/restart`, body: { service: 'api', replicas: 2 } },
      }),
      expect.objectContaining({ id: 'approve', message: 'Restart api?' }),
    ]),
  });
  const again = await api('POST', '/v1/runbooks/restart-service/plan', {
    token: TOKENS.viewer,
    body: { params: { service: 'api' } },
  });
  expect(again.body.hash).toBe(plan.body.hash);
  expect(
    await api('POST', '/v1/runbooks/restart-service/plan', {
      token: TOKENS.viewer,
      body: { params: { service: 'api', replicas: 'two' } },
    }),
  ).toMatchObject({
    status: 400,
    body: { field: 'params.replicas' },
  });
});

test('bad input to POST /v1/runs answers 400 naming the field', async () => {
  const t = { token: TOKENS.alice };
  expect(await api('POST', '/v1/runs', { ...t, body: { params: {} } })).toMatchObject({
    status: 400,
    body: { field: 'runbook' },
  });
  expect(await api('POST', '/v1/runs', { ...t, body: { runbook: 'restart-service' } })).toMatchObject({
    status: 400,
    body: { field: 'params.service' },
  });
  expect(
    await api('POST', '/v1/runs', {
      ...t,
      body: { runbook: 'restart-service', params: { service: 'a' }, dryRun: 'yes' },
    }),
  ).toMatchObject({ status: 400, body: { field: 'dryRun' } });
  expect(
    await api('POST', '/v1/runs', {
      ...t,
      body: { runbook: 'restart-service', params: { service: 'a' }, actor: 'mallory' },
    }),
  ).toMatchObject({ status: 400, body: { field: 'body' } });
  expect(await api('POST', '/v1/runs', { ...t, raw: '{"runbook": ' })).toMatchObject({
    status: 400,
    body: { field: 'body' },
  });
  expect(await api('POST', '/v1/runs', { ...t, body: { runbook: 'nope', params: {} } })).toMatchObject({
    status: 404,
    body: { field: 'runbook' },
  });
  expect(await api('GET', '/v1/runs?phase=bad"value', { token: TOKENS.viewer })).toMatchObject({
    status: 400,
    body: { field: 'phase' },
  });
});

test('a run started over HTTP is approved by another person and finishes', async () => {
  const started = await api('POST', '/v1/runs', {
    token: TOKENS.alice,
    body: { runbook: 'restart-service', params: { service: 'payments' }, reason: 'api test' },
  });
  expect(started.status).toBe(201);
  const id = started.body.workflowId as string;
  expect(started.body.url).toBe(`http://localhost:8233/namespaces/default/workflows/${id}`);

  const waiting = await waitForPhase(id, 'waiting_approval');
  expect(waiting.run).toMatchObject({
    trigger: { source: 'api', requestedBy: 'alice', reason: 'api test' },
    params: { service: 'payments', replicas: 2 },
  });

  // Viewer cannot approve; a wrong step is refused with the reason; the approver's identity comes from the token.
  expect(
    await api('POST', `/v1/runs/${id}/approvals`, {
      token: TOKENS.viewer,
      body: { stepId: 'approve', decision: 'approve' },
    }),
  ).toMatchObject({ status: 403 });
  expect(
    await api('POST', `/v1/runs/${id}/approvals`, {
      token: TOKENS.bob,
      body: { stepId: 'restart', decision: 'approve' },
    }),
  ).toMatchObject({
    status: 409,
    body: { error: "step 'restart' is not waiting for approval (waiting: approve)" },
  });
  expect(
    await api('POST', `/v1/runs/${id}/approvals`, {
      token: TOKENS.bob,
      body: { stepId: 'approve', decision: 'maybe' },
    }),
  ).toMatchObject({ status: 400, body: { field: 'decision' } });
  // A step decision on a step that is not paused is refused with the reason.
  expect(
    await api('POST', `/v1/runs/${id}/steps`, { token: TOKENS.alice, body: { stepId: 'approve', action: 'retry' } }),
  ).toMatchObject({
    status: 409,
    body: { error: "step 'approve' is not paused" },
  });
  const ok = await api('POST', `/v1/runs/${id}/approvals`, {
    token: TOKENS.bob,
    body: { stepId: 'approve', decision: 'approve', comment: 'lgtm' },
  });
  expect(ok).toEqual({ status: 200, body: { stepId: 'approve', accepted: true, outcome: 'approved' } });

  // Step decisions: only for paused steps, and skipping needs a reason.
  expect(
    await api('POST', `/v1/runs/${id}/steps`, { token: TOKENS.alice, body: { stepId: 'restart', action: 'skip' } }),
  ).toMatchObject({ status: 400, body: { field: 'reason' } });
  expect(
    await api('POST', `/v1/runs/${id}/steps`, { token: TOKENS.viewer, body: { stepId: 'restart', action: 'retry' } }),
  ).toMatchObject({ status: 403 });

  const done = await waitForPhase(id, 'succeeded', 'COMPLETED');
  expect(done).toMatchObject({
    status: 'COMPLETED',
    run: { decisions: [expect.objectContaining({ actor: 'bob', comment: 'lgtm', via: 'api' })] },
  });

  // A vote after the run ended is a 409 with the reason, not "no run" (the run is there to read).
  expect(
    await api('POST', `/v1/runs/${id}/approvals`, {
      token: TOKENS.bob,
      body: { stepId: 'approve', decision: 'approve' },
    }),
  ).toEqual({ status: 409, body: { error: 'the run has already finished (COMPLETED)' } });

  // Found by search attributes, once visibility (eventually consistent) has caught up.
  const listed = await waitFor(`run ${id} listed by runbook, service and phase`, async () => {
    const r = await api('GET', '/v1/runs?runbook=restart-service&service=payments&phase=succeeded', {
      token: TOKENS.viewer,
    });
    return (r.body.runs as Array<Record<string, unknown>>).find((run) => run.workflowId === id);
  });
  expect(listed).toMatchObject({
    runbookId: 'restart-service',
    service: 'payments',
    severity: 'sev2',
    triggerSource: 'api',
    requestedBy: 'alice',
    status: 'COMPLETED',
  });
});

test('an emergency start needs the runbook to name the caller: 403 naming the field, audited as refused', async () => {
  const start = (token: string, runbook: string) =>
    api('POST', '/v1/runs', { token, body: { runbook, params: { service: 'x' }, emergency: true } });
  expect(await start(TOKENS.alice, 'restart-service')).toEqual({
    status: 403,
    body: {
      error: "runbook 'restart-service' cannot be started as an emergency: it declares no emergency.requesters",
      field: 'emergency',
    },
  });
  expect(await start(TOKENS.alice, 'urgent')).toEqual({
    status: 403,
    body: {
      error: "alice may not start 'urgent' as an emergency (emergency.requesters: group:oncall)",
      field: 'emergency',
    },
  });
  const { body } = await api('GET', '/v1/audit?limit=2', { token: TOKENS.admin });
  expect(body.entries).toEqual([
    expect.objectContaining({ identity: 'alice', action: 'POST /v1/runs', status: 403, outcome: 'refused' }),
    expect.objectContaining({ identity: 'alice', action: 'POST /v1/runs', status: 403, outcome: 'refused' }),
  ]);
  // Without --emergency alice starts it as a normal change.
  const dry = await api('POST', '/v1/runs', { token: TOKENS.alice, body: { runbook: 'urgent', dryRun: true } });
  expect(dry.status).toBe(201);
  await waitForPhase(dry.body.workflowId as string, 'succeeded', 'COMPLETED');
});

test("a runbook's emergency requesters load in canonical form; a look-alike or hidden character is a load error", () => {
  const yaml = (who: string) =>
    `id: x\ntitle: X\nemergency:\n  requesters: [${who}, group:oncall]\nsteps:\n  - id: w\n    wait: 1s\n`;
  expect(runbookFromYaml(yaml('Alice')).emergency).toEqual({ requesters: ['alice', 'group:oncall'] });
  expect(() => runbookFromYaml(yaml('"\u0430lice"'))).toThrow(
    "inline.yaml:4:16: emergency.requesters[0]: '\\u{430}lice' contains a non-ASCII letter",
  );
  expect(() => runbookFromYaml(yaml('"al\u200bice"'))).toThrow(
    "emergency.requesters[0]: 'al\\u{200b}ice' contains an invisible character",
  );
});

test('an emergency run cancelled while its retroactive approval is asked for says so, and keeps its change', async () => {
  const before = target.received.filter((r) => r.path === '/restart' && r.body.includes('urgent')).length;
  const started = await api('POST', '/v1/runs', { token: TOKENS.admin, body: { runbook: 'urgent', emergency: true } });
  expect(started.status).toBe(201);
  const id = started.body.workflowId as string;
  expect((await waitForPhase(id, 'waiting_approval')).run).toMatchObject({ emergency: true });
  const decide = (token: string) =>
    api('POST', `/v1/runs/${id}/approvals`, { token, body: { stepId: 'gate', decision: 'approve' } });
  expect(await decide(TOKENS.admin)).toEqual({
    status: 409,
    body: { error: 'admin started this run and cannot approve it', field: 'stepId' },
  });
  expect((await decide(TOKENS.bob)).body).toMatchObject({ outcome: 'approved' });
  await waitForPhase(id, 'awaiting_retroactive_approval');
  expect(await api('POST', `/v1/runs/${id}/cancel`, { token: TOKENS.admin })).toMatchObject({ status: 202 });
  const done = (await waitForPhase(id, 'cancelled', 'CANCELLED')).run as { gates: unknown[] };
  expect(done.gates).toEqual([
    {
      stepId: 'gate',
      mode: 'emergency',
      retroactive: 'cancelled',
      unreviewed: expect.objectContaining({
        endedBy: 'cancel',
        standing: ['restart'],
        note: expect.stringMatching(/^not reviewed: the run was cancelled at \S+ while it waited for 1 more approval/),
      }),
    },
  ]);
  expect(target.received.filter((r) => r.path === '/restart' && r.body.includes('urgent')).length).toBe(before + 1);
});

test('a late vote is a 409 with the reason, whether the run is still open or has ended', async () => {
  const vote = (id: string, stepId: string) =>
    api('POST', `/v1/runs/${id}/approvals`, { token: TOKENS.bob, body: { stepId, decision: 'approve' } });

  // Open: the first gate's deadline passed (the run went on), the second gate waits.
  const open = (await api('POST', '/v1/runs', { token: TOKENS.alice, body: { runbook: 'late' } })).body
    .workflowId as string;
  await waitFor(`run ${open} waiting at its second gate`, async () => {
    const run = (await api('GET', `/v1/runs/${open}`, { token: TOKENS.viewer })).body.run as {
      pendingApprovals: Array<{ stepId: string }>;
    } | null;
    return run?.pendingApprovals.some((a) => a.stepId === 'second');
  });
  expect(await vote(open, 'first')).toEqual({
    status: 409,
    body: {
      error: expect.stringMatching(
        /^step 'first' is not waiting for approval: its deadline passed at \d{4}-\d\d-\d\dT\S+Z \(waiting: second\)$/,
      ),
      field: 'stepId',
    },
  });
  expect(await api('POST', `/v1/runs/${open}/cancel`, { token: TOKENS.alice })).toMatchObject({ status: 202 });

  // Ended: the deadline failed the run (ApprovalTimeout); it is there to read, so never "no run".
  const ended = (await api('POST', '/v1/runs', { token: TOKENS.alice, body: { runbook: 'deadline' } })).body
    .workflowId as string;
  const failed = await waitForPhase(ended, 'failed', 'FAILED');
  expect(failed.run).toMatchObject({ error: { type: 'ApprovalTimeout', stepId: 'gate' } });
  expect(await vote(ended, 'gate')).toEqual({
    status: 409,
    body: { error: 'the run has already finished (FAILED)' },
  });
});

test("a gate opened again (its covered inputs changed) takes the same approver's new decision over HTTP", async () => {
  const started = await api('POST', '/v1/runs', { token: TOKENS.alice, body: { runbook: 'rebind' } });
  const id = started.body.workflowId as string;
  await waitForPhase(id, 'waiting_approval');
  expect(
    (
      await api('POST', `/v1/runs/${id}/approvals`, {
        token: TOKENS.bob,
        body: { stepId: 'gate', decision: 'approve' },
      })
    ).body,
  ).toMatchObject({ outcome: 'approved' });
  await waitFor(`run ${id} to ask again, at its delete step`, async () => {
    const r = await api('GET', `/v1/runs/${id}`, { token: TOKENS.viewer });
    const run = r.body.run as { phase: string; steps: Array<{ id: string; state: string }> };
    return run.phase === 'waiting_approval' && run.steps.some((st) => st.id === 'delete' && st.state === 'waiting');
  });
  expect(
    (
      await api('POST', `/v1/runs/${id}/approvals`, {
        token: TOKENS.bob,
        body: { stepId: 'gate', decision: 'approve' },
      })
    ).body,
  ).toMatchObject({ outcome: 'approved' });
  const done = await waitForPhase(id, 'succeeded', 'COMPLETED');
  expect((done.run as { decisions: unknown[] }).decisions).toHaveLength(2);
});

test('run routes act on runs only: a target lock and the kill switch are not runs (404), and stay up', async () => {
  const lockTarget = `service:api-${Date.now()}`;
  const lock = await env.client.workflow.signalWithStart(LOCK_WORKFLOW, {
    taskQueue: stack.config.taskQueue,
    workflowId: lockWorkflowId(lockTarget),
    args: [{ target: lockTarget }],
    signal: acquireLockSignal,
    signalArgs: [{ holder: 'someone', onBusy: 'wait', capacity: 1 }],
  });
  const control = await env.client.workflow.start(CONTROL_WORKFLOW, {
    taskQueue: stack.config.taskQueue,
    workflowId: controlWorkflowId(stack.config.taskQueue),
    args: [{}],
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
  for (const id of [lock.workflowId, control.workflowId]) {
    const path = `/v1/runs/${encodeURIComponent(id)}`;
    expect(await api('GET', path, { token: TOKENS.viewer })).toMatchObject({ status: 404 });
    expect(await api('POST', `${path}/cancel`, { token: TOKENS.admin })).toMatchObject({ status: 404 });
    expect(
      await api('POST', `${path}/approvals`, { token: TOKENS.bob, body: { stepId: 'x', decision: 'approve' } }),
    ).toMatchObject({ status: 404 });
    expect((await env.client.workflow.getHandle(id).describe()).status.name).toBe('RUNNING');
  }
  await lock.signal(releaseLockSignal, { holder: 'someone' });
});

test('the audit log keeps every human action, refused ones too, under who asked; admins read it', async () => {
  const started = await api('POST', '/v1/runs', {
    token: TOKENS.alice,
    body: { runbook: 'restart-service', params: { service: 'audit' } },
  });
  const id = started.body.workflowId as string;
  await api('POST', `/v1/runs/${id}/approvals`, {
    token: TOKENS.viewer,
    body: { stepId: 'approve', decision: 'approve' },
  });
  await api('POST', `/v1/runs/${id}/cancel`, { token: TOKENS.alice });
  expect(await api('GET', '/v1/audit', { token: TOKENS.alice })).toMatchObject({ status: 403 });
  expect(await api('GET', '/v1/audit?limit=0', { token: TOKENS.admin })).toMatchObject({
    status: 400,
    body: { field: 'limit' },
  });
  const { body } = await api('GET', '/v1/audit?limit=3', { token: TOKENS.admin });
  expect(body.entries).toEqual([
    expect.objectContaining({
      identity: 'alice',
      action: 'POST /v1/runs/:id/cancel',
      target: id,
      status: 202,
      outcome: 'done',
    }),
    expect.objectContaining({
      identity: 'viewer',
      action: 'POST /v1/runs/:id/approvals',
      target: id,
      status: 403,
      outcome: 'refused',
    }),
    expect.objectContaining({
      identity: 'alice',
      action: 'POST /v1/runs',
      status: 201,
      outcome: 'done',
      channel: 'api',
    }),
  ]);
  expect((body.entries as Array<{ requestId: string }>).every((e) => e.requestId !== '')).toBe(true);
});

test('idempotency key: same request gives the same run; a different request with the key is a conflict', async () => {
  const body = { runbook: 'restart-service', params: { service: 'search' }, idempotencyKey: `key-${Date.now()}` };
  const first = await api('POST', '/v1/runs', { token: TOKENS.alice, body });
  const second = await api('POST', '/v1/runs', { token: TOKENS.alice, body });
  expect(first.status).toBe(201);
  expect(second).toMatchObject({ status: 200, body: { workflowId: first.body.workflowId, created: false } });
  expect(
    await api('POST', '/v1/runs', { token: TOKENS.alice, body: { ...body, params: { service: 'other' } } }),
  ).toMatchObject({ status: 409, body: { field: 'idempotencyKey' } });
  const cancel = await api('POST', `/v1/runs/${first.body.workflowId as string}/cancel`, { token: TOKENS.alice });
  expect(cancel.status).toBe(202);
  const cancelled = await waitForPhase(first.body.workflowId as string, 'cancelled', 'CANCELLED');
  expect(cancelled.status).toBe('CANCELLED');
  expect(
    await api('POST', `/v1/runs/${first.body.workflowId as string}/cancel`, { token: TOKENS.alice }),
  ).toMatchObject({ status: 409 });
  expect(await api('GET', '/v1/runs/no-such-run', { token: TOKENS.viewer })).toMatchObject({ status: 404 });
});

test('Temporal unreachable: readyz and run operations answer 503', async () => {
  const connection = Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 500 });
  const client = new Client({ connection });
  const library = libraryOf(runbookFromYaml('id: x\ntitle: X\nsteps:\n  - id: w\n    wait: 1s\n'));
  const runs = createRunService({ client, config: stack.config, library: () => library, deadlineMs: 1000 });
  const app = buildApp({ runs, library: () => library, tokens: stack.config.tokens, registry: new Registry() });
  try {
    expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(503);
    const r = await app.inject({
      method: 'POST',
      url: '/v1/runs',
      headers: { authorization: `Bearer ${TOKENS.alice}` },
      payload: { runbook: 'x' },
    });
    expect(r.statusCode).toBe(503);
    expect(r.json()).toMatchObject({ error: expect.stringContaining('Temporal is unreachable') });
  } finally {
    await app.close();
    await connection.close();
  }
});
