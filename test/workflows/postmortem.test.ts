/**
 * The postmortem follow-up over weeks, in seconds, on the time-skipping test server: the real
 * workflow with the worker's signing key in its sandbox, and fakes of our own ticket and notify
 * activities under their catalog ids (the trackers' wire formats are tested in
 * test/unit/tickets-*.test.ts). Each test its own queue and workflow id.
 */
import type { WorkflowHandle, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { signStart } from '../../src/runs/sign';
import { sign } from '../../src/platform/signing';
import { POSTMORTEM_WORKFLOW } from '../../src/shared/constants';
import { FAILURE } from '../../src/shared/failures';
import {
  postmortemActionSignal,
  postmortemActionUpdate,
  postmortemQuery,
  type PostmortemAction,
  type PostmortemChannel,
  type PostmortemDefinition,
  type PostmortemState,
  type SignedPostmortemAction,
} from '../../src/shared/postmortem';
import type { SigningKeys } from '../../src/shared/signed';
import { createWorkerMetrics } from '../../src/worker/metrics';
import { withSigningKeys } from '../../src/worker/signing-bundle';
import { OTHER_KEYS, TEST_KEYS } from '../support/signing';
import { uniqueQueue } from '../support/temporal';
import { createTimeSkippingEnv } from '../support/time-skipping';
import { waitFor } from '../support/wait';

const H = 3_600_000;
const D = 24 * H;

let env: TestWorkflowEnvironment;
/** The test server's time when the current test started. */
let clock = 0;
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  env = await createTimeSkippingEnv();
  const noop = (): void => undefined;
  bundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('../../src/workflows/postmortem/workflow'),
    logger: { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: noop },
  });
}, 120_000);
afterAll(() => env?.teardown());

interface Fakes {
  created: Array<{ key: string; title: string; body: string; labels: string[] }>;
  closed: string[];
  notices: Array<{ key: string; message: string }>;
}

/** Our ticket and notify activities, faked: issues numbered by idempotency key (a retry finds its own). */
function fakes(): {
  activities: Record<
    string,
    (env: { step: { idempotencyKey: string }; input: Record<string, unknown> }) => Promise<unknown>
  >;
  seen: Fakes;
} {
  const seen: Fakes = { created: [], closed: [], notices: [] };
  const ids = new Map<string, string>();
  return {
    seen,
    activities: {
      'ticket:issue:create': async ({ step, input }) => {
        let id = ids.get(step.idempotencyKey);
        if (!id) {
          ids.set(step.idempotencyKey, (id = String(ids.size + 1)));
          seen.created.push({
            key: step.idempotencyKey,
            title: String(input.title),
            body: String(input.body),
            labels: (input.labels as string[]) ?? [],
          });
        }
        const output = {
          target: input.target,
          kind: 'github',
          id,
          url: `https://github.test/acme/app/issues/${id}`,
          created: true,
        };
        return { output, attempt: 1 };
      },
      'ticket:issue:close': async ({ input }) => {
        seen.closed.push(String(input.id));
        return { output: { target: input.target, id: input.id, changed: true }, attempt: 1 };
      },
      'notify:webhook:post': async ({ step, input }) => {
        seen.notices.push({ key: step.idempotencyKey, message: String(input.message) });
        return { output: { delivered: true }, attempt: 1 };
      },
    },
  };
}

function definition(now: number, over: Partial<PostmortemDefinition> = {}): PostmortemDefinition {
  return {
    incidentId: 'INC-7',
    incidentWorkflowId: 'incident-INC-7',
    title: 'checkout 500s',
    severity: 'sev1',
    service: 'checkout',
    resolvedAt: new Date(now).toISOString(),
    dueAt: new Date(now + 2 * D).toISOString(),
    reportDueAt: new Date(now + D).toISOString(),
    owner: 'carol',
    managers: ['erin'],
    ticketTarget: 'postmortems',
    notifyTarget: 'team',
    draft: '# Postmortem: checkout 500s (INC-7)\n\n## Timeline\n',
    ...over,
  };
}

/** What the incident sends: the start signed for this workflow id and definition. */
function startArgs(workflowId: string, d: PostmortemDefinition, nowMs: number, keys: SigningKeys = TEST_KEYS) {
  const signed = signStart(
    keys,
    {
      workflowType: POSTMORTEM_WORKFLOW,
      runbookId: 'postmortem',
      definition: d,
      params: {},
      trigger: { source: 'incident', requestedBy: d.incidentWorkflowId },
      emergency: false,
      dryRun: false,
    },
    { workflowId },
    nowMs,
  );
  return { definition: d, signed };
}

