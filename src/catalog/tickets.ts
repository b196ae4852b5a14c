/**
 * `ticket:issue:create`, `ticket:issue:comment`, `ticket:issue:close`: postmortems and their
 * action items in a tracker (GitHub Issues, Jira Cloud), through a target named in
 * configuration (`tickets.targets`). A tracker is not a system runbooks remediate, so, as the
 * notify actions, these are not mutating but are skipped in dry runs.
 */
import { z } from 'zod';
import { NOTIFY_NON_RETRYABLE } from './notify';
import type { CatalogEntry } from './types';

const target = z.string().min(1).describe('A ticket target named in configuration (tickets.targets).');
const issueId = z
  .string()
  .min(1)
  .max(64)
  .describe('The issue as its tracker names it: a GitHub issue number (`42`), a Jira key (`OPS-7`).');

export const ticketIssueCreateInput = z
  .object({
    target,
    title: z.string().min(1).max(255),
    body: z.string().max(60_000).describe('Markdown on GitHub; on Jira each blank-line-separated block a paragraph.'),
    labels: z
      .array(z.string().min(1).max(50))
      .max(20)
      .optional()
      .describe("Added to the target's own labels (GitHub) or given as they are (Jira: no spaces)."),
    key: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .describe(
        "What makes a retry find the issue it opened instead of opening another. Default: the step's idempotency key (the run and the step).",
      ),
  })
  .strict();
export type TicketIssueCreateInput = z.infer<typeof ticketIssueCreateInput>;

export const ticketIssueCreateOutput = z.object({
  target: z.string(),
  kind: z.enum(['github', 'jira']),
  id: z.string(),
  url: z.string(),
  /** False when the issue was already there (a retry, or the same key again). */
  created: z.boolean(),
});
export type TicketIssueCreateResult = z.infer<typeof ticketIssueCreateOutput>;

export const ticketIssueCommentInput = z.object({ target, id: issueId, body: z.string().min(1).max(60_000) }).strict();
export type TicketIssueCommentInput = z.infer<typeof ticketIssueCommentInput>;

export const ticketIssueCommentOutput = z.object({ target: z.string(), id: z.string(), commentId: z.string() });
export type TicketIssueCommentResult = z.infer<typeof ticketIssueCommentOutput>;

export const ticketIssueCloseInput = z
  .object({
    target,
    id: issueId,
    reason: z
      .enum(['completed', 'not_planned'])
      .default('completed')
      .describe("GitHub's state_reason. Jira: the target's doneTransition decides the resolution."),
  })
  .strict();
export type TicketIssueCloseInput = z.infer<typeof ticketIssueCloseInput>;

export const ticketIssueCloseOutput = z.object({
  target: z.string(),
  id: z.string(),
  /** False when the issue was already closed (Jira: in a status of the done category). */
  changed: z.boolean(),
});
export type TicketIssueCloseResult = z.infer<typeof ticketIssueCloseOutput>;

export const ticketIssueCreate: CatalogEntry<
  typeof ticketIssueCreateInput,
  typeof ticketIssueCreateOutput,
  'ticket:issue:create'
> = {
  id: 'ticket:issue:create',
  description:
    'Open an issue (a postmortem, an action item) in a configured ticket target: GitHub Issues or Jira Cloud. ' +
    'Idempotent by key: a retry finds the issue it opened (a marker in the GitHub body, a dr-<hash> label on Jira) and opens no other.',
  input: ticketIssueCreateInput,
  output: ticketIssueCreateOutput,
  // A tracker is not a system we remediate (kill switches and locks ignore it), but a dry run opens nothing.
  mutating: false,
  skipInDryRun: true,
  nonRetryable: [...NOTIFY_NON_RETRYABLE],
  describe: (i) => `ticket ${i.target}: open '${i.title}'`,
  example: {
    with: {
      target: 'postmortems',
      title: 'Postmortem: checkout outage',
      body: 'Timeline and impact.\n\nAction items follow as their own issues.',
      labels: ['sev1'],
    },
    note: 'the answer names the issue (`id`) that ticket:issue:comment and ticket:issue:close take',
  },
};

export const ticketIssueComment: CatalogEntry<
  typeof ticketIssueCommentInput,
  typeof ticketIssueCommentOutput,
  'ticket:issue:comment'
> = {
  id: 'ticket:issue:comment',
  description: 'Add a comment to an issue in a configured ticket target (GitHub Issues or Jira Cloud).',
  input: ticketIssueCommentInput,
  output: ticketIssueCommentOutput,
  mutating: false,
  skipInDryRun: true,
  nonRetryable: [...NOTIFY_NON_RETRYABLE],
  describe: (i) => `ticket ${i.target}: comment on ${i.id}`,
  example: { with: { target: 'postmortems', id: '42', body: 'Remediated by the run; the alert resolved.' } },
};

export const ticketIssueClose: CatalogEntry<
  typeof ticketIssueCloseInput,
  typeof ticketIssueCloseOutput,
  'ticket:issue:close'
> = {
  id: 'ticket:issue:close',
  description:
    'Close an issue in a configured ticket target: GitHub (state closed, with its reason) or Jira (the ' +
    "target's doneTransition). An issue already closed is left as it is (`changed: false`).",
  input: ticketIssueCloseInput,
  output: ticketIssueCloseOutput,
  mutating: false,
  skipInDryRun: true,
  nonRetryable: [...NOTIFY_NON_RETRYABLE],
  describe: (i) => `ticket ${i.target}: close ${i.id} (${i.reason})`,
  example: { with: { target: 'postmortems', id: '42', reason: 'completed' } },
};
