/**
 * Schedule sync and operations against the real dev server: create, update, delete, dry run,
 * unmanaged schedules left alone, an operator's pause surviving a sync, trigger and backfill
 * starting runs a worker completes, and the HTTP routes' errors.
 *
 * Every test syncs its own task queue: sync owns the managed schedules on its queue only, so
 * tests running at the same time on the shared server never delete each other's schedules.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection, ScheduleNotFoundError, type ScheduleDescription } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import Fastify, { type FastifyInstance } from 'fastify';
import { requireRole } from '../../src/api/auth';
import { scheduleRoutes } from '../../src/api/routes/schedules';
import { sha256 } from '../../src/config/load';
import type { Role } from '../../src/config/schema';
import { loadRunbook } from '../../src/runbooks/load';
import type { RunbookLibrary } from '../../src/runbooks/library';
import { RunError } from '../../src/runs/errors';
import { SA } from '../../src/shared/constants';
import type { RunbookDefinition } from '../../src/shared/model';
import type { RunResult } from '../../src/shared/status';
import { readSyncMemo } from '../../src/schedules/memo';
import { createScheduleService, type ScheduleService } from '../../src/schedules/service';
import { applyScheduleSync, planScheduleSync } from '../../src/schedules/sync';
import { startApiStack, TOKENS } from '../support/api-stack';
import { createTestWorker, type TestWorker } from '../support/runbook-worker';
import { connectTestEnv, uniqueQueue } from '../support/temporal';
import { waitFor } from '../support/wait';
import { TEST_KEYS } from '../support/signing';

let env: TestWorkflowEnvironment;
let client: Client;
let worker: TestWorker;
let running: Promise<void>;
/** What each test synced, so afterAll can sync it empty (deleting what it created). */
const queuesUsed = new Set<string>();
/** The runbooks the worker resolves by id (as scheduled runs start); tests that start runs add theirs. */
const workerRunbooks = new Map<string, RunbookDefinition>();

function emptyLibrary(): RunbookLibrary {
  return { dir: 'inline', runbooks: new Map(), files: new Map(), schedules: [] };
}

/** A runbook with one short wait step and the given `schedules:` block (YAML, indented list). */
function runbookText(id: string, schedules: string): string {
  return `id: ${id}\ntitle: Scheduled ${id}\nschedules:\n${schedules}\nsteps:\n  - id: pause\n    wait: 10ms\n`;
}

function libraryOf(...texts: string[]): RunbookLibrary {
  const loaded = texts.map((t, i) => loadRunbook(t, `inline-${i}.yaml`));
  return {
    dir: 'inline',
    runbooks: new Map(loaded.map((l) => [l.runbook.id, l.runbook])),
    files: new Map(loaded.map((l) => [l.runbook.id, `${l.runbook.id}.yaml`])),
    schedules: loaded.flatMap((l) => l.schedules),
  };
}

function addToWorker(lib: RunbookLibrary): void {
  for (const [k, v] of lib.runbooks) workerRunbooks.set(k, v);
}

const rbId = (name: string): string => `sched-${name}-${randomUUID().slice(0, 8)}`;

function syncOpts(library: RunbookLibrary, taskQueue: string) {
  queuesUsed.add(taskQueue);
  return { client, config: { taskQueue, signingKeys: () => TEST_KEYS }, library };
}

function service(library: RunbookLibrary, taskQueue: string): ScheduleService {
  queuesUsed.add(taskQueue);
  return createScheduleService({
    client,
    config: { taskQueue, namespace: 'default', uiUrl: 'http://ui.test', signingKeys: () => TEST_KEYS },
    library: () => library,
  });
}

const describe_ = (id: string): Promise<ScheduleDescription> => client.schedule.getHandle(id).describe();

/**
 * A described schedule's calendar as `minute hour dayOfMonth month`: Temporal compiles cron
 * strings into calendars, so a description never shows the cron text back.
 */