function action(
  workflowId: string,
  a: PostmortemAction,
  o: { actor?: string; channel?: PostmortemChannel; keys?: SigningKeys; requestId?: string; nowMs?: number } = {},
): SignedPostmortemAction {
  return sign(o.keys ?? TEST_KEYS, {
    purpose: 'postmortem-action',
    workflowId,
    actor: o.actor ?? 'bob',
    action: a,
    channel: o.channel ?? 'api',
    requestId: o.requestId ?? `r-${Math.random()}`,
    // Expiry is checked against workflow time: the test server's clock, skipped ahead by earlier tests.
    expiresAt: new Date((o.nowMs ?? clock) + 5 * 60_000).toISOString(),
  });
}

async function run<T>(
  body: (h: WorkflowHandleWithFirstExecutionRunId, seen: Fakes, t0: number) => Promise<T>,
  o: { over?: Partial<PostmortemDefinition>; historyLimit?: number } = {},
): Promise<T> {
  const taskQueue = uniqueQueue('postmortem');
  const { activities, seen } = fakes();
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: { code: withSigningKeys(bundle.code, TEST_KEYS) },
    activities,
    sinks: createWorkerMetrics().sinks,
  });
  return worker.runUntil(async () => {
    const t0 = await env.currentTimeMs();
    clock = t0;
    const workflowId = `postmortem-${taskQueue}`;
    const h = await env.client.workflow.start(POSTMORTEM_WORKFLOW, {
      taskQueue,
      workflowId,
      args: [
        {
          ...startArgs(workflowId, definition(t0, o.over), t0),
          ...(o.historyLimit ? { historyLimit: o.historyLimit } : {}),
        },
      ],
      workflowExecutionTimeout: '60d',
    });
    return body(h, seen, t0);
  });
}

/**
 * The run's state. Bounded: the test server can leave a query sent while the run continues as
 * new unanswered, so a probe gives up after a few seconds and the next one asks the new run. The
 * deadline is the call's own, so the query ends there (a query only raced against a timer stayed
 * in flight to the end of the file and was retried after its connection closed).
 */
const state = (h: WorkflowHandle): Promise<PostmortemState> =>
  env.connection.withDeadline(Date.now() + 3000, () => h.query(postmortemQuery));
const opened = (h: WorkflowHandle): Promise<PostmortemState> =>
  waitFor('the postmortem issue', async () => {
    const s = await state(h);
    return s.document.ticket ? s : undefined;
  });
const hoursAfter = (t0: number, at: string): number => Math.round((Date.parse(at) - t0) / H);

test('reminders at -24h, 0 and +24h then the managers at +48h, for the document, the report and an item over weeks', async () => {
  await run(async (h, seen, t0) => {
    const s0 = await opened(h);
    expect(s0.document.ticket).toMatchObject({ target: 'postmortems', kind: 'github', id: '1' });
    expect(seen.created[0]).toMatchObject({ title: 'Postmortem: checkout 500s (INC-7)', labels: ['sev1'] });
    expect(seen.created[0]?.body).toContain('## Timeline');
    const added = await h.executeUpdate(postmortemActionUpdate, {
      args: [
        action(h.workflowId, {
          kind: 'add-item',
          title: 'add a canary',
          owner: 'dave',
          dueAt: new Date(t0 + 14 * D).toISOString(),
        }),
      ],
    });
    expect(added).toMatchObject({ accepted: true, itemId: 'ai-1' });
    const item = await waitFor('the item issue', async () => (await state(h)).items[0]?.ticket);
    expect(item).toMatchObject({ id: '2' });
    expect(seen.created[1]?.body).toContain(`<!-- durable-runbooks:postmortem-item=ai-1 workflow=${h.workflowId} -->`);

    await env.sleep(17 * D);
    clock = await env.currentTimeMs();
    const s = await state(h);
    const ladder = s.reminders.map((r) => [r.subject, r.rung, hoursAfter(t0, r.at), r.to.join(',')]);
    expect(ladder).toEqual([
      ['report', 'before', 0, 'carol'],
      ['document', 'before', 24, 'carol'],
      ['report', 'due', 24, 'carol'],
      ['document', 'due', 48, 'carol'],
      ['report', 'after', 48, 'carol'],
      ['document', 'after', 72, 'carol'],
      ['report', 'escalated', 72, 'erin,carol'],
      ['document', 'escalated', 96, 'erin,carol'],
      ['ai-1', 'before', 13 * 24, 'dave'],
      ['ai-1', 'due', 14 * 24, 'dave'],
      ['ai-1', 'after', 15 * 24, 'dave'],
      ['ai-1', 'escalated', 16 * 24, 'erin,dave'],
    ]);
    expect(s.phase).toBe('overdue');
    // Each sent once, to the notify target, under a key of its own.
    expect(seen.notices.map((n) => n.key)).toEqual(
      ladder.map(([sub, rung]) => `${h.workflowId}/remind-${sub}-${rung}`),
    );
    expect(seen.notices[6]?.message).toBe(
      `@erin @carol: the incident report of INC-7 (checkout 500s) is 48 hours overdue (due ${new Date(t0 + D).toISOString()}): escalated`,
    );

    await h.executeUpdate(postmortemActionUpdate, {
      args: [action(h.workflowId, { kind: 'complete', url: 'https://docs.test/pm' })],
    });
    await h.executeUpdate(postmortemActionUpdate, {
      args: [action(h.workflowId, { kind: 'close-item', itemId: 'ai-1' })],
    });
    const end = (await h.result()) as PostmortemState;
    expect(end.phase).toBe('done');
    expect(end.items[0]).toMatchObject({ state: 'closed', closedBy: 'bob', closedVia: 'api', ticketClosed: true });
    expect(seen.closed.sort()).toEqual(['1', '2']);
    // Weeks of timers, updates and activities replay to the same commands.
    await Worker.runReplayHistory(
      { workflowBundle: { code: withSigningKeys(bundle.code, TEST_KEYS) } },
      await h.fetchHistory(),
      h.workflowId,
    );
  });
});

