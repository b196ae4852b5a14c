/**
 * The postmortem service over a fake Temporal client: what it signs (claims the workflow's own
 * verifier accepts, for that workflow only), the update id a delivery becomes (so a redelivery
 * is one update), which ticket targets an event's repository or project is, and how the run's
 * refusals read to a tracker (duplicate, already closed, not the item's issue) and to a person (409).
 */
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { loadConfig, type AppConfig } from '../../src/config/load';
import { createPostmortemService, type TrackerEvent } from '../../src/runs/postmortems';
import { POSTMORTEM_WORKFLOW } from '../../src/shared/constants';
import type { PostmortemActionClaims } from '../../src/shared/postmortem';
import { verifySigned } from '../../src/shared/signed';
import { TEST_KEYS } from '../support/signing';

const WF = 'postmortem-INC-7';
const base = loadConfig({}, process.cwd());
const config: AppConfig = {
  ...base,
  signingKeys: () => TEST_KEYS,
  ticketTargets: {
    postmortems: {
      kind: 'github',
      repo: 'acme/checkout',
      tokenSecret: 't',
      baseUrl: 'https://api.github.com',
      labels: ['postmortem'],
    },
    ops: {
      kind: 'jira',
      baseUrl: 'https://example.atlassian.net',
      project: 'OPS',
      issueType: 'Task',
      emailSecret: 'e',
      tokenSecret: 't',
      doneTransition: 'Done',
    },
  },
};

function fakeClient(o: { type?: string; status?: string; refuse?: string } = {}) {
  const updates: Array<{ workflowId: string; updateId?: string; claims: PostmortemActionClaims }> = [];
  const client = {
    connection: { withDeadline: <T>(_d: number, fn: () => Promise<T>) => fn() },
    workflow: {
      getHandle: (workflowId: string) => ({
        describe: async () => ({
          type: o.type ?? POSTMORTEM_WORKFLOW,
          status: { name: o.status ?? 'RUNNING' },
          runId: 'run-1',
          startTime: new Date(0),
        }),
        executeUpdate: async (_def: unknown, u: { args: [unknown]; updateId?: string }) => {
          const v = verifySigned<PostmortemActionClaims>(TEST_KEYS, u.args[0], 'postmortem-action', Date.now());
          if (!v.ok) throw new Error(v.reason);
          updates.push({ workflowId, ...(u.updateId ? { updateId: u.updateId } : {}), claims: v.payload });
          if (o.refuse)
            throw new WorkflowUpdateFailedError(
              'Workflow Update failed',
              ApplicationFailure.create({ message: o.refuse }),
            );
          return { accepted: true, text: 'ai-1 closed by github-webhook (github)', itemId: 'ai-1', phase: 'open' };
        },
      }),
    },
  };
  return { client: client as unknown as Client, updates };
}

const marker = `<!-- durable-runbooks:postmortem-item=ai-1 workflow=${WF} -->`;
const gh = (over: Partial<Extract<TrackerEvent, { kind: 'github' }>> = {}): TrackerEvent => ({
  kind: 'github',
  deliveryId: 'd-1',
  action: 'closed',
  state: 'closed',
  repo: 'Acme/Checkout',
  number: 42,
  body: `text\n\n${marker}`,
  ...over,
});

test('a closed GitHub issue: signed for the named postmortem, the delivery as the update id, the targets that repository is', async () => {
  const { client, updates } = fakeClient();
  const svc = createPostmortemService({ client, config });
  expect(await svc.closeItemFromTracker(gh())).toEqual({
    outcome: 'closed',
    workflowId: WF,
    itemId: 'ai-1',
    text: 'ai-1 closed by github-webhook (github)',
  });
  expect(updates).toEqual([
    {
      workflowId: WF,
      updateId: 'delivery-github-d-1',
      claims: expect.objectContaining({
        purpose: 'postmortem-action',
        workflowId: WF,
        actor: 'github-webhook',
        channel: 'github',
        requestId: 'delivery-github-d-1',
        action: {
          kind: 'close-item',
          itemId: 'ai-1',
          tracker: { kind: 'github', id: '42', targets: ['postmortems'], deliveryId: 'd-1' },
        },
      }),
    },
  ]);
});

