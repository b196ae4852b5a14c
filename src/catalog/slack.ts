/**
 * `notify:slack:post` and `notify:slack:update`: Slack Web API messages through a configured
 * `kind: slack` target (a bot token by secret name, a channel id). A run's own live message,
 * its thread and its buttons use the same two actions (src/workflows/runbook/announce.ts).
 */
import { z } from 'zod';
import { noticeEvent, NOTIFY_NON_RETRYABLE } from './notify';
import type { CatalogEntry } from './types';

const blocks = z
  .array(z.record(z.string(), z.json()))
  .max(50)
  .optional()
  .describe('Block Kit blocks (at most 50); `text` is then the notification fallback.');
const text = z.string().min(1).max(40_000);

export const notifySlackPostInput = z
  .object({
    target: z.string().min(1).describe('A `kind: slack` target named in configuration (notify.targets).'),
    text,
    blocks,
    threadTs: z.string().min(1).optional().describe("Reply in this message's thread."),
    key: z
      .string()
      .min(1)
      .max(255)
      .optional()
      .describe('Set on the message (metadata) so a retry finds it instead of posting twice. Default: the step.'),
    runLink: z.boolean().default(true).describe('Append a link to the run in the Web UI.'),
    event: noticeEvent,
  })
  .strict();
export type NotifySlackPostInput = z.infer<typeof notifySlackPostInput>;

export const notifySlackPostOutput = z.object({
  target: z.string(),
  channel: z.string(),
  ts: z.string(),
  reused: z.boolean(),
  delivered: z.boolean(),
});
export type NotifySlackPostResult = z.infer<typeof notifySlackPostOutput>;

export const notifySlackPost: CatalogEntry<
  typeof notifySlackPostInput,
  typeof notifySlackPostOutput,
  'notify:slack:post'
> = {
  id: 'notify:slack:post',
  description:
    'Post a Slack message (chat.postMessage, Block Kit) to the channel of a configured slack target, or into a thread. ' +
    "Answers the message's channel and ts, for notify:slack:update.",
  input: notifySlackPostInput,
  output: notifySlackPostOutput,
  mutating: false,
  skipInDryRun: true,
  nonRetryable: [...NOTIFY_NON_RETRYABLE],
  describe: (i) => `slack ${i.target}${i.threadTs ? ' (thread)' : ''}: ${i.text}`,
  example: { with: { target: 'ops-slack', text: 'Deploy of checkout started' } },
};

export const notifySlackUpdateInput = z
  .object({
    target: z.string().min(1).describe('The slack target the message was posted through.'),
    channel: z.string().min(1).optional().describe("The message's channel id. Default: the target's."),
    ts: z.string().min(1).describe("The message's ts, as notify:slack:post answered it."),
    text,
    blocks,
    runLink: z.boolean().default(true).describe('Append a link to the run in the Web UI.'),
    event: noticeEvent,
  })
  .strict();
export type NotifySlackUpdateInput = z.infer<typeof notifySlackUpdateInput>;

export const notifySlackUpdateOutput = z.object({
  target: z.string(),
  channel: z.string(),
  ts: z.string(),
  delivered: z.boolean(),
});
export type NotifySlackUpdateResult = z.infer<typeof notifySlackUpdateOutput>;

export const notifySlackUpdate: CatalogEntry<
  typeof notifySlackUpdateInput,
  typeof notifySlackUpdateOutput,
  'notify:slack:update'
> = {
  id: 'notify:slack:update',
  description:
    'Replace the text and blocks of a Slack message the target posted (chat.update): the same message, in place.',
  input: notifySlackUpdateInput,
  output: notifySlackUpdateOutput,
  mutating: false,
  skipInDryRun: true,
  nonRetryable: [...NOTIFY_NON_RETRYABLE],
  describe: (i) => `slack ${i.target}: update ${i.ts}: ${i.text}`,
  example: {
    with: { target: 'ops-slack', ts: '1503435956.000247', text: 'Deploy of checkout finished' },
    note: "ts is what notify:slack:post answered, e.g. '${{ steps.announce.output.ts }}'",
  },
};
