/** The configuration file (YAML), validated at start. Secrets are referenced, never inlined. */
import { isIP } from 'node:net';
import { z } from 'zod';
import { parseExpression, referencedPaths } from '../shared/expression';
import { checkLinearRegex } from '../shared/linear-regex';
import { templateExpressions } from '../shared/template';
import { WORKFLOW_KINDS } from '../shared/workflow-kinds';
import { notifySection } from './notify-schema';
import { oncallSection } from './oncall-schema';
import { incidentsSection } from './incidents-schema';
import { ticketsSection } from './tickets-schema';
import { databasesSection } from './databases-schema';
import { backupStoresSection } from './stores-schema';
import { backupPlansSection, recoveryObjectivesSection } from './backup-plans-schema';
import { failoverPlansSection } from './failover-plans-schema';
import { redisServersSection } from './redis-schema';

export { NOTIFY_KINDS, type NotifyKind, type NotifyTargetConfig } from './notify-schema';

/** `alerts`: may only deliver alerts (the bearer token of Alertmanager and Grafana). */
export const ROLES = ['viewer', 'operator', 'approver', 'admin', 'alerts'] as const;
export type Role = (typeof ROLES)[number];

const tokenSource = z
  .object({
    identity: z.string().min(1),
    roles: z.array(z.enum(ROLES)).min(1),
    /** Plain token: for local development only (config/dev.yaml). */
    token: z.string().min(8).optional(),
    /** Environment variable holding the token. */
    tokenEnv: z.string().optional(),
    /** File holding the token (a mounted secret). */
    tokenFile: z.string().optional(),
    /** Hex SHA-256 of the token, so the file itself holds no credential. */
    tokenSha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .optional(),
  })
  .strict()
  .refine((t) => [t.token, t.tokenEnv, t.tokenFile, t.tokenSha256].filter((x) => x !== undefined).length === 1, {
    message: 'give exactly one of token, tokenEnv, tokenFile, tokenSha256',
  });

