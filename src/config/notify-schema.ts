/**
 * `notify:` in the configuration file: targets by name, each of one kind (a discriminated
 * schema), and the message templates. Credentials are secrets by name, bound to their hosts by
 * `secrets.<name>.sendTo`; none is ever written here.
 */
import { z } from 'zod';
import { parseExpression } from '../shared/expression';
import { MESSAGE_EVENT_KINDS } from '../shared/message-events';
import { templateExpressions } from '../shared/template';

const webhookFields = {
  /** Development only (any kind): deliver to the API's own inbox (needs api.devInbox). */
  devInbox: z.literal(true).optional(),
  url: z.url().optional(),
  urlSecret: z.string().optional(),
  headers: z.record(z.string(), z.string()).optional(),
  secretHeaders: z
    .record(z.string(), z.object({ secret: z.string(), prefix: z.string().optional() }).strict())
    .optional(),
};
const oneDestination = (t: { url?: string | undefined; urlSecret?: string | undefined; devInbox?: true | undefined }) =>
  [t.url, t.urlSecret, t.devInbox].filter((x) => x !== undefined).length === 1;
const ONE_DESTINATION = { message: 'give exactly one of url, urlSecret, devInbox' };

/** `notify.webhooks.<name>`: the older spelling of a `kind: webhook` target. */
export const webhookTarget = z.object(webhookFields).strict().refine(oneDestination, ONE_DESTINATION);

/** The kinds a `notify.targets` entry may have (docs/notifications.md). */
export const NOTIFY_KINDS = ['webhook', 'pagerduty', 'slack', 'slack-webhook', 'email', 'statuspage', 'redis'] as const;
export type NotifyKind = (typeof NOTIFY_KINDS)[number];

const secretName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a secret name: letters, digits, . _ -');
const devInbox = z.literal(true).optional();

/** Each kind's credentials are secrets by name; a devInbox target needs none (it posts to the inbox). */
function needs(...fields: string[]) {
  return [
    (t: Record<string, unknown>) => t.devInbox === true || fields.every((f) => t[f] !== undefined),
    { message: `give ${fields.join(' and ')}, or devInbox: true` },
  ] as const;
}

const pagerdutyTarget = z
  .object({
    kind: z.literal('pagerduty'),
    devInbox,
    /** The secret holding the Events API v2 integration key (bind it: secrets.<name>.sendTo). */
    routingKeySecret: secretName.optional(),
    /** @default https://events.pagerduty.com */
    baseUrl: z.url().optional(),
    /** The event's `payload.source` when an action gives none. @default the runbook's id */
    source: z.string().min(1).optional(),
  })
  .strict()
  .refine(...needs('routingKeySecret'));

const slackTarget = z
  .object({
    kind: z.literal('slack'),
    devInbox,
    /** The secret holding the bot token (`xoxb-…`), bound to the Web API's host. */
    tokenSecret: secretName.optional(),
    /** The channel's ID (`C0123456789`); a name works for posting but not for updates. */
    channel: z.string().min(1).optional(),
    /** @default https://slack.com/api */
    baseUrl: z.url().optional(),
  })
  .strict()
  .refine(...needs('tokenSecret', 'channel'));
const slackWebhookTarget = z
  .object({
    kind: z.literal('slack-webhook'),
    devInbox,
    /** The secret holding the incoming webhook's URL (the URL is the credential). */
    urlSecret: secretName.optional(),
  })
  .strict()
  .refine(...needs('urlSecret'));
const emailTarget = z
  .object({
    kind: z.literal('email'),
    devInbox,
    host: z.string().min(1).optional(),
    /** @default 465 when secure, else 587 */
    port: z.number().int().min(1).max(65535).optional(),
    /** TLS from the first byte (port 465). @default false */
    secure: z.boolean().optional(),
    /** Refuse to send unless the server offers STARTTLS. @default true, but false for a loopback host */
    requireTLS: z.boolean().optional(),
    usernameSecret: secretName.optional(),
    passwordSecret: secretName.optional(),
    from: z.email().optional(),
    to: z.array(z.email()).min(1).optional(),
  })
  .strict()
  .refine(...needs('host', 'from', 'to'))
  .refine((t) => (t.usernameSecret === undefined) === (t.passwordSecret === undefined), {
    message: 'give usernameSecret and passwordSecret together, or neither',
  });
const statuspageTarget = z
  .object({
    kind: z.literal('statuspage'),
    devInbox,
    pageId: z.string().min(1).optional(),
    /** The secret holding the API key (sent as `Authorization: OAuth <key>`). */
    tokenSecret: secretName.optional(),
    /** @default https://api.statuspage.io */
    baseUrl: z.url().optional(),
    /** Component names runbooks may use, by their Statuspage ids. @default none (ids only) */
    components: z.record(z.string().min(1), z.string().min(1)).optional(),
  })
  .strict()
  .refine(...needs('pageId', 'tokenSecret'));
/** Operational events: `runbook_event`s on the events channel and stream (REDIS_URL; docs/events.md). */
const redisTarget = z.object({ kind: z.literal('redis'), devInbox }).strict();

/** `notify.targets.<name>`: a target and its kind. */
export const notifyTarget = z.discriminatedUnion(
  'kind',
  [
    z
      .object({ kind: z.literal('webhook'), ...webhookFields })
      .strict()
      .refine(oneDestination, ONE_DESTINATION),
    pagerdutyTarget,
    slackTarget,
    slackWebhookTarget,
    emailTarget,
    statuspageTarget,
    redisTarget,
  ],
  {
    error: (iss) =>
      iss.code === 'invalid_union' ? `one of ${NOTIFY_KINDS.join(', ')} (every target says its kind)` : undefined,
  },
);
export type NotifyTargetConfig = z.infer<typeof notifyTarget>;

/** A `${{ }}` template, its expressions parsed when the file is loaded. */
const templateText = z
  .string()
  .min(1)
  .max(4000)
  .superRefine((text, ctx) => {
    for (const e of templateExpressions(text)) {
      try {
        parseExpression(e);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: `invalid template \${{ ${e} }}: ${(err as Error).message}` });
      }
    }
  });

export { MESSAGE_EVENT_KINDS, type MessageEventKind } from '../shared/message-events';

/** The status page's four realtime statuses, whose bodies the seeds give as templates. */
export const STATUS_KINDS = ['investigating', 'identified', 'monitoring', 'resolved'] as const;
export type StatusKind = (typeof STATUS_KINDS)[number];

/** `notify.templates`: message texts per event kind and status, replacing the shipped ones. */
export const messageTemplates = z
  .object({
    events: z
      .partialRecord(
        z.enum(MESSAGE_EVENT_KINDS),
        z.object({ title: templateText.optional(), text: templateText }).strict(),
      )
      .optional(),
    status: z.partialRecord(z.enum(STATUS_KINDS), templateText).optional(),
  })
  .strict();
export type MessageTemplatesConfig = z.infer<typeof messageTemplates>;

/** `notify:` as a whole. */
export const notifySection = z
  .object({
    /** Targets by name, each with its kind (docs/notifications.md). */
    targets: z.record(z.string(), notifyTarget).default({}),
    /** The older spelling of `kind: webhook` targets; still read. */
    webhooks: z.record(z.string(), webhookTarget).default({}),
    templates: messageTemplates.optional(),
  })
  .strict();
