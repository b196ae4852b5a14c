/**
 * Saying a manual step is done or not done, up to the run: `POST /v1/runs/:id/tasks` (role
 * operator, the actor from the token, a note required for not done, the run's refusal as 409)
 * and `runbook task`, over a recorded run service; and the envelope the API signs for it.
 */
import { Registry } from 'prom-client';
import { buildApp } from '../../src/api/app';
import { registerTaskCommands } from '../../src/cli/commands/tasks';
import { sha256 } from '../../src/config/load';
import { RunError } from '../../src/runs/errors';
import type { RunService } from '../../src/runs/service';
import { signTaskDecision } from '../../src/runs/sign';
import { verifySigned } from '../../src/shared/signed';
import type { TaskDecisionClaims } from '../../src/shared/task-claims';
import { runCli } from '../support/cli-run';
import { libraryOf } from '../support/runbook-worker';
import { OTHER_KEYS, TEST_KEYS } from '../support/signing';

const decided: unknown[] = [];
const app = buildApp({
  runs: {
    decideTask: async (id, d) => {
      decided.push([id, d]);
      if (d.stepId === 'other')
        throw new RunError('conflict', "task 'other' is bob's: ops may not settle it", 'stepId');
      return { stepId: d.stepId, accepted: true, state: d.done ? 'done' : 'not-done' };
    },
  } as Partial<RunService> as RunService,
  library: () => libraryOf(),
  tokens: [
    { identity: 'ops', roles: ['operator'], sha256: sha256('unit-operator-token') },
    { identity: 'vic', roles: ['viewer'], sha256: sha256('unit-viewer-token') },
  ],
  registry: new Registry(),
});
const post = (payload: unknown, token = 'unit-operator-token') =>
  app.inject({
    method: 'POST',
    url: '/v1/runs/run-1/tasks',
    headers: { authorization: `Bearer ${token}` },
    payload: payload as Record<string, unknown>,
  });

beforeEach(() => {
  decided.length = 0;
});

test('the API decides as the token says, via the channel the client names; a note is trimmed', async () => {
  const res = await post({ stepId: 'document', done: true, note: ' in the doc ', via: 'cli' });
  expect(res.statusCode).toBe(200);
  expect(res.json()).toEqual({ stepId: 'document', accepted: true, state: 'done' });
  expect(decided).toEqual([
    ['run-1', { stepId: 'document', done: true, note: 'in the doc', actor: 'ops', via: 'cli' }],
  ]);
});

test('not done needs a note; a viewer may not; an actor in the body is refused; the run refusing is 409', async () => {
  const noNote = await post({ stepId: 'document', done: false, note: '  ' });
  expect(noNote.statusCode).toBe(400);
  expect(noNote.json()).toMatchObject({ field: 'note' });
  expect((await post({ stepId: 'document', done: true }, 'unit-viewer-token')).statusCode).toBe(403);
  expect((await post({ stepId: 'document', done: true, actor: 'bob' })).statusCode).toBe(400);
  expect(decided).toEqual([]);
  const refused = await post({ stepId: 'other', done: true });
  expect(refused.statusCode).toBe(409);
  expect(refused.json()).toMatchObject({ error: "task 'other' is bob's: ops may not settle it" });
});

describe('runbook task', () => {
  const viaApp = (async (url: string, init?: RequestInit) => {
    const u = new URL(url);
    const r = await app.inject({
      method: 'POST',
      url: u.pathname,
      headers: { authorization: 'Bearer unit-operator-token', 'content-type': 'application/json' },
      payload: String(init?.body ?? ''),
    });
    return new Response(r.body, { status: r.statusCode, headers: { 'content-type': 'application/json' } });
  }) as unknown as typeof fetch;
  const cli = (argv: string[]) => runCli(argv, registerTaskCommands, viaApp, { token: 'unit-operator-token' });

  test('done and not-done with a note are sent as the CLI; not-done without one, or another word, exits 2', async () => {
    expect(await cli(['task', 'run-1', 'document', 'done'])).toMatchObject({
      code: 0,
      out: 'step document of run-1: done',
    });
    expect(await cli(['task', 'run-1', 'phone', 'not-done', '-m', 'no answer'])).toMatchObject({
      code: 0,
      out: 'step phone of run-1: not-done',
    });
    expect(decided).toEqual([
      ['run-1', { stepId: 'document', done: true, actor: 'ops', via: 'cli' }],
      ['run-1', { stepId: 'phone', done: false, note: 'no answer', actor: 'ops', via: 'cli' }],
    ]);
    expect(await cli(['task', 'run-1', 'phone', 'not-done'])).toMatchObject({
      code: 2,
      err: expect.stringContaining('not-done needs --note'),
    });
    expect((await cli(['task', 'run-1', 'phone', 'finished'])).code).toBe(2);
    expect(decided).toHaveLength(2);
  });
});

test('the envelope: signed for its purpose, expiring, and not verified with another key', () => {
  const claims: Omit<TaskDecisionClaims, 'purpose' | 'expiresAt'> = {
    workflowId: 'run-1',
    stepId: 'document',
    actor: 'dana',
    done: false,
    note: 'away',
    groups: ['security'],
    channel: 'api',
  };
  const env = signTaskDecision(TEST_KEYS, claims, 1_000);
  expect(env.payload).toEqual({ purpose: 'task-decision', ...claims, expiresAt: new Date(301_000).toISOString() });
  expect(verifySigned(TEST_KEYS, env, 'task-decision', 2_000)).toEqual({ ok: true, payload: env.payload });
  expect(verifySigned(TEST_KEYS, env, 'step-decision', 2_000)).toMatchObject({ ok: false });
  expect(verifySigned(TEST_KEYS, env, 'task-decision', 302_000)).toMatchObject({ ok: false });
  expect(verifySigned(OTHER_KEYS, env, 'task-decision', 2_000)).toMatchObject({ ok: false });
});