test('an item closed by a signed action; forged, foreign and unsigned ones change nothing', async () => {
  await run(async (h, seen) => {
    await opened(h);
    await h.executeUpdate(postmortemActionUpdate, {
      args: [
        action(h.workflowId, { kind: 'add-item', title: 'alert on 5xx', owner: 'dave', dueAt: '2099-01-01T00:00:00Z' }),
      ],
    });
    const close: PostmortemAction = { kind: 'close-item', itemId: 'ai-1', reason: 'done' };
    await expect(
      h.executeUpdate(postmortemActionUpdate, { args: [action(h.workflowId, close, { keys: OTHER_KEYS })] }),
    ).rejects.toMatchObject({
      cause: { message: "the postmortem action is not the API's: the signature does not match" },
    });
    await expect(
      h.executeUpdate(postmortemActionUpdate, { args: [action('postmortem-other', close)] }),
    ).rejects.toMatchObject({
      cause: { message: "the postmortem action is not the API's: signed for another postmortem" },
    });
    const unsigned = {
      kid: 'x',
      sig: 'x',
      payload: { purpose: 'postmortem-action', workflowId: h.workflowId, actor: 'mallory', action: close },
    };
    await expect(
      h.executeUpdate(postmortemActionUpdate, { args: [unsigned as unknown as SignedPostmortemAction] }),
    ).rejects.toMatchObject({ cause: { message: expect.stringContaining('signed with an unknown key') } });
    await expect(
      h.executeUpdate(postmortemActionUpdate, { args: [close as unknown as SignedPostmortemAction] }),
    ).rejects.toMatchObject({ cause: { message: expect.stringContaining('come signed through the API') } });
    await h.signal(postmortemActionSignal, { actor: 'mallory', action: close });
    const s = await waitFor('the unsigned signal noted', async () => {
      const st = await state(h);
      return st.unverified.length ? st : undefined;
    });
    expect(s.items[0]?.state).toBe('open');
    expect(s.unverified[0]).toMatchObject({
      message: 'postmortemActionUnsigned',
      claimed: expect.stringContaining('mallory'),
    });

    const r = await h.executeUpdate(postmortemActionUpdate, {
      args: [action(h.workflowId, close, { actor: 'dave', channel: 'cli' })],
    });
    expect(r).toMatchObject({ accepted: true, itemId: 'ai-1', text: 'ai-1 closed by dave (cli): done' });
    await expect(
      h.executeUpdate(postmortemActionUpdate, { args: [action(h.workflowId, close)] }),
    ).rejects.toMatchObject({
      cause: { message: 'ai-1 is already closed' },
    });
    await waitFor('the item issue closed', () => seen.closed.includes('2'));
    expect((await state(h)).items[0]).toMatchObject({
      state: 'closed',
      closedBy: 'dave',
      closedVia: 'cli',
      ticketClosed: true,
    });
  });
});