/** An origin pattern, as `secrets.<name>.sendTo` takes them (an IPv6 host in brackets). */
const ORIGIN_PATTERN = /^(https?|smtps?):\/\/((\*\.)?[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:\d{1,5})?\/?$/;

/** An IP range (`10.0.0.0/8`, `fd00::/8`) or one address. */
function isIpRange(text: string): boolean {
  const m = /^([0-9A-Fa-f:.]+)(?:\/(\d{1,3}))?$/.exec(text);
  const family = m ? isIP(m[1] as string) : 0;
  return family !== 0 && (m?.[2] === undefined || Number(m[2]) <= (family === 4 ? 32 : 128));
}

const egressDestination = z.string().refine((d) => ORIGIN_PATTERN.test(d) || isIpRange(d), {
  message:
    'an origin (http(s)://host[:port], https://*.domain, smtp(s)://host[:port]) or an IP range (10.0.0.0/8, fd00::/8, one address)',
});

/** A secret given by environment variable or file (or inline, for development only). */
const secretSource = z
  .object({ secret: z.string().min(8).optional(), secretEnv: z.string().optional(), secretFile: z.string().optional() })
  .strict()
  .refine((t) => [t.secret, t.secretEnv, t.secretFile].filter((x) => x !== undefined).length === 1, {
    message: 'give exactly one of secret, secretEnv, secretFile',
  });

const ROUTE_ID = /^[a-z][a-z0-9-]*$/;

export const alertRoute = z
  .object({
    id: z.string().regex(ROUTE_ID, 'lower-case letters, digits and dashes, starting with a letter'),
    match: z
      .object({
        source: z
          .array(z.enum(['alertmanager', 'grafana', 'pagerduty', 'generic']))
          .min(1)
          .optional(),
        /** Label equals value. */
        labels: z.record(z.string(), z.string()).optional(),
        /** Label matches an anchored regular expression (as Alertmanager matchers). */
        labelsRegex: z.record(z.string(), z.string()).optional(),
        /** labels.severity is one of these. */
        severity: z.array(z.string()).min(1).optional(),
      })
      .strict()
      .default({}),
    /**
     * What the route starts: a workflow kind, whose target `runbook:` names. Left out here (not
     * defaulted) so routes built in code need not say it; the router reads it as runbook.
     * @default 'runbook'
     */
    kind: z
      .enum(WORKFLOW_KINDS, {
        error: (iss) => `unknown workflow kind ${JSON.stringify(iss.input)}: one of ${WORKFLOW_KINDS.join(', ')}`,
      })
      .optional(),
    /** The target's id: a runbook id for kind runbook. */
    runbook: z.string().min(1),
    /** Runbook params: templates over the alert, e.g. ${{ alert.labels.service }}. */
    params: z.record(z.string(), z.unknown()).default({}),
    /** What makes two notifications the same alert (a template). @default the alert's fingerprint */
    dedupKey: z.string().optional(),
    /** The identity the run is requested by: it cannot approve the run's gates. */
    owner: z.string().min(1),
  })
  .strict()
  .superRefine((r, ctx) => {
    // Linear time or refused here: a route regex runs on every alert's labels, in the API's event loop.
    for (const [label, re] of Object.entries(r.match.labelsRegex ?? {})) {
      const problem = checkLinearRegex(re);
      if (problem)
        ctx.addIssue({
          code: 'custom',
          path: ['match', 'labelsRegex', label],
          message: `invalid regular expression: ${problem}`,
        });
    }
    const templates: Array<[PropertyKey[], unknown]> = [
      [['dedupKey'], r.dedupKey],
      ...Object.entries(r.params).map(([k, v]): [PropertyKey[], unknown] => [['params', k], v]),
    ];
    for (const [path, v] of templates) {
      for (const text of typeof v === 'string' ? templateExpressions(v) : []) {
        try {
          const refs = referencedPaths(parseExpression(text));
          const bad = refs.find((p) => p.root !== 'alert');
          if (bad)
            ctx.addIssue({ code: 'custom', path, message: `only alert.* is known when routing, not '${bad.root}'` });
        } catch (err) {
          ctx.addIssue({
            code: 'custom',
            path,
            message: `invalid template \${{ ${text} }}: ${(err as Error).message}`,
          });
        }
      }
    }
  });
export type AlertRouteConfig = z.infer<typeof alertRoute>;

export const configFile = z
  .object({
    temporal: z
      .object({
        address: z.string().optional(),
        namespace: z.string().optional(),
        taskQueue: z.string().optional(),
        uiUrl: z.url().optional(),
      })
      .strict()
      .optional(),
    api: z
      .object({
        host: z.string().optional(),
        port: z.number().int().min(0).max(65535).optional(),
        publicUrl: z.url().optional(),
        /** Development only: keep notifications sent to /v1/dev/inbox/<target> for reading. */
        devInbox: z.boolean().optional(),
      })
      .strict()
      .optional(),
    worker: z
      .object({
        metricsPort: z.number().int().min(0).max(65535).optional(),
        /** Whether runs may start without the API's signature, by runbook id (the Web UI's form). */
        unsignedStarts: z.boolean().optional(),
      })
      .strict()
      .optional(),
    runbooksDir: z.string().optional(),
    /** Chaos experiment files (docs/experiments.md). @default experiments */
    experimentsDir: z.string().optional(),
    secretsDir: z.string().optional(),
    /**
     * Where each named secret may be sent: origins, `https://host[:port]` or `https://*.domain`.
     * A secret with no entry is sent nowhere (docs/security.md).
     */
    secrets: z
      .record(
        z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a secret name: letters, digits, . _ -'),
        z
          .object({
            sendTo: z
              .array(
                z
                  .string()
                  .regex(
                    /^(https?|smtps?|postgres|rediss?):\/\/(\*\.)?[A-Za-z0-9.-]+(:\d{1,5})?\/?$/,
                    'an origin: http(s)://host[:port], https://*.domain, smtp(s)://host[:port], postgres://host[:port] or redis(s)://host[:port] (no path)',
                  ),
              )
              .min(1),
          })
          .strict(),
      )
      .optional(),
    /**
     * Where the HTTP and notify actions may connect. Without `allow`, anywhere but link-local and
     * cloud metadata addresses, which need `allowLinkLocal` or a listing of their own.
     */
    egress: z
      .object({
        allow: z
          .array(egressDestination)
          .min(1, 'list at least one destination, or leave allow out to allow any')
          .optional(),
        allowLinkLocal: z.boolean().optional(),
      })
      .strict()
      .optional(),
    auth: z
      .object({ tokens: z.array(tokenSource).default([]) })
      .strict()
      .optional(),
    /** Who is in each approver group a runbook names as `group:<name>`. */
    approverGroups: z.record(z.string(), z.array(z.string().min(1))).optional(),
    notify: notifySection.optional(),
    /** Who is on call: rotations and overrides (docs/oncall.md). */
    oncall: oncallSection.optional(),
    /** Incident rules per severity: response windows, escalation, cadence, postmortems (docs/incidents.md). */
    incidents: incidentsSection.optional(),
    /** Where postmortems and action items are tracked: GitHub Issues, Jira (docs/incidents.md). */
    tickets: ticketsSection.optional(),
    /** Slack as a place people decide (docs/slack.md): requests signed by Slack, users mapped to identities. */
    slack: z
      .object({
        /** The app's signing secret (Basic Information › App Credentials). */
        signingSecret: secretSource,
        /** Slack user ids (`U0123ABCD`) and who they are here; anyone else is refused. */
        users: z
          .record(
            z.string().regex(/^[UW][A-Z0-9]{2,}$/, 'a Slack user id such as U0123ABCD'),
            z.object({ identity: z.string().min(1), roles: z.array(z.enum(ROLES)).min(1) }).strict(),
          )
          .default({}),
        /** Where a request's `response_url` may point (a payload naming any other is not followed). @default [https://hooks.slack.com] */
        responseUrlOrigins: z.array(z.url()).min(1).optional(),
      })
      .strict()
      .optional(),
    /** Kubernetes actions (worker): a kubeconfig file and context; without them, the pod's service account. */
    kubernetes: z.object({ kubeconfig: z.string().optional(), context: z.string().optional() }).strict().optional(),
    /** PostgreSQL databases the `pg:*` actions reach, by name (docs/postgres.md). */
    databases: databasesSection.optional(),
    /** Redis servers the `redis:*` actions reach, by name (docs/redis.md). */
    redisServers: redisServersSection.optional(),
    /** The PostgreSQL client tools the backup actions run (worker). */
    postgres: z
      .object({
        /** Where pg_dump and pg_restore are (e.g. /usr/lib/postgresql/16/bin): at least the servers' major version. @default the PATH */
        binDir: z.string().min(1).optional(),
        /** Where dumps are staged on the worker's disk before upload and after download. @default the system temp dir */
        workDir: z.string().min(1).optional(),
      })
      .strict()
      .optional(),
    /** Where backups are kept, by name: a local directory or an S3 bucket (docs/backups.md). */
    backupStores: backupStoresSection.optional(),
    /** What is backed up, where and how often, and how its restores are proved (docs/backups.md). */
    backupPlans: backupPlansSection.optional(),
    /** RTO and RPO per tier; the seeds' numbers for a tier not written (docs/backups.md). */
    recoveryObjectives: recoveryObjectivesSection.optional(),
    /** How a database fails over to its standby, in the seeds' four phases (docs/dr-failover.md). */
    failoverPlans: failoverPlansSection.optional(),
    alerts: z
      .object({
        /** PagerDuty webhooks v3: the subscription's signing secret. */
        pagerduty: secretSource.optional(),
        /** Generic JSON alerts: the HMAC-SHA256 key senders sign with. */
        generic: secretSource.optional(),
        /** Temporal calls in flight beyond which alert webhooks answer 503 (the sender retries). @default 256 */
        maxInFlight: z.number().int().min(1).max(100_000).optional(),
        /** A firing alert's changed content (values in annotations) reaches its run at most this often. @default 10s */
        coalesce: z
          .string()
          .regex(/^(\d+(\.\d+)?(ms|s|m|h))+$/, 'a duration such as 10s')
          .optional(),
        /** Where malformed, unrouted and unstartable alerts are kept. @default <dataDir>/alerts */
        journalDir: z.string().optional(),
        /** First match wins. */
        routes: z.array(alertRoute).default([]),
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    // A development target posts to the API's own inbox: unmounted, every notification would fail (404).
    for (const name of Object.keys(c.notify?.targets ?? {}))
      if (Object.prototype.hasOwnProperty.call(c.notify?.webhooks ?? {}, name))
        ctx.addIssue({
          code: 'custom',
          path: ['notify', 'targets', name],
          message: 'also named in notify.webhooks (the older spelling): name each target once',
        });
    // Where incidents send: targets that exist (a typo would page nobody, silently).
    const notifyNames = new Set([...Object.keys(c.notify?.targets ?? {}), ...Object.keys(c.notify?.webhooks ?? {})]);
    const known = (names: Set<string>) => [...names].join(', ') || 'none';
    const ch = c.incidents?.channels;
    const named: Array<[Array<string | number>, string]> = [
      ...(ch?.page ?? []).map((t, i): [Array<string | number>, string] => [['page', i], t]),
      ...(['stakeholders', 'statusPage'] as const).flatMap((k): Array<[Array<string | number>, string]> =>
        ch?.[k] ? [[[k], ch[k] as string]] : [],
      ),
    ];
    for (const [path, t] of named)
      if (!notifyNames.has(t))
        ctx.addIssue({
          code: 'custom',
          path: ['incidents', 'channels', ...path],
          message: `no notify target '${t}' (known: ${known(notifyNames)})`,
        });
    const tickets = new Set(Object.keys(c.tickets?.targets ?? {}));
    if (ch?.postmortem && !tickets.has(ch.postmortem))
      ctx.addIssue({
        code: 'custom',
        path: ['incidents', 'channels', 'postmortem'],
        message: `no ticket target '${ch.postmortem}' (known: ${known(tickets)})`,
      });
    if (c.api?.devInbox) return;
    for (const section of ['webhooks', 'targets'] as const) {
      for (const [name, t] of Object.entries(c.notify?.[section] ?? {})) {
        if (t.devInbox) {
          ctx.addIssue({
            code: 'custom',
            path: ['notify', section, name, 'devInbox'],
            message: 'a devInbox target needs api.devInbox: true (the inbox it posts to)',
          });
        }
      }
    }
  });
export type ConfigFile = z.infer<typeof configFile>;
