/**
 * All activities, composed from narrow dependencies. The worker passes real clients; tests pass
 * fakes. Every catalog action becomes one activity named after the entry's `activity`.
 */
import { CATALOG } from '../catalog';
import { httpCheck, httpRequest } from '../catalog/http';
import { notifyWebhook } from '../catalog/notify';
import { notifyPagerDutyEvent } from '../catalog/pagerduty';
import { notifySlackPost, notifySlackUpdate } from '../catalog/slack';
import { notifyRedisPublish } from '../catalog/redis-event';
import { notifyStatuspageIncident } from '../catalog/statuspage';
import { notifyEmailSend } from '../catalog/email';
import { ticketIssueClose, ticketIssueComment, ticketIssueCreate } from '../catalog/tickets';
import { createTicketActivities } from './tickets';
import type { TicketTarget } from '../config/tickets-schema';
import type { RunbookLibrary } from '../runbooks/library';
import { envelope, type StepMetrics } from './envelope';
import { createHttpActivities } from './http';
import { createNotifyActivities, type NotifyDeps } from './notify';
import type { EgressConfig, NotifyTarget, WebhookTarget } from '../config/load';
import { messageTemplatesOf, type MessageTemplates } from '../config/notify-templates';
import { createEgressGuard, type ResolveHost } from './egress';
import { createRunbookActivities } from './runbooks';
import { createIncidentActivities } from './incidents';
import type { OnCallConfig } from '../shared/oncall';
import { createCoordinationActivities, type CoordinationClient } from './coordination';
import { Context } from '@temporalio/activity';
import type { SecretResolver } from './secrets';
import { createKubernetesActivities } from './kubernetes';
import { connectKube, type KubeClients } from './kubernetes/client';
import { createPostgresActivities } from './postgres';
import { drReportArchive } from '../catalog/recovery';
import { createArchiveAction } from './recovery/archive';
import { createRedisActivities } from './redis';
import { createRedisConnect, type RedisConnect } from './redis/client';
import type { RedisServerConfig } from '../config/redis-schema';
import { createPgConnect, createPgResolve, type PgConnect } from './postgres/client';
import { createRunPgTool, type RunPgTool } from './postgres/tools';
import { contextProgress } from './progress';
import type { OpenStore } from './storage/store';
import { permanent } from './errors';
import { FAILURE } from '../shared/failures';
import type { DatabaseConfig } from '../config/databases-schema';

export interface ActivityDeps {
  fetch: typeof globalThis.fetch;
  secrets: SecretResolver;
  /** Webhook targets (as `notify.webhooks`), for callers written before target kinds. */
  webhookTargets: Readonly<Record<string, WebhookTarget>>;
  /** Every notification target by name, of any kind; wins over a webhook target of the same name. @default none */
  notifyTargets?: Readonly<Record<string, NotifyTarget>>;
  /** Ticket systems by name (GitHub Issues, Jira), for the ticket:* actions. @default none */
  ticketTargets?: Readonly<Record<string, TicketTarget>>;
  /** Where the HTTP and notify actions may connect. @default any destination but link-local and metadata ones */
  egress?: EgressConfig;
  /** How the egress check resolves host names (tests pass a fake). @default node:dns lookup, every address */
  resolveHost?: ResolveHost;
  runUrl: (workflowId: string) => string;
  /** Message templates (`AppConfig.messageTemplates`). @default the shipped ones */
  messageTemplates?: MessageTemplates;
  /** Told after each notification a target accepted (the worker's `alert_sent` event). @default none */
  onNotificationSent?: NotifyDeps['onSent'];
  /** Queues a runbook's `runbook_event` (kind redis targets); absent when events are off. @default none */
  publishEvent?: NotifyDeps['publishEvent'];
  library: () => RunbookLibrary;
  metrics: StepMetrics;
  /** The Temporal workflow client for coordination; default: the worker's, from the activity context. */
  workflows?: () => CoordinationClient;
  /** How often locks check that their holders still run. @default 60000 */
  lockHolderCheckMs?: number;
  /** Approver groups from configuration (for runs started with only a runbook id). */
  approverGroups?: Readonly<Record<string, string[]>>;
  /** Whether runs may start without the API's signature, by runbook id only (the Web UI). @default true */
  unsignedStarts?: boolean;
  /** Who is on call (config `oncall:`), read at each page. @default nobody */
  oncall?: () => OnCallConfig;
  /** Kubernetes clients, made on first use. @default from KUBECONFIG, ~/.kube/config or the pod's service account */
  kube?: () => Promise<KubeClients>;
  /** PostgreSQL databases by name (`AppConfig.databases`), for the pg:* actions. @default none */
  databases?: Readonly<Record<string, DatabaseConfig>>;
  /** How the pg:* actions connect (tests pass a fake). @default node-postgres, one connection per call */
  pgConnect?: PgConnect;
  /** Redis servers by name (`AppConfig.redisServers`), for the redis:* actions. @default none */
  redisServers?: Readonly<Record<string, RedisServerConfig>>;
  /** How the redis:* actions connect (tests pass a fake). @default ioredis, one connection per call */
  redisConnect?: RedisConnect;
  /** How pg_dump and pg_restore run (tests pass a fake). @default the tools on the PATH */
  pgTool?: RunPgTool;
  /** Backup stores by name (`backupStores.<name>`), for backups and restores. @default none */
  openStore?: OpenStore;
  /** Where backups are staged on the worker's disk. @default os.tmpdir() */
  workDir?: string;
  /** PostgreSQL's server binaries for point-in-time restores (`postgres.binDir`). @default by the backup's major version */
  pgBinDir?: string;
}