test('a tracker event closes its own item once: a duplicate delivery is counted once, another issue is refused', async () => {
  await run(async (h) => {
    await opened(h);
    await h.executeUpdate(postmortemActionUpdate, {
      args: [
        action(h.workflowId, {
          kind: 'add-item',
          title: 'runbook for failover',
          owner: 'dave',
          dueAt: '2099-01-01T00:00:00Z',
        }),
      ],
    });
    const ticket = await waitFor('the item issue', async () => (await state(h)).items[0]?.ticket);
    const event = (id: string, deliveryId: string): SignedPostmortemAction =>
      action(
        h.workflowId,
        { kind: 'close-item', itemId: 'ai-1', tracker: { kind: 'github', id, targets: ['postmortems'], deliveryId } },
        { actor: 'github-webhook', channel: 'github', requestId: deliveryId },
      );
    // The body's marker names ai-1, but the issue is another: refused.
    await expect(
      h.executeUpdate(postmortemActionUpdate, { args: [event('99', 'd-0')], updateId: 'delivery-d-0' }),
    ).rejects.toMatchObject({
      cause: { message: `the event is about issue 99, not ai-1's issue ${ticket.id}` },
    });
    const first = await h.executeUpdate(postmortemActionUpdate, {
      args: [event(ticket.id, 'd-1')],
      updateId: 'delivery-d-1',
    });
    expect(first).toMatchObject({ accepted: true, text: 'ai-1 closed by github-webhook (github)' });
    // The same delivery again: the same update id answers as before, and the run's own set refuses a new id.
    const again = await h.executeUpdate(postmortemActionUpdate, {
      args: [event(ticket.id, 'd-1')],
      updateId: 'delivery-d-1',
    });
    expect(again).toEqual(first);
    await expect(
      h.executeUpdate(postmortemActionUpdate, { args: [event(ticket.id, 'd-1')], updateId: 'delivery-d-1b' }),
    ).rejects.toMatchObject({
      cause: { message: 'duplicate delivery d-1' },
    });
    const s = await state(h);
    expect(s.deliveriesTaken).toBe(1);
    expect(s.items[0]).toMatchObject({ state: 'closed', closedVia: 'github', ticketClosed: true });
  });
});

test('continue-as-new carries the state: items, counters, delivery ids; and a continued run is not verified again', async () => {
  await run(
    async (h, seen) => {
      await opened(h);
      for (let i = 1; i <= 4; i++)
        await h.executeUpdate(postmortemActionUpdate, {
          args: [
            action(h.workflowId, {
              kind: 'add-item',
              title: `item ${i}`,
              owner: 'dave',
              dueAt: '2099-01-01T00:00:00Z',
            }),
          ],
        });
      const ticket = await waitFor('item issues', async () => (await state(h)).items[0]?.ticket);
      await h.executeUpdate(postmortemActionUpdate, {
        args: [
          action(
            h.workflowId,
            {
              kind: 'close-item',
              itemId: 'ai-1',
              tracker: { kind: 'github', id: ticket.id, targets: ['postmortems'], deliveryId: 'd-9' },
            },
            { channel: 'github', actor: 'github-webhook' },
          ),
        ],
      });
      const s = await waitFor('a continued run', async () => {
        const st = await state(h);
        return st.runs > 1 && st.items.every((i) => i.ticket) ? st : undefined;
      });
      const d = await h.describe();
      expect(d.runId).not.toBe(h.firstExecutionRunId);
      expect(s.items.map((i) => [i.id, i.state])).toEqual([
        ['ai-1', 'closed'],
        ['ai-2', 'open'],
        ['ai-3', 'open'],
        ['ai-4', 'open'],
      ]);
      expect(s.deliveriesTaken).toBe(1);
      await expect(
        h.executeUpdate(postmortemActionUpdate, {
          args: [
            action(
              h.workflowId,
              {
                kind: 'close-item',
                itemId: 'ai-2',
                tracker: { kind: 'github', id: 'x', targets: ['postmortems'], deliveryId: 'd-9' },
              },
              { channel: 'github', actor: 'github-webhook' },
            ),
          ],
        }),
      ).rejects.toMatchObject({ cause: { message: 'duplicate delivery d-9' } });
      const next = await h.executeUpdate(postmortemActionUpdate, {
        args: [
          action(h.workflowId, { kind: 'add-item', title: 'item 5', owner: 'dave', dueAt: '2099-01-01T00:00:00Z' }),
        ],
      });
      expect(next.itemId).toBe('ai-5');
      // No issue opened twice across runs (the same keys).
      expect(new Set(seen.created.map((c) => c.key)).size).toBe(seen.created.length);
    },
    { historyLimit: 40, over: { dueAt: undefined, reportDueAt: undefined } },
  );
});

test('a start the incident did not sign does nothing', async () => {
  const taskQueue = uniqueQueue('postmortem');
  const { activities, seen } = fakes();
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: { code: withSigningKeys(bundle.code, TEST_KEYS) },
    activities,
    sinks: createWorkerMetrics().sinks,
  });
  await worker.runUntil(async () => {
    const t0 = await env.currentTimeMs();
    const workflowId = `postmortem-${taskQueue}`;
    const h = await env.client.workflow.start(POSTMORTEM_WORKFLOW, {
      taskQueue,
      workflowId,
      args: [startArgs(workflowId, definition(t0), t0, OTHER_KEYS)],
      workflowExecutionTimeout: '1h',
    });
    await expect(h.result()).rejects.toMatchObject({
      cause: { message: expect.stringContaining('the start is not the API'), type: FAILURE.Unverified },
    });
  });
  expect(seen.created).toEqual([]);
});
