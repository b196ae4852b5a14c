/**
 * The trust boundary, through the door an attacker with Temporal write access uses (a raw
 * client, as the Web UI's Start and Signal forms are): a run acts only on what the API signed.
 */
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { signDecision } from '../../src/runs/sign';
import { RUNBOOK_WORKFLOW } from '../../src/shared/constants';
import { decideApprovalUpdate, statusQuery } from '../../src/shared/messages';
import type { RunbookWorkflowInput } from '../../src/shared/workflow-types';
import { startReceiver, type Receiver } from '../support/http-receiver';
import { createTestWorker, libraryOf, runbookFromYaml } from '../support/runbook-worker';
import { OTHER_KEYS, signed, signedDecision, TEST_KEYS } from '../support/signing';
import { connectTestEnv, waitForStatus } from '../support/temporal';

let env: TestWorkflowEnvironment;
let target: Receiver;

beforeAll(async () => {
  env = await connectTestEnv();
  target = await startReceiver();
  target.on('/change', () => ({ status: 200, body: { ok: true } }));
});
afterAll(async () => {
  await target?.close();
  await env?.teardown();
});

const changing = () =>
  runbookFromYaml(`
id: changing
title: Changing
steps:
  - id: gate
    approval: { message: go?, approvers: [bob, carol] }
    timeout: 10m
  - id: change
    action: http:request:send
    with: { method: POST, url: "${target.url}/change" }
`);

const alice = { source: 'api' as const, requestedBy: 'alice' };

/** Starts a run with exactly these args on a worker of its own; `act` runs while it runs. */
async function attempt(
  args: (workflowId: string) => RunbookWorkflowInput,
  act: (h: WorkflowHandle) => Promise<void> = async () => undefined,
  o: { unsignedStarts?: boolean } = {},
): Promise<{ error?: unknown; changes: number; handle: WorkflowHandle }> {
  const { worker, taskQueue } = await createTestWorker(env, { library: libraryOf(changing()), ...o });
  const before = target.received.filter((r) => r.path === '/change').length;
  return worker.runUntil(async () => {
    const workflowId = `trust-${taskQueue}`;
    const handle = await env.client.workflow.start(RUNBOOK_WORKFLOW, {
      taskQueue,
      workflowId,
      args: [args(workflowId)],
      workflowExecutionTimeout: '1m',
    });
    await act(handle);
    const error = await handle.result().then(
      () => undefined,
      (e: unknown) => e,
    );
    return { error, changes: target.received.filter((r) => r.path === '/change').length - before, handle };
  });
}

const unverified = (message: RegExp) => ({ cause: { type: 'Unverified', message: expect.stringMatching(message) } });

