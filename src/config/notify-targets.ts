/**
 * Notification targets as the worker uses them: one type per kind, defaults applied, secrets
 * still by name (resolved in activities, only for the hosts they are bound to).
 */
import type { SigningKeys } from '../shared/signed';
import type { NotifyKind, NotifyTargetConfig } from './notify-schema';
import { devInboxToken } from './signing-keys';

export type { NotifyKind } from './notify-schema';

/** A webhook notification target (secrets by name, resolved in activities). */
export interface WebhookTarget {
  /** Plain URL, or... */
  url?: string;
  /** ...a named secret holding the URL (Slack-style URLs are credentials). */
  urlSecret?: string;
  headers?: Record<string, string>;
  secretHeaders?: Record<string, { secret: string; prefix?: string }>;
}

/**
 * A notification target by its kind. In development a target of any kind written
 * `devInbox: true` is a webhook to the API's inbox, `inboxFor` keeping the kind it stands for.
 */
export type NotifyTarget =
  | WebhookNotifyTarget
  | PagerDutyTarget
  | SlackTarget
  | SlackWebhookTarget
  | EmailTarget
  | StatuspageTarget
  | RedisTarget;

export interface WebhookNotifyTarget extends WebhookTarget {
  kind: 'webhook';
  /** Development: a target of this kind, delivered to the dev inbox instead. */
  inboxFor?: NotifyKind;
  /** Development: this target is the API's dev inbox (`devInbox: true`), reaching nobody's channel. */
  devInbox?: true;
}

/** PagerDuty Events API v2 (outbound; the inbound alert source is `alerts.pagerduty`). */
export interface PagerDutyTarget {
  kind: 'pagerduty';
  /** The secret holding the integration's routing key, bound by `secrets.<name>.sendTo`. */
  routingKeySecret: string;
  /** @default https://events.pagerduty.com */
  baseUrl: string;
  /** `payload.source` when the action gives none. @default the runbook's id */
  source?: string;
}

/** Slack's Web API with a bot token: messages posted and updated in place, with buttons. */
export interface SlackTarget {
  kind: 'slack';
  tokenSecret: string;
  /** The channel's ID. */
  channel: string;
  /** @default https://slack.com/api */
  baseUrl: string;
}

/** A Slack incoming webhook: post only. */
export interface SlackWebhookTarget {
  kind: 'slack-webhook';
  urlSecret: string;
}

/** Email over SMTP. */
export interface EmailTarget {
  kind: 'email';
  host: string;
  port: number;
  /** TLS from connect (465). */
  secure: boolean;
  /** STARTTLS or no send. */
  requireTLS: boolean;
  usernameSecret?: string;
  passwordSecret?: string;
  from: string;
  to: string[];
}

/** An Atlassian Statuspage-compatible page. */
export interface StatuspageTarget {
  kind: 'statuspage';
  pageId: string;
  tokenSecret: string;
  /** @default https://api.statuspage.io */
  baseUrl: string;
  /** Component ids by the names runbooks use. */
  components: Record<string, string>;
}

/** Operational events (`runbook_event`) through the worker's events connection (REDIS_URL). */
export interface RedisTarget {
  kind: 'redis';
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|::1|\[::1\])$/i;
const trimSlash = (u: string) => u.replace(/\/+$/, '');

/**
 * Every target by name: `notify.webhooks` as kind webhook, `notify.targets` as written. In
 * development a target may say `devInbox: true` whatever its kind: it then posts to the API's own
 * inbox (/v1/dev/inbox/<name>) at whatever port the API listens on.
 */
export function notifyTargetsOf(
  notify: {
    webhooks?: Record<string, WebhookTarget & { devInbox?: true }>;
    targets?: Record<string, NotifyTargetConfig>;
  },
  apiBase: string,
  signingKeys: () => SigningKeys,
): Record<string, NotifyTarget> {
  const inbox = (name: string, kind: NotifyKind): WebhookNotifyTarget => {
    // The inbox takes posts with its token only. Worked out when a notification is sent (the
    // header is read then), so loading the configuration needs no key.
    const headers = Object.defineProperty({} as Record<string, string>, 'authorization', {
      enumerable: true,
      get: () => `Bearer ${devInboxToken(signingKeys())}`,
    });
    return {
      kind: 'webhook',
      url: `${apiBase}/v1/dev/inbox/${encodeURIComponent(name)}`,
      headers,
      devInbox: true,
      ...(kind === 'webhook' ? {} : { inboxFor: kind }),
    };
  };
  const written: Array<[string, NotifyTargetConfig]> = [
    ...Object.entries(notify.webhooks ?? {}).map(([n, t]): [string, NotifyTargetConfig] => [
      n,
      { kind: 'webhook', ...t },
    ]),
    ...Object.entries(notify.targets ?? {}),
  ];
  return Object.fromEntries(
    written.map(([name, t]): [string, NotifyTarget] =>
      t.devInbox ? [name, inbox(name, t.kind)] : [name, targetOf(t)],
    ),
  );
}

// The schema refuses a target missing what its kind needs (unless devInbox), hence the casts.
function targetOf(t: NotifyTargetConfig): NotifyTarget {
  switch (t.kind) {
    case 'webhook': {
      const { devInbox: _d, ...rest } = t;
      return rest;
    }
    case 'pagerduty':
      return {
        kind: 'pagerduty',
        routingKeySecret: t.routingKeySecret as string,
        baseUrl: trimSlash(t.baseUrl ?? 'https://events.pagerduty.com'),
        ...(t.source ? { source: t.source } : {}),
      };
    case 'slack':
      return {
        kind: 'slack',
        tokenSecret: t.tokenSecret as string,
        channel: t.channel as string,
        baseUrl: trimSlash(t.baseUrl ?? 'https://slack.com/api'),
      };
    case 'slack-webhook':
      return { kind: 'slack-webhook', urlSecret: t.urlSecret as string };
    case 'email': {
      const secure = t.secure ?? false;
      const host = t.host as string;
      return {
        kind: 'email',
        host,
        port: t.port ?? (secure ? 465 : 587),
        secure,
        // Credentials and messages go in clear only to this machine, unless the file says so.
        requireTLS: !secure && (t.requireTLS ?? !LOOPBACK.test(host)),
        ...(t.usernameSecret ? { usernameSecret: t.usernameSecret, passwordSecret: t.passwordSecret as string } : {}),
        from: t.from as string,
        to: t.to as string[],
      };
    }
    case 'statuspage':
      return {
        kind: 'statuspage',
        pageId: t.pageId as string,
        tokenSecret: t.tokenSecret as string,
        baseUrl: trimSlash(t.baseUrl ?? 'https://api.statuspage.io'),
        components: t.components ?? {},
      };
    case 'redis':
      return { kind: 'redis' };
  }
}

/** A webhook target without its kind, as `webhookTargets` held it before kinds. */
export function webhookPart(t: WebhookNotifyTarget): WebhookTarget {
  const { kind: _k, inboxFor: _i, devInbox: _d, ...rest } = t;
  return rest;
}
