/**
 * `notify:email:send`: one email over SMTP through a `kind: email` target. The Message-ID comes
 * from the step, so a retried step sends the same message again, not a new one: receivers'
 * clients show it once.
 */
import { z } from 'zod';
import { FAILURE } from '../shared/failures';
import { NOTIFY_NON_RETRYABLE } from './notify';
import type { CatalogEntry } from './types';

/** SMTP lines are at most 998 characters; a subject past this is a mistake, not a subject. */
const MAX_SUBJECT = 900;
/** The body is a notification, not a report: larger content belongs in a link. */
const MAX_BODY = 512 * 1024;

export const notifyEmailSendInput = z
  .object({
    target: z.string().min(1).describe('A `kind: email` target named in configuration (notify.targets).'),
    subject: z.string().min(1).max(MAX_SUBJECT),
    text: z.string().min(1).max(MAX_BODY).describe('The plain-text body.'),
    html: z.string().min(1).max(MAX_BODY).optional().describe('An HTML body beside the text. Default: text only.'),
    to: z.array(z.email()).min(1).max(100).optional().describe("Recipients instead of the target's `to` list."),
  })
  .strict();
export type NotifyEmailSendInput = z.infer<typeof notifyEmailSendInput>;

export const notifyEmailSendOutput = z.object({
  target: z.string(),
  /** As the header has it: `<...@durable-runbooks>`. */
  messageId: z.string(),
  accepted: z.array(z.string()),
  rejected: z.array(z.string()),
  delivered: z.boolean(),
});
export type NotifyEmailSendResult = z.infer<typeof notifyEmailSendOutput>;

export const notifyEmailSend: CatalogEntry<
  typeof notifyEmailSendInput,
  typeof notifyEmailSendOutput,
  'notify:email:send'
> = {
  id: 'notify:email:send',
  description:
    'Send an email over SMTP through a configured email target (host, TLS, sender and recipients in configuration; ' +
    "credentials are named secrets bound to the server). The Message-ID is the step's, so a retry sends the same message.",
  input: notifyEmailSendInput,
  output: notifyEmailSendOutput,
  // As notify:webhook:post: no system we manage changes, but a dry run mails nobody.
  mutating: false,
  skipInDryRun: true,
  nonRetryable: [...NOTIFY_NON_RETRYABLE, FAILURE.SmtpRejected],
  describe: (i) => `email ${i.target}${i.to ? ` to ${i.to.join(', ')}` : ''}: ${i.subject}`,
  example: {
    with: {
      target: 'stakeholders',
      subject: 'checkout is degraded: failover started',
      text: 'The checkout service is failing over to the standby region. Next update in 30 minutes.',
    },
    note: "`to:` sends to other recipients than the target's; `html:` adds an HTML body beside the text",
  },
};