async function firesAt(id: string): Promise<string> {
  const c = (await describe_(id)).spec.calendars?.[0];
  const f = (rs: Array<{ start: number | string; end: number | string }> | undefined) =>
    (rs ?? []).map((r) => (r.start === r.end ? r.start : `${r.start}-${r.end}`)).join(',');
  return [f(c?.minute), f(c?.hour), f(c?.dayOfMonth), f(c?.month)].join(' ');
}

/** Visibility lags a change by a moment; deleting needs the schedule to be listed. */
async function waitListed(id: string, present = true): Promise<void> {
  await waitFor(`schedule ${id} ${present ? 'listed' : 'gone from the list'}`, async () => {
    let found = false;
    for await (const s of client.schedule.list()) if (s.scheduleId === id) found = true;
    return found === present;
  });
}

/** Polls a schedule until it has taken `n` actions; returns them oldest first. */
async function waitActions(id: string, n: number): Promise<ScheduleDescription['info']['recentActions']> {
  const d = await waitFor(`schedule ${id} to have taken ${n} actions`, async () => {
    const d = await describe_(id);
    return d.info.recentActions.length >= n && d;
  });
  return [...d.info.recentActions].sort((a, b) => a.scheduledAt.getTime() - b.scheduledAt.getTime());
}

/** Far in the future and rare: these schedules never fire while the tests run. */
const NEVER = '"0 0 1 1 *"';

beforeAll(async () => {
  env = await connectTestEnv();
  client = env.client;
  worker = await createTestWorker(env, { library: { ...emptyLibrary(), runbooks: workerRunbooks } });
  running = worker.worker.run();
});

afterAll(async () => {
  for (const taskQueue of queuesUsed)
    await applyScheduleSync({
      client,
      config: { taskQueue, signingKeys: () => TEST_KEYS },
      library: emptyLibrary(),
    }).catch(() => undefined);
  worker.worker.shutdown();
  await running;
});

test('sync creates, reports unchanged, updates a changed spec and deletes a removed schedule; a dry run changes nothing', async () => {
  const q = uniqueQueue('sched');
  const id = rbId('sync');
  const v1 = libraryOf(
    runbookText(
      id,
      `  - id: keep\n    cron: ${NEVER}\n  - id: drop\n    every: 1h\n    paused: true\n    note: not yet`,
    ),
  );

  const created = await applyScheduleSync(syncOpts(v1, q));
  expect(created.create.map((c) => c.id).sort()).toEqual([`runbook-${id}-drop`, `runbook-${id}-keep`]);
  expect(created).toMatchObject({ update: [], delete: [], unchanged: [], conflicts: [], failed: [] });
  const keep = await describe_(`runbook-${id}-keep`);
  expect(await firesAt(`runbook-${id}-keep`)).toBe('0 0 1 JANUARY');
  expect(keep.memo).toEqual({ managedBy: 'durable-runbooks', runbookId: id });
  expect(keep.action).toMatchObject({
    workflowType: 'runbookWorkflow',
    taskQueue: q,
    workflowId: `runbook-${id}-keep`,
  });
  expect(keep.state.paused).toBe(false);
  expect(await describe_(`runbook-${id}-drop`)).toMatchObject({ state: { paused: true, note: 'not yet' } });

  expect(await applyScheduleSync(syncOpts(v1, q))).toMatchObject({
    create: [],
    update: [],
    delete: [],
    unchanged: [`runbook-${id}-drop`, `runbook-${id}-keep`],
  });

  const v2 = libraryOf(runbookText(id, `  - id: keep\n    cron: "0 0 2 1 *"\n    overlap: allow-all`));
  await waitListed(`runbook-${id}-drop`);
  const dry = await planScheduleSync(syncOpts(v2, q));
  expect(dry).toEqual({
    create: [],
    update: [
      {
        id: `runbook-${id}-keep`,
        runbookId: id,
        changes: [
          'when: cron "0 0 1 1 *" UTC -> cron "0 0 2 1 *" UTC',
          'policies: overlap skip, catch-up 10m -> overlap allow-all, catch-up 10m',
        ],
      },
    ],
    delete: [{ id: `runbook-${id}-drop`, runbookId: id }],
    unchanged: [],
    conflicts: [],
  });
  // The dry run changed nothing.
  expect(await firesAt(`runbook-${id}-keep`)).toBe('0 0 1 JANUARY');
  await expect(describe_(`runbook-${id}-drop`)).resolves.toBeDefined();

  const applied = await applyScheduleSync(syncOpts(v2, q));
  expect({ ...applied, failed: undefined }).toEqual({ ...dry, failed: undefined });
  const updated = await describe_(`runbook-${id}-keep`);
  expect(await firesAt(`runbook-${id}-keep`)).toBe('0 0 2 JANUARY');
  expect(updated.policies.overlap).toBe('ALLOW_ALL');
  expect(readSyncMemo(updated)?.when).toBe('cron "0 0 2 1 *" UTC');
  await expect(describe_(`runbook-${id}-drop`)).rejects.toBeInstanceOf(ScheduleNotFoundError);
});

