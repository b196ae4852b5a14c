import { z } from 'zod';
import { FAILURE } from '../shared/failures';
import { MESSAGE_EVENT_KINDS } from '../shared/message-events';
import type { CatalogEntry } from './types';

/**
 * What no notify action retries: a target or input that is wrong stays wrong, an HTTP refusal
 * (other than 408 and 429) is the receiver's answer, and a secret or destination refused here is
 * refused on every try. Channels add their own (email: SmtpRejected).
 */
export const NOTIFY_NON_RETRYABLE = [
  FAILURE.InvalidInput,
  FAILURE.UnknownTarget,
  FAILURE.TargetKindUnsupported,
  FAILURE.HttpClientError,
  FAILURE.MissingSecret,
  FAILURE.SecretNotAllowed,
  FAILURE.EgressRefused,
] as const;

/**
 * Sent by the run with its own notices: the configured template for the kind (notify.templates)
 * then gives the text and title, `message` being what is sent if it cannot render.
 */
export const noticeEvent = z
  .object({ kind: z.enum(MESSAGE_EVENT_KINDS), scope: z.record(z.string(), z.json()) })
  .strict()
  .optional()
  .describe("The run's own notices: the event kind whose template (notify.templates.events) gives the text.");

export const notifyWebhookInput = z
  .object({
    target: z
      .string()
      .min(1)
      .default('default')
      .describe('A target named in configuration (notify.targets or notify.webhooks), of any kind that sends.'),
    message: z.string().min(1),
    title: z.string().optional(),
    severity: z.string().optional(),
    fields: z.record(z.string(), z.json()).optional(),
    event: noticeEvent,
  })
  .strict();
export type NotifyWebhookInput = z.infer<typeof notifyWebhookInput>;

export const notifyWebhookOutput = z.object({
  target: z.string(),
  status: z.number(),
  delivered: z.boolean(),
});
export type NotifyWebhookResult = z.infer<typeof notifyWebhookOutput>;

export const notifyWebhook: CatalogEntry<typeof notifyWebhookInput, typeof notifyWebhookOutput, 'notify:webhook:post'> =
  {
    id: 'notify:webhook:post',
    formerly: { ids: ['notify:webhook'], activity: 'notifyWebhook' },
    description:
      'Send a notification about the run to a configured target, whatever its kind: a JSON POST to a webhook, ' +
      'a trigger to PagerDuty. Addresses and credentials live in configuration, never in the runbook or history.',
    input: notifyWebhookInput,
    output: notifyWebhookOutput,
    // Telling people changes no system (kill switches and locks ignore it), but a dry run must not
    // page anyone: it records the message instead.
    mutating: false,
    skipInDryRun: true,
    nonRetryable: [...NOTIFY_NON_RETRYABLE, FAILURE.SmtpRejected],
    describe: (i) => `notify ${i.target}: ${i.message}`,
    example: { with: { target: 'default', message: 'Runbook example finished', severity: 'info' } },
  };