describe('a start acts only when the API signed it', () => {
  test('an inline definition without a signature (the Web UI form, a raw client) is refused; nothing runs', async () => {
    const r = await attempt(() => ({ runbook: changing(), trigger: alice }));
    expect(r.error).toBeInstanceOf(WorkflowFailedError);
    expect(r.error).toMatchObject(unverified(/^an inline runbook definition needs the API's signature/));
    expect(r.changes).toBe(0);
  });

  test.each([
    [
      'another key',
      (id: string) => signed({ runbook: changing(), trigger: alice }, id, OTHER_KEYS),
      /signature does not match/,
    ],
    [
      'another workflow id',
      () => signed({ runbook: changing(), trigger: alice }, 'some-other-run'),
      /another workflow id/,
    ],
    [
      'a definition swapped after signing',
      (id: string) => ({
        ...signed({ runbook: changing(), trigger: alice }, id),
        runbook: { ...changing(), title: 'Evil' },
      }),
      /not the one signed/,
    ],
    [
      'claims edited after signing',
      (id: string) => {
        const s = signed({ runbook: changing(), trigger: alice }, id);
        return { ...s, signed: { ...s.signed!, payload: { ...s.signed!.payload, emergency: true } } };
      },
      /signature does not match/,
    ],
  ])('signed with %s: refused, nothing runs', async (_what, args, why) => {
    const r = await attempt(args);
    expect(r.error).toMatchObject(unverified(why));
    expect(r.changes).toBe(0);
  });

  test('the run takes requester, groups and emergency from the signature, never from the fields beside it', async () => {
    const r = await attempt(
      (id) => ({
        ...signed({ runbook: changing(), trigger: alice }, id),
        trigger: { source: 'api', requestedBy: 'mallory' },
        emergency: true,
        approverGroups: { sre: ['mallory'] },
      }),
      async (h) => {
        const s = await waitForStatus(h, (x) => x.phase === 'waiting_approval');
        expect(s.trigger.requestedBy).toBe('alice');
        expect(s.emergency).toBe(false);
        await h.executeUpdate(decideApprovalUpdate, {
          args: [await signedDecision(h, { stepId: 'gate', decision: 'approve', actor: 'bob' })],
        });
      },
    );
    expect(r.error).toBeUndefined();
    expect(r.changes).toBe(1);
  });

  test('a start by runbook id (the Web UI form) runs the library version; its requester is unverified, no emergency', async () => {
    const r = await attempt(
      () => ({ runbookId: 'changing', params: {}, trigger: alice, emergency: true }),
      async (h) => {
        const s = await waitForStatus(h, (x) => x.phase === 'waiting_approval');
        expect(s.trigger).toEqual({ source: 'web-ui', requestedBy: 'unverified' });
        expect(s.emergency).toBe(false);
        // Nobody is its verified requester: alice, who typed her name, may approve it like anyone allowed.
        await h.executeUpdate(decideApprovalUpdate, {
          args: [await signedDecision(h, { stepId: 'gate', decision: 'approve', actor: 'carol' })],
        });
      },
    );
    expect(r.error).toBeUndefined();
    expect(r.changes).toBe(1);
  });

  test('with worker.unsignedStarts false, a start by id is refused too', async () => {
    const r = await attempt(() => ({ runbookId: 'changing', params: {} }), undefined, { unsignedStarts: false });
    expect(r.error).toMatchObject({ cause: { cause: { type: 'Unverified' } } });
    expect(r.changes).toBe(0);
  });
});

describe('a decision counts only when the API signed it, for this run, this opening and this person', () => {
  const refusals: Array<[string, (h: WorkflowHandle) => Promise<unknown>, RegExp]> = [
    [
      'unsigned, naming another person',
      async () => ({ stepId: 'gate', decision: 'approve', actor: 'bob', via: 'cli' }),
      /^decisions come signed through the API/,
    ],
    [
      'signed with another key',
      (h) => signedDecision(h, { stepId: 'gate', decision: 'approve', actor: 'bob' }, OTHER_KEYS),
      /signature does not match/,
    ],
    [
      'signed for another run',
      async (h) =>
        signDecision(TEST_KEYS, {
          workflowId: `${h.workflowId}-other`,
          stepId: 'gate',
          actor: 'bob',
          decision: 'approve',
          channel: 'api',
        }),
      /signed for another run/,
    ],
    [
      'expired',
      async (h) =>
        // Made an hour ago: its five minutes are long over.
        signDecision(
          TEST_KEYS,
          {
            workflowId: h.workflowId,
            stepId: 'gate',
            opening: (await h.query(statusQuery)).pendingApprovals[0]?.requestedAt ?? '',
            actor: 'bob',
            decision: 'approve',
            channel: 'api',
          },
          Date.now() - 3_600_000,
        ),
      /expired at/,
    ],
    [
      'for an earlier opening of the gate',
      (h) =>
        signedDecision(h, { stepId: 'gate', decision: 'approve', actor: 'bob', opening: '2020-01-01T00:00:00.000Z' }),
      /earlier opening of 'gate'/,
    ],
    [
      'by a look-alike of an approver',
      (h) => signedDecision(h, { stepId: 'gate', decision: 'approve', actor: 'Bob' }),
      /not a canonical identity/,
    ],
  ];

  test('forged, replayed and look-alike decisions are refused with their reason; the gate stays open', async () => {
    const r = await attempt(
      (id) => signed({ runbook: changing(), trigger: alice }, id),
      async (h) => {
        await waitForStatus(h, (x) => x.phase === 'waiting_approval');
        for (const [what, make, why] of refusals) {
          const answer = await h.executeUpdate(decideApprovalUpdate, { args: [(await make(h)) as never] }).then(
            () => 'accepted',
            (e: { cause?: { message?: string } }) => e.cause?.message ?? String(e),
          );
          expect({ what, answer }).toEqual({ what, answer: expect.stringMatching(why) });
        }
        const s = await h.query(statusQuery);
        expect(s.decisions).toEqual([]);
        expect(s.pendingApprovals).toHaveLength(1);
        // The real one, through the API's signature, with its channel taken from the claims.
        await h.executeUpdate(decideApprovalUpdate, {
          args: [await signedDecision(h, { stepId: 'gate', decision: 'approve', actor: 'carol', channel: 'cli' })],
        });
        const done = await waitForStatus(h, (x) => x.phase === 'succeeded');
        expect(done.decisions).toEqual([expect.objectContaining({ actor: 'carol', via: 'cli' })]);
      },
    );
    expect(r.error).toBeUndefined();
    expect(r.changes).toBe(1);
  });
});