test('schedules without the managed memo are never touched, even on our task queue or with a declared id', async () => {
  const q = uniqueQueue('sched');
  const id = rbId('unmanaged');
  const action = { type: 'startWorkflow' as const, workflowType: 'runbookWorkflow', taskQueue: q, args: [] };
  const taken = `runbook-${id}-daily`;
  const bystander = `hand-made-${randomUUID()}`;
  await client.schedule.create({
    scheduleId: taken,
    spec: { cronExpressions: ['0 0 1 1 *'] },
    action,
    state: { paused: true, note: 'by hand' },
  });
  await client.schedule.create({
    scheduleId: bystander,
    spec: { cronExpressions: ['0 0 1 1 *'] },
    action,
    state: { paused: true },
  });
  try {
    await waitListed(bystander);
    const lib = libraryOf(runbookText(id, `  - id: daily\n    cron: "0 7 * * *"`));
    const diff = await applyScheduleSync(syncOpts(lib, q));
    expect(diff).toMatchObject({
      create: [],
      update: [],
      delete: [],
      conflicts: [{ id: taken, reason: expect.stringContaining('without the durable-runbooks memo') }],
    });
    expect(await firesAt(taken)).toBe('0 0 1 JANUARY');
    await expect(describe_(bystander)).resolves.toBeDefined();
    const ops = service(lib, q);
    await expect(ops.pause(taken, { actor: 'alice' })).rejects.toMatchObject({ kind: 'conflict', field: 'id' });
    await expect(ops.trigger(bystander, 'alice')).rejects.toMatchObject({ kind: 'conflict' });
  } finally {
    await client.schedule.getHandle(taken).delete();
    await client.schedule.getHandle(bystander).delete();
  }
});

test("an operator's pause survives a sync; a changed declared paused: applies; list shows both", async () => {
  const q = uniqueQueue('sched');
  const id = rbId('pause');
  const sid = `runbook-${id}-daily`;
  const declare = (extra: string) => libraryOf(runbookText(id, `  - id: daily\n    cron: ${extra}`));
  let lib = declare('"0 7 * * *"');
  await applyScheduleSync(syncOpts(lib, q));
  const ops = service(lib, q);

  expect(await ops.pause(sid, { note: 'incident 42', actor: 'alice' })).toEqual({
    id: sid,
    paused: true,
    note: 'paused by alice: incident 42',
    changed: true,
  });
  expect(await ops.pause(sid, { actor: 'bob' })).toMatchObject({
    paused: true,
    changed: false,
    note: 'paused by alice: incident 42',
  });

  lib = declare('"30 7 * * *"'); // a spec change: updated, the pause stays
  const diff = await applyScheduleSync(syncOpts(lib, q));
  expect(diff.update).toEqual([
    { id: sid, runbookId: id, changes: ['when: cron "0 7 * * *" UTC -> cron "30 7 * * *" UTC'] },
  ]);
  expect((await describe_(sid)).state).toMatchObject({ paused: true, note: 'paused by alice: incident 42' });
  expect(await firesAt(sid)).toMatch(/^30 7 /);

  const [listed] = (await service(lib, q).list()).filter((s) => s.id === sid);
  expect(listed).toMatchObject({
    id: sid,
    runbookId: id,
    when: 'cron "30 7 * * *" UTC',
    paused: true,
    note: 'paused by alice: incident 42',
    declared: true,
    recentActions: [],
  });

  expect(await ops.resume(sid, { actor: 'alice' })).toMatchObject({
    paused: false,
    changed: true,
    note: 'resumed by alice',
  });
  const active = (await service(lib, q).list()).find((s) => s.id === sid);
  expect(active?.nextActionTimes).toHaveLength(3);
  expect(new Date(active?.nextActionTimes[0] as string).getUTCMinutes()).toBe(30);

  lib = declare('"30 7 * * *"\n    paused: true\n    note: "example until ready"'); // the file now says paused
  const again = await applyScheduleSync(syncOpts(lib, q));
  expect(again.update[0]?.changes).toEqual(['paused: declared false -> true (applied)']);
  expect((await describe_(sid)).state).toMatchObject({ paused: true, note: 'example until ready' });

  await ops.resume(sid, { note: 'ready now', actor: 'bob' }); // and an operator resumes it
  expect(await applyScheduleSync(syncOpts(lib, q))).toMatchObject({ unchanged: [sid], update: [] });
  expect((await describe_(sid)).state).toMatchObject({ paused: false, note: 'resumed by bob: ready now' });
});