test('a Jira issue done: its label names the item, its key prefix the project', async () => {
  const { client, updates } = fakeClient();
  const svc = createPostmortemService({ client, config });
  const e: TrackerEvent = {
    kind: 'jira',
    deliveryId: 'j-1',
    webhookEvent: 'jira:issue_updated',
    key: 'OPS-7',
    statusCategory: 'done',
    labels: [`dr-pm.ai-1.${WF}`],
  };
  expect((await svc.closeItemFromTracker(e)).outcome).toBe('closed');
  expect(updates[0]?.claims.action).toEqual({
    kind: 'close-item',
    itemId: 'ai-1',
    tracker: { kind: 'jira', id: 'OPS-7', targets: ['ops'], deliveryId: 'j-1' },
  });
});

test('events that close nothing are ignored before Temporal is asked', async () => {
  const { client, updates } = fakeClient();
  const svc = createPostmortemService({ client, config });
  expect(await svc.closeItemFromTracker(gh({ body: 'no marker' }))).toEqual({
    outcome: 'ignored',
    reason: 'the issue names no postmortem action item',
  });
  expect(await svc.closeItemFromTracker(gh({ action: 'reopened', state: 'open' }))).toMatchObject({
    outcome: 'ignored',
    reason: "an issues 'reopened' event closes nothing",
  });
  expect(await svc.closeItemFromTracker(gh({ repo: 'evil/fork' }))).toMatchObject({
    outcome: 'ignored',
    reason: 'no ticket target is the repository evil/fork',
  });
  expect(updates).toEqual([]);
});

test("the run's refusals: a duplicate delivery, an item closed already, another issue; and no run by that id", async () => {
  const cases: Array<[string, string]> = [
    ['duplicate delivery d-1', 'duplicate'],
    ['ai-1 is already closed', 'ignored'],
    ["the event is about issue 42, not ai-1's issue 41", 'refused'],
  ];
  for (const [refuse, outcome] of cases) {
    const svc = createPostmortemService({ client: fakeClient({ refuse }).client, config });
    expect(await svc.closeItemFromTracker(gh())).toEqual({ outcome, reason: refuse, workflowId: WF, itemId: 'ai-1' });
  }
  const notOurs = createPostmortemService({ client: fakeClient({ type: 'runbookWorkflow' }).client, config });
  expect(await notOurs.closeItemFromTracker(gh())).toMatchObject({
    outcome: 'ignored',
    reason: `no postmortem '${WF}'`,
  });
  const ended = createPostmortemService({ client: fakeClient({ status: 'COMPLETED' }).client, config });
  expect(await ended.closeItemFromTracker(gh())).toMatchObject({
    outcome: 'ignored',
    reason: 'the postmortem has already ended (COMPLETED)',
  });
});

test('a person’s action: signed with their identity and channel; a refusal is a 409', async () => {
  const { client, updates } = fakeClient();
  const svc = createPostmortemService({ client, config });
  await svc.act(WF, { kind: 'complete', url: 'https://docs.test/pm' }, 'alice', 'cli', 'r-1');
  expect(updates[0]).toMatchObject({
    updateId: 'r-1',
    claims: { actor: 'alice', channel: 'cli', action: { kind: 'complete', url: 'https://docs.test/pm' } },
  });
  const refusing = createPostmortemService({ client: fakeClient({ refuse: 'ai-1 is already closed' }).client, config });
  await expect(refusing.act(WF, { kind: 'close-item', itemId: 'ai-1' }, 'alice', 'api')).rejects.toMatchObject({
    kind: 'conflict',
    message: 'ai-1 is already closed',
  });
  const notOurs = createPostmortemService({ client: fakeClient({ type: 'runbookWorkflow' }).client, config });
  await expect(notOurs.act(WF, { kind: 'note', text: 'x' }, 'alice', 'api')).rejects.toMatchObject({
    kind: 'not_found',
  });
});