/** Until backup stores are configured: every store name is unknown. */
const noStores: OpenStore = (name) =>
  Promise.reject(
    permanent(`no backup store '${name}' in configuration (backupStores.<name>; known: none)`, FAILURE.UnknownTarget),
  );

/**
 * Every catalog action's activity, by system: one line per action in its system's factory, named
 * by the action's id (which is its activity type). The catalog test checks the two lists match.
 */
export function createActionActivities(deps: ActivityDeps) {
  const egress = createEgressGuard({
    policy: deps.egress ?? { allowLinkLocal: false },
    ...(deps.resolveHost ? { resolve: deps.resolveHost } : {}),
  });
  const http = createHttpActivities({ ...deps, egress });
  const pgResolve = createPgResolve({ databases: deps.databases ?? {}, secrets: deps.secrets });
  const archiveReport = createArchiveAction({ openStore: deps.openStore ?? noStores });
  const notify = createNotifyActivities({
    ...deps,
    ...(deps.onNotificationSent ? { onSent: deps.onNotificationSent } : {}),
    egress,
    templates: deps.messageTemplates ?? messageTemplatesOf(undefined),
    targets: {
      ...Object.fromEntries(
        Object.entries(deps.webhookTargets).map(([n, t]) => [n, { kind: 'webhook' as const, ...t }]),
      ),
      ...deps.notifyTargets,
    },
  });
  const tickets = createTicketActivities({ ...deps, egress, targets: deps.ticketTargets ?? {} });
  const wrap = deps.secrets.redactor;
  return {
    [ticketIssueCreate.id]: envelope(ticketIssueCreate, tickets.ticketIssueCreate, deps.metrics, wrap),
    [ticketIssueComment.id]: envelope(ticketIssueComment, tickets.ticketIssueComment, deps.metrics, wrap),
    [ticketIssueClose.id]: envelope(ticketIssueClose, tickets.ticketIssueClose, deps.metrics, wrap),
    [httpRequest.id]: envelope(httpRequest, http.httpRequest, deps.metrics, deps.secrets.redactor),
    [httpCheck.id]: envelope(httpCheck, http.httpCheck, deps.metrics, deps.secrets.redactor),
    [notifyWebhook.id]: envelope(notifyWebhook, notify.notifyWebhook, deps.metrics, deps.secrets.redactor),
    [notifyPagerDutyEvent.id]: envelope(
      notifyPagerDutyEvent,
      notify.notifyPagerDutyEvent,
      deps.metrics,
      deps.secrets.redactor,
    ),
    [notifySlackPost.id]: envelope(notifySlackPost, notify.notifySlackPost, deps.metrics, deps.secrets.redactor),
    [notifySlackUpdate.id]: envelope(notifySlackUpdate, notify.notifySlackUpdate, deps.metrics, deps.secrets.redactor),
    [notifyStatuspageIncident.id]: envelope(
      notifyStatuspageIncident,
      notify.notifyStatuspageIncident,
      deps.metrics,
      deps.secrets.redactor,
    ),
    [notifyEmailSend.id]: envelope(notifyEmailSend, notify.notifyEmailSend, deps.metrics, deps.secrets.redactor),
    [notifyRedisPublish.id]: envelope(
      notifyRedisPublish,
      notify.notifyRedisPublish,
      deps.metrics,
      deps.secrets.redactor,
    ),
    ...createKubernetesActivities({ kube: deps.kube ?? (() => connectKube({})), metrics: deps.metrics }),
    ...createPostgresActivities({
      connect: deps.pgConnect ?? createPgConnect({ resolve: pgResolve }),
      resolve: pgResolve,
      runTool: deps.pgTool ?? createRunPgTool(),
      openStore: deps.openStore ?? noStores,
      progress: contextProgress,
      ...(deps.workDir ? { workDir: deps.workDir } : {}),
      ...(deps.pgBinDir ? { pitr: { binDir: deps.pgBinDir } } : {}),
      metrics: deps.metrics,
      redact: deps.secrets.redactor,
    }),
    [drReportArchive.id]: envelope(
      drReportArchive,
      (i, ctx) => archiveReport(i, ctx),
      deps.metrics,
      deps.secrets.redactor,
    ),
    ...createRedisActivities({
      connect: deps.redisConnect ?? createRedisConnect({ servers: deps.redisServers ?? {}, secrets: deps.secrets }),
      openStore: deps.openStore ?? noStores,
      metrics: deps.metrics,
      redact: deps.secrets.redactor,
    }),
  };
}

/**
 * Runs started before an action was renamed carry its former activity type in their compiled
 * steps; the same activity answers to it. (Not in the typed `Activities`: new code uses the id.)
 */
function formerActivityTypes(actions: Record<string, unknown>): Record<string, never> {
  const out: Record<string, unknown> = {};
  for (const e of CATALOG.values()) if (e.formerly?.activity && actions[e.id]) out[e.formerly.activity] = actions[e.id];
  return out as Record<string, never>;
}

export function createActivities(deps: ActivityDeps) {
  const actions = createActionActivities(deps);
  return {
    ...actions,
    ...formerActivityTypes(actions),
    ...createRunbookActivities(deps),
    ...createIncidentActivities(deps),
    ...createCoordinationActivities({
      workflows: deps.workflows ?? (() => Context.current().client.workflow),
      taskQueue: () => Context.current().info.taskQueue,
      ...(deps.lockHolderCheckMs ? { lockHolderCheckMs: deps.lockHolderCheckMs } : {}),
    }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
