import { z } from 'zod';
import { FAILURE } from '../shared/failures';
import type { CatalogEntry } from './types';

export const notifyWebhookInput = z
  .object({
    target: z.string().min(1).default('default').describe('A webhook target named in configuration (notify.webhooks).'),
    message: z.string().min(1),
    title: z.string().optional(),
    severity: z.string().optional(),
    fields: z.record(z.string(), z.json()).optional(),
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
      'POST a JSON notification about the run to a configured webhook target. The URL and any credentials ' +
      'live in configuration, never in the runbook or the run history.',
    input: notifyWebhookInput,
    output: notifyWebhookOutput,
    // Telling people changes no system (kill switches and locks ignore it), but a dry run must not
    // page anyone: it records the message instead.
    mutating: false,
    skipInDryRun: true,
    nonRetryable: [FAILURE.InvalidInput, FAILURE.UnknownTarget, FAILURE.HttpClientError, FAILURE.EgressRefused],
    describe: (i) => `notify ${i.target}: ${i.message}`,
    example: { with: { target: 'default', message: 'Runbook example finished', severity: 'info' } },
  };