test('trigger starts a run of the current runbook that completes on the worker, marked as the schedule', async () => {
  const id = rbId('trigger');
  const lib = libraryOf(runbookText(id, `  - id: now\n    cron: ${NEVER}\n    params: {}`));
  addToWorker(lib);
  const sid = `runbook-${id}-now`;
  await applyScheduleSync(syncOpts(lib, worker.taskQueue));
  expect(await service(lib, worker.taskQueue).trigger(sid, 'otto')).toEqual({ id: sid, overlap: 'skip' });

  const [action] = await waitActions(sid, 1);
  const workflowId = action?.action.workflow.workflowId as string;
  expect(workflowId.startsWith(`${sid}-`)).toBe(true);
  const handle = client.workflow.getHandle(workflowId);
  expect(((await handle.result()) as RunResult).phase).toBe('succeeded');
  const d = await handle.describe();
  expect(d.typedSearchAttributes.get(SA.triggerSource)).toBe('schedule');
  expect(d.typedSearchAttributes.get(SA.requestedBy)).toBe(`schedule:${sid}`);
  expect(d.typedSearchAttributes.get(SA.runbookId)).toBe(id);

  const [listed] = (await service(lib, worker.taskQueue).list()).filter((s) => s.id === sid);
  expect(listed?.recentActions[0]).toMatchObject({
    workflowId,
    url: `http://ui.test/namespaces/default/workflows/${encodeURIComponent(workflowId)}`,
  });
});

test('backfill over a past window starts one run per time the schedule would have fired', async () => {
  const id = rbId('backfill');
  // Fires at the top of the two hours before this one, once a day: exactly two times in the
  // last three hours, and none while the test runs.
  const now = new Date();
  const hours = [(now.getUTCHours() + 22) % 24, (now.getUTCHours() + 23) % 24];
  const lib = libraryOf(
    runbookText(id, `  - id: hourly\n    calendar: { hour: [${hours.join(', ')}], minute: 0 }\n    overlap: allow-all`),
  );
  addToWorker(lib);
  const sid = `runbook-${id}-hourly`;
  await applyScheduleSync(syncOpts(lib, worker.taskQueue));

  const start = new Date(now.getTime() - 3 * 3_600_000);
  expect(await service(lib, worker.taskQueue).backfill(sid, { start, end: now }, 'otto')).toEqual({
    id: sid,
    start: start.toISOString(),
    end: now.toISOString(),
    overlap: 'allow-all',
  });
  const actions = await waitActions(sid, 2);
  expect(actions.map((a) => a.scheduledAt.getUTCHours())).toEqual(hours);
  expect(actions.every((a) => a.scheduledAt.getUTCMinutes() === 0 && a.scheduledAt.getTime() >= start.getTime())).toBe(
    true,
  );
  for (const a of actions) {
    expect(((await client.workflow.getHandle(a.action.workflow.workflowId).result()) as RunResult).phase).toBe(
      'succeeded',
    );
  }
  // The scheduler buffers a backfill's times (up to 10 per iteration; this one has two) and then
  // starts them one at a time, so having taken two says nothing of a third still buffered. Once
  // its buffer is empty it has taken every action this backfill will take.
  await waitFor(`schedule ${sid} to have no buffered action left`, async () => {
    const raw = await client.workflowService.describeSchedule({ namespace: client.options.namespace, scheduleId: sid });
    return (raw.info?.bufferSize?.toNumber() ?? 0) === 0;
  });
  const settled = await describe_(sid);
  expect(settled.info.recentActions).toHaveLength(2);
  expect(settled.info.numActionsTaken).toBe(2);
});

describe('routes', () => {
  let app: FastifyInstance;
  const q = uniqueQueue('sched-api');
  const id = rbId('api');
  const sid = `runbook-${id}-daily`;
  const TOKEN = { viewer: 'v-token', operator: 'o-token', admin: 'a-token' };
  const STATUS: Record<RunError['kind'], number> = {
    invalid: 400,
    not_found: 404,
    conflict: 409,
    unavailable: 503,
    forbidden: 403,
  };

  /** The routes as app.ts mounts them: role checks from tokens, RunErrors as JSON statuses. */
  function buildTestApp(schedules: ScheduleService): FastifyInstance {
    const tokens = [
      { identity: 'vera', roles: ['viewer' as const], sha256: sha256(TOKEN.viewer) },
      { identity: 'otto', roles: ['operator' as const], sha256: sha256(TOKEN.operator) },
      { identity: 'ada', roles: ['admin' as const], sha256: sha256(TOKEN.admin) },
    ];
    const a = Fastify();
    a.setErrorHandler(async (err, _req, reply) => {
      if (err instanceof RunError)
        return reply.code(STATUS[err.kind]).send({ error: err.message, ...(err.field ? { field: err.field } : {}) });
      throw err;
    });
    scheduleRoutes(a, { schedules, role: (r: Role) => requireRole(tokens, r) });
    return a;
  }

  const call = (method: 'GET' | 'POST', url: string, token: string, payload?: unknown) =>
    app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${token}` },
      ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}),
    });

  beforeAll(async () => {
    const lib = libraryOf(runbookText(id, `  - id: daily\n    cron: ${NEVER}`));
    app = buildTestApp(service(lib, q));
    await app.ready();
  });

  afterAll(async () => {
    await app.close();
  });

  test('sync is for admins and answers the diff; a dry run first', async () => {
    expect((await call('POST', '/v1/schedules/sync', TOKEN.operator, {})).statusCode).toBe(403);
    const dry = await call('POST', '/v1/schedules/sync', TOKEN.admin, { dryRun: true });
    expect(dry.statusCode).toBe(200);
    expect(dry.json()).toMatchObject({
      dryRun: true,
      create: [{ id: sid, runbookId: id, when: 'cron "0 0 1 1 *" UTC', paused: false }],
    });
    await expect(describe_(sid)).rejects.toBeInstanceOf(ScheduleNotFoundError);
    const done = await call('POST', '/v1/schedules/sync', TOKEN.admin, {});
    expect(done.json()).toMatchObject({ dryRun: false, create: [{ id: sid }], failed: [] });
    expect((await call('POST', '/v1/schedules/sync', TOKEN.admin, { dryRun: 'yes' })).json()).toMatchObject({
      field: 'dryRun',
    });
  });

  test('viewers list; operators pause, resume and trigger; unknown ids are 404', async () => {
    await call('POST', '/v1/schedules/sync', TOKEN.admin, {});
    const list = await call('GET', '/v1/schedules', TOKEN.viewer);
    expect(list.json().schedules).toEqual([
      expect.objectContaining({
        id: sid,
        paused: false,
        declared: true,
        url: `http://ui.test/namespaces/default/schedules/${sid}`,
      }),
    ]);
    expect((await call('POST', `/v1/schedules/${sid}/pause`, TOKEN.viewer, {})).statusCode).toBe(403);
    expect(
      (await call('POST', `/v1/schedules/${sid}/pause`, TOKEN.operator, { note: 'db work' })).json(),
    ).toMatchObject({ paused: true, note: 'paused by otto: db work' });
    expect((await call('POST', `/v1/schedules/${sid}/resume`, TOKEN.operator, {})).json()).toMatchObject({
      paused: false,
      changed: true,
    });
    expect((await call('POST', `/v1/schedules/${sid}/pause`, TOKEN.operator, { reason: 'x' })).json()).toMatchObject({
      field: 'body',
      error: expect.stringContaining('reason'),
    });
    for (const op of ['pause', 'resume', 'trigger']) {
      const r = await call('POST', `/v1/schedules/runbook-nope-${randomUUID()}/${op}`, TOKEN.operator, {});
      expect({ op, status: r.statusCode, body: r.json() }).toEqual({
        op,
        status: 404,
        body: { error: expect.stringContaining('no schedule'), field: 'id' },
      });
    }
  });

  test('backfill checks its window and names the field', async () => {
    const now = Date.now();
    const at = (ms: number) => new Date(ms).toISOString();
    const backfill = (body: unknown) => call('POST', `/v1/schedules/${sid}/backfill`, TOKEN.operator, body);
    expect((await backfill({ start: 'yesterday', end: at(now) })).json()).toMatchObject({ field: 'start' });
    expect((await backfill({ start: at(now - 1000) })).json()).toMatchObject({ field: 'end' });
    expect((await backfill({ start: at(now - 1000), end: at(now - 2000) })).json()).toMatchObject({
      field: 'end',
      error: 'end must be after start',
    });
    expect((await backfill({ start: at(now - 40 * 86_400_000), end: at(now) })).json()).toMatchObject({
      field: 'end',
      error: expect.stringContaining('31 days'),
    });
    expect((await backfill({ start: at(now - 1000), end: at(now + 3_600_000) })).json()).toMatchObject({
      field: 'end',
      error: expect.stringContaining('future'),
    });
    expect(
      (
        await call('POST', `/v1/schedules/runbook-nope/backfill`, TOKEN.operator, {
          start: at(now - 3_600_000),
          end: at(now),
        })
      ).statusCode,
    ).toBe(404);
  });
});

describe("approving a schedule's run", () => {
  const id = rbId('behalf');
  const sid = `runbook-${id}-daily`;
  const lib = libraryOf(
    `id: ${id}\ntitle: Gated ${id}\nschedules:\n  - id: daily\n    cron: ${NEVER}\nsteps:\n  - id: gate\n    approval: { message: go? }\n  - id: pause\n    wait: 10ms\n`,
  );
  let stack: Awaited<ReturnType<typeof startApiStack>>;

  async function api(method: 'GET' | 'POST', path: string, token: string, body?: unknown) {
    const res = await fetch(`${stack.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  /** The run the schedule's n-th action started, once it waits at its gate. */
  async function waitingRun(n: number): Promise<{ workflowId: string; trigger: unknown }> {
    const actions = await waitActions(sid, n);
    const workflowId = actions[n - 1]?.action.workflow.workflowId as string;
    const run = await waitFor(`run ${workflowId} waiting for approval`, async () => {
      const r = (await api('GET', `/v1/runs/${workflowId}`, TOKENS.viewer)).body.run as {
        phase: string;
        trigger: unknown;
      } | null;
      return r?.phase === 'waiting_approval' && r;
    });
    return { workflowId, trigger: run.trigger };
  }

  const approve = (workflowId: string, token: string) =>
    api('POST', `/v1/runs/${workflowId}/approvals`, token, { stepId: 'gate', decision: 'approve' });

  beforeAll(async () => {
    stack = await startApiStack(env, lib);
    queuesUsed.add(stack.config.taskQueue);
  });
  afterAll(async () => {
    await stack?.close();
  });

  test('its runs act for the admin who synced it: they cannot approve them; another approver can', async () => {
    expect((await api('POST', '/v1/schedules/sync', TOKENS.admin, {})).body).toMatchObject({ create: [{ id: sid }] });
    const listed = (await api('GET', '/v1/schedules', TOKENS.viewer)).body.schedules as Array<Record<string, unknown>>;
    expect(listed.find((x) => x.id === sid)).toMatchObject({ onBehalfOf: 'admin' });
    // As if its time came: Temporal starts the run, not a person.
    await client.schedule.getHandle(sid).trigger();
    const run = await waitingRun(1);
    expect(run.trigger).toEqual({ source: 'schedule', requestedBy: `schedule:${sid}`, onBehalfOf: 'admin' });
    expect(await approve(run.workflowId, TOKENS.admin)).toEqual({
      status: 409,
      body: { error: `admin cannot approve this run: schedule:${sid} started it on their behalf`, field: 'stepId' },
    });
    expect((await approve(run.workflowId, TOKENS.bob)).body).toMatchObject({ outcome: 'approved' });
    // Ended before the next test triggers (the schedule skips a run while one is going).
    await waitFor(`run ${run.workflowId} completed`, async () => {
      return (await api('GET', `/v1/runs/${run.workflowId}`, TOKENS.viewer)).body.status === 'COMPLETED';
    });
    // Synced again by the same or another person, unchanged: it keeps acting for whoever made it so.
    expect((await api('POST', '/v1/schedules/sync', TOKENS.admin, {})).body).toMatchObject({ unchanged: [sid] });
  });

  test('a run triggered now acts for whoever triggered it, and later runs too; a schedule edited in Temporal is not re-signed', async () => {
    expect((await api('POST', `/v1/schedules/${sid}/trigger`, TOKENS.alice, {})).status).toBe(202);
    const run = await waitingRun(2);
    expect(run.trigger).toMatchObject({ onBehalfOf: 'alice' });
    // alice triggered it; admin did not, so admin may approve this one.
    expect((await approve(run.workflowId, TOKENS.admin)).body).toMatchObject({ outcome: 'approved' });
    const listed = (await api('GET', '/v1/schedules', TOKENS.viewer)).body.schedules as Array<Record<string, unknown>>;
    expect(listed.find((x) => x.id === sid)).toMatchObject({ onBehalfOf: 'alice' });

    // Someone with Temporal access edits the signed start (an emergency): the API will not sign it again.
    await client.schedule.getHandle(sid).update((prev) => {
      const input = prev.action.args?.[0] as { signed: { payload: Record<string, unknown> } };
      const { searchAttributes: _untyped, ...action } = prev.action;
      const forged = { ...input, signed: { ...input.signed, payload: { ...input.signed.payload, emergency: true } } };
      return { ...prev, action: { ...action, args: [forged] } };
    });
    expect(await api('POST', `/v1/schedules/${sid}/trigger`, TOKENS.admin, {})).toEqual({
      status: 409,
      body: {
        error: `schedule '${sid}' does not carry a start this API signed; sync the schedules first`,
        field: 'id',
      },
    });
  });
});

test('Temporal unreachable: operations fail promptly as unavailable', async () => {
  const dead = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 500 }) });
  const ops = createScheduleService({
    client: dead,
    config: { taskQueue: 'q', namespace: 'default', uiUrl: 'http://ui.test', signingKeys: () => TEST_KEYS },
    library: () => emptyLibrary(),
    deadlineMs: 1500,
  });
  const t0 = Date.now();
  await expect(ops.list()).rejects.toMatchObject({ kind: 'unavailable' });
  await expect(ops.pause('runbook-x-y', { actor: 'alice' })).rejects.toMatchObject({ kind: 'unavailable' });
  await expect(ops.sync({ dryRun: true })).rejects.toMatchObject({ kind: 'unavailable' });
  expect(Date.now() - t0).toBeLessThan(15_000);
});
