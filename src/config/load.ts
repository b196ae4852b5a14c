/**
 * One typed configuration, read once at start: a YAML file (RUNBOOKS_CONFIG, default
 * config/dev.yaml for the embedded default) with environment variables taking precedence.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { RUNBOOK_TASK_QUEUE } from '../shared/constants';
import { locate } from '../files/locate';
import { formatPath, formatProblem } from '../files/problems';
import { configFile, type AlertRouteConfig, type Role } from './schema';
import { onCallConfigOf } from './oncall-schema';
import { incidentPolicyOf, incidentSetupOf, type IncidentSetup } from './incidents-schema';
import { ticketTargetsOf, type TicketTarget } from './tickets-schema';
import type { IncidentPolicy } from '../shared/incident-policy';
import type { OnCallConfig } from '../shared/oncall';
import { messageTemplatesOf, type MessageTemplates } from './notify-templates';
import { notifyTargetsOf, webhookPart, type NotifyTarget, type WebhookTarget } from './notify-targets';
import { parseDuration } from '../shared/duration';
import { checkIdentity } from '../shared/identity';
import type { SigningKeys } from '../shared/signed';
import { loadSigningKeys } from './signing-keys';
import { ConfigError } from './errors';
import { readEventsConfig, type EventsConfig } from './events';
import type { DatabaseConfig } from './databases-schema';
import type { BackupPlanConfig } from './backup-plans-schema';
import type { FailoverPlanConfig } from './failover-plans-schema';
import { checkFailoverPlans } from './failover-plans';
import { checkBackupPlans, recoveryObjectivesOf, type RecoveryObjectives } from './backup-plans';
import type { BackupStoreConfig } from './stores-schema';
import type { RedisServerConfig } from './redis-schema';

export interface TokenEntry {
  identity: string;
  roles: Role[];
  sha256: Buffer;
}

export type {
  EmailTarget,
  NotifyKind,
  NotifyTarget,
  PagerDutyTarget,
  RedisTarget,
  SlackTarget,
  SlackWebhookTarget,
  StatuspageTarget,
  WebhookNotifyTarget,
  WebhookTarget,
} from './notify-targets';

/**
 * Where the HTTP and notify actions may connect (docs/configuration.md#egress). Checked in the
 * worker against every address the host resolves to, at each redirect hop.
 */
export interface EgressConfig {
  /**
   * Destinations allowed: origins (`https://host[:port]`, `https://*.domain`) and IP ranges
   * (`10.0.0.0/8`, `fd00::/8`, one address). @default any destination but the refused ranges
   */
  allow?: string[];
  /**
   * Link-local and cloud metadata destinations (169.254.0.0/16, fe80::/10, fd00:ec2::254,
   * 100.100.100.200, metadata.google.internal) allowed without listing each. @default false
   */
  allowLinkLocal: boolean;
}

export interface TlsFiles {
  caPath?: string;
  certPath?: string;
  keyPath?: string;
  serverName?: string;
}

export interface AppConfig {
  /** Undefined: start the embedded dev server. */
  temporalAddress?: string;
  namespace: string;
  taskQueue: string;
  tls?: TlsFiles;
  /** Name of the env var holding a Temporal Cloud API key, if any (the key never leaves env). */
  apiKeyEnv?: string;
  uiUrl: string;
  api: { host: string; port: number; publicUrl: string; devInbox: boolean };
  /** unsignedStarts: runs may start by runbook id without the API's signature (the Web UI). */
  worker: { metricsPort: number; unsignedStarts: boolean };
  /** Operational events to Redis (docs/events.md), from the environment only; off by default. */
  events: EventsConfig;
  runbooksDir: string;
  experimentsDir: string;
  secretsDir?: string;
  /** Where each named secret may be sent (origins); a secret not listed is sent nowhere. */
  secretBindings: Record<string, string[]>;
  dataDir: string;
  tokens: TokenEntry[];
  approverGroups: Record<string, string[]>;
  /**
   * The key API and worker share (src/config/signing-keys.ts), loaded on first use: processes
   * that sign or verify nothing (the CLI) never need it.
   */
  signingKeys: () => SigningKeys;
  /** Every notification target by name, whatever its kind (`notify.targets` and `notify.webhooks`). */
  notifyTargets: Record<string, NotifyTarget>;
  /** Who is on call when: rotations and overrides (none configured: nobody). */
  oncall: OnCallConfig;
  /** Incident rules per severity, the seeds' numbers where none is written. */
  incidents: IncidentPolicy;
  /** Where incidents page, update and file postmortems; their monitor and triage windows. */
  incidentSetup: IncidentSetup;
  /** Ticket systems by name (GitHub Issues, Jira), secrets by name. */
  ticketTargets: Record<string, TicketTarget>;
  /** The secrets trackers sign their webhooks with (`tickets.webhooks.<kind>.secretEnv`, resolved; the API only). */
  ticketWebhooks: { github?: Buffer; jira?: Buffer };
  /** Message texts per event kind and status page status, the shipped defaults where none is written. */
  messageTemplates: MessageTemplates;
  /** Slack requests: the signing secret (absent: the Slack routes answer 404) and who each user is. */
  slack: SlackConfig;
  /** @deprecated the webhook-kind part of `notifyTargets`, for code written before kinds. */
  webhookTargets: Record<string, WebhookTarget>;
  /** Where the HTTP and notify actions may connect. */
  egress: EgressConfig;
  alerts: AlertsConfig;
  /** Where the worker's Kubernetes actions connect (KUBECONFIG and RUNBOOKS_KUBE_CONTEXT win). */
  kubernetes: { kubeconfig?: string; context?: string };
  /** PostgreSQL databases by name, for the `pg:*` actions (passwords as secret names). */
  databases: Record<string, DatabaseConfig>;
  /** Redis servers by name, for the `redis:*` actions (passwords as secret names). */
  redisServers: Record<string, RedisServerConfig>;
  /** The PostgreSQL client tools and their scratch space (paths absolute). */
  postgres: { binDir?: string; workDir?: string };
  /** Backup stores by name (local paths absolute). */
  backupStores: Record<string, BackupStoreConfig>;
  /** Backup plans by name: the targets of the backup and restore-verification workflows. */
  backupPlans: Record<string, BackupPlanConfig>;
  /** RTO and RPO per tier in ms, the seeds' numbers where none is written. */
  recoveryObjectives: RecoveryObjectives;
  /** Failover plans by name: the targets of the dr-failover workflow. */
  failoverPlans: Record<string, FailoverPlanConfig>;
}

export interface SlackConfig {
  signingSecret?: Buffer;
  users: Record<string, { identity: string; roles: Role[] }>;
  /** Origins a `response_url` may have. @default ['https://hooks.slack.com'] */
  responseUrlOrigins: string[];
}

export interface AlertsConfig {
  routes: AlertRouteConfig[];
  /** Signing secrets, resolved (the API only; never logged or sent anywhere). */
  pagerdutySecret?: Buffer;
  genericSecret?: Buffer;
  maxInFlight: number;
  /** Content changes of a firing alert reach its run at most this often (ms). */
  coalesceMs: number;
  journalDir: string;
}

export { ConfigError };

function int(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const v = env[name];
  if (v === undefined || v === '') return undefined;
  if (!/^\d+$/.test(v)) throw new ConfigError(`${name} must be a port number, got '${v}'`);
  return Number(v);
}

export function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function readConfigFile(path: string) {
  const text = readFileSync(path, 'utf8');
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  if (doc.errors.length) throw new ConfigError(`${path}: ${doc.errors[0]?.message}`);
  const r = configFile.safeParse(doc.toJS() ?? {});
  if (!r.success) {
    const msgs = r.error.issues.map((i) => {
      const at = locate(doc, lines, i.path);
      return formatProblem({ file: path, ...at, field: formatPath(i.path), message: i.message });
    });
    throw new ConfigError(msgs.join('\n'));
  }
  return r.data;
}

export interface LoadConfigOptions {
  /**
   * Resolve the API's bearer tokens. Processes that authenticate nobody (the worker) pass false,
   * so they need not be given the tokens at all. @default true
   */
  tokens?: boolean;
}

export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  root = process.cwd(),
  opts: LoadConfigOptions = {},
): AppConfig {
  const defaultFile = resolve(root, 'config/dev.yaml');
  const path = env.RUNBOOKS_CONFIG
    ? resolve(root, env.RUNBOOKS_CONFIG)
    : existsSync(defaultFile)
      ? defaultFile
      : undefined;
  if (env.RUNBOOKS_CONFIG && path && !existsSync(path)) throw new ConfigError(`RUNBOOKS_CONFIG: no file ${path}`);
  const file = path ? readConfigFile(path) : {};

  const identity = (raw: string, where: string): string => {
    const r = checkIdentity(raw);
    if ('error' in r) throw new ConfigError(`${path ?? 'configuration'}: ${where}: ${r.error}`);
    return r.identity;
  };
  const tokens: TokenEntry[] = (opts.tokens === false ? [] : (file.auth?.tokens ?? [])).map((t0, i) => {
    const t = { ...t0, identity: identity(t0.identity, `auth.tokens[${i}].identity`) };
    let secret: string | undefined = t.token;
    if (t.tokenEnv) secret = env[t.tokenEnv];
    if (t.tokenFile)
      secret = existsSync(resolve(root, t.tokenFile))
        ? readFileSync(resolve(root, t.tokenFile), 'utf8').trim()
        : undefined;
    if (t.tokenSha256) return { identity: t.identity, roles: t.roles, sha256: Buffer.from(t.tokenSha256, 'hex') };
    if (!secret)
      throw new ConfigError(
        `token for ${t.identity}: ${t.tokenEnv ? `env ${t.tokenEnv}` : `file ${t.tokenFile}`} is empty or missing`,
      );
    return { identity: t.identity, roles: t.roles, sha256: sha256(secret) };
  });

  const secretOf = (
    name: string,
    src: { secret?: string | undefined; secretEnv?: string | undefined; secretFile?: string | undefined } | undefined,
    section = 'alerts',
  ): Buffer | undefined => {
    if (!src || opts.tokens === false) return undefined;
    const value =
      src.secret ??
      (src.secretEnv
        ? env[src.secretEnv]
        : src.secretFile && existsSync(resolve(root, src.secretFile))
          ? readFileSync(resolve(root, src.secretFile), 'utf8').trim()
          : undefined);
    if (!value)
      throw new ConfigError(
        `${section}.${name}: ${src.secretEnv ? `env ${src.secretEnv}` : `file ${src.secretFile}`} is empty or missing`,
      );
    return Buffer.from(value, 'utf8');
  };
  const slackSecret = file.slack ? secretOf('signingSecret', file.slack.signingSecret, 'slack') : undefined;
  const pagerdutySecret = secretOf('pagerduty', file.alerts?.pagerduty);
  const genericSecret = secretOf('generic', file.alerts?.generic);
  const dataDir = resolve(root, env.RUNBOOKS_DATA_DIR || '.data');

  const port = int(env, 'RUNBOOKS_API_PORT') ?? file.api?.port ?? 8080;
  const host = env.RUNBOOKS_API_HOST ?? file.api?.host ?? '127.0.0.1';
  const uiPort = int(env, 'TEMPORAL_UI_PORT') ?? 8233;
  const tls: TlsFiles = {
    ...(env.TEMPORAL_TLS_CA ? { caPath: env.TEMPORAL_TLS_CA } : {}),
    ...(env.TEMPORAL_TLS_CERT ? { certPath: env.TEMPORAL_TLS_CERT } : {}),
    ...(env.TEMPORAL_TLS_KEY ? { keyPath: env.TEMPORAL_TLS_KEY } : {}),
    ...(env.TEMPORAL_TLS_SERVER_NAME ? { serverName: env.TEMPORAL_TLS_SERVER_NAME } : {}),
  };
  const address = env.TEMPORAL_ADDRESS || file.temporal?.address;
  const signingKeys = once(() => loadSigningKeys({ env, dataDir, embedded: !address }));
  const notifyTargets = notifyTargetsOf(
    file.notify ?? {},
    `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
    signingKeys,
  );
  const config: AppConfig = {
    ...(address ? { temporalAddress: address } : {}),
    namespace: env.TEMPORAL_NAMESPACE || file.temporal?.namespace || 'default',
    taskQueue: env.RUNBOOKS_TASK_QUEUE || file.temporal?.taskQueue || RUNBOOK_TASK_QUEUE,
    ...(Object.keys(tls).length > 0 || env.TEMPORAL_TLS === 'true' ? { tls } : {}),
    ...(env.TEMPORAL_API_KEY ? { apiKeyEnv: 'TEMPORAL_API_KEY' } : {}),
    uiUrl: env.TEMPORAL_UI_URL || file.temporal?.uiUrl || `http://localhost:${uiPort}`,
    api: {
      host,
      port,
      publicUrl: env.RUNBOOKS_PUBLIC_URL || file.api?.publicUrl || `http://${host}:${port}`,
      devInbox: file.api?.devInbox ?? false,
    },
    worker: {
      metricsPort: int(env, 'RUNBOOKS_WORKER_METRICS_PORT') ?? file.worker?.metricsPort ?? 9464,
      unsignedStarts: file.worker?.unsignedStarts ?? true,
    },
    events: readEventsConfig(env),
    runbooksDir: resolve(root, env.RUNBOOKS_DIR || file.runbooksDir || 'runbooks'),
    experimentsDir: resolve(root, env.RUNBOOKS_EXPERIMENTS_DIR || file.experimentsDir || 'experiments'),
    ...(env.RUNBOOKS_SECRETS_DIR || file.secretsDir
      ? { secretsDir: resolve(root, (env.RUNBOOKS_SECRETS_DIR || file.secretsDir) as string) }
      : {}),
    secretBindings: Object.fromEntries(
      Object.entries(file.secrets ?? {}).map(([name, b]) => [name, b.sendTo.map((o) => o.replace(/\/$/, ''))]),
    ),
    dataDir,
    tokens,
    approverGroups: Object.fromEntries(
      Object.entries(file.approverGroups ?? {}).map(([g, members]) => [
        g,
        members.map((m, i) => identity(m, `approverGroups.${g}[${i}]`)),
      ]),
    ),
    signingKeys,
    notifyTargets,
    messageTemplates: messageTemplatesOf(file.notify?.templates),
    oncall: onCallConfigOf(file.oncall),
    incidents: incidentPolicyOf(file.incidents),
    incidentSetup: incidentSetupOf(file.incidents),
    ticketTargets: ticketTargetsOf(file.tickets),
    ticketWebhooks: Object.fromEntries(
      (['github', 'jira'] as const).flatMap((k) => {
        const name = file.tickets?.webhooks?.[k]?.secretEnv;
        const value = name ? env[name] : undefined;
        return value ? [[k, Buffer.from(value, 'utf8')]] : [];
      }),
    ),
    slack: {
      ...(slackSecret ? { signingSecret: slackSecret } : {}),
      users: file.slack?.users ?? {},
      responseUrlOrigins: (file.slack?.responseUrlOrigins ?? ['https://hooks.slack.com']).map((u) => new URL(u).origin),
    },
    webhookTargets: Object.fromEntries(
      Object.entries(notifyTargets).flatMap(([name, t]) =>
        t.kind === 'webhook' ? [[name, webhookPart(t)] as const] : [],
      ),
    ),
    egress: {
      ...(file.egress?.allow ? { allow: file.egress.allow.map((d) => d.replace(/\/$/, '')) } : {}),
      allowLinkLocal: file.egress?.allowLinkLocal ?? false,
    },
    kubernetes: {
      // KUBECONFIG may list several files (a:b): kept as given; the file's path is relative to the root.
      ...(env.KUBECONFIG
        ? { kubeconfig: env.KUBECONFIG }
        : file.kubernetes?.kubeconfig
          ? { kubeconfig: resolve(root, file.kubernetes.kubeconfig) }
          : {}),
      ...(env.RUNBOOKS_KUBE_CONTEXT || file.kubernetes?.context
        ? { context: (env.RUNBOOKS_KUBE_CONTEXT || file.kubernetes?.context) as string }
        : {}),
    },
    databases: file.databases ?? {},
    redisServers: file.redisServers ?? {},
    postgres: {
      ...(file.postgres?.binDir ? { binDir: resolve(root, file.postgres.binDir) } : {}),
      ...(file.postgres?.workDir ? { workDir: resolve(root, file.postgres.workDir) } : {}),
    },
    backupStores: Object.fromEntries(
      Object.entries(file.backupStores ?? {}).map(([name, s]) => [
        name,
        s.kind === 'local' ? { ...s, path: resolve(root, s.path) } : s,
      ]),
    ),
    backupPlans: file.backupPlans ?? {},
    recoveryObjectives: recoveryObjectivesOf(file.recoveryObjectives),
    failoverPlans: file.failoverPlans ?? {},
    alerts: {
      routes: file.alerts?.routes ?? [],
      ...(pagerdutySecret ? { pagerdutySecret } : {}),
      ...(genericSecret ? { genericSecret } : {}),
      maxInFlight: file.alerts?.maxInFlight ?? 256,
      coalesceMs: file.alerts?.coalesce ? (parseDuration(file.alerts.coalesce) ?? 10_000) : 10_000,
      journalDir: file.alerts?.journalDir ? resolve(root, file.alerts.journalDir) : resolve(dataDir, 'alerts'),
    },
  };
  const planProblems = [...checkBackupPlans(config), ...checkFailoverPlans(config)];
  if (planProblems.length)
    throw new ConfigError(planProblems.map((m) => `${path ?? 'configuration'}: ${m}`).join('\n'));
  return config;
}

/** Link to a run in the Temporal Web UI. */
export function runUrl(config: Pick<AppConfig, 'uiUrl' | 'namespace'>, workflowId: string): string {
  return `${config.uiUrl}/namespaces/${encodeURIComponent(config.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

function once<T>(f: () => T): () => T {
  let v: { value: T } | undefined;
  return () => (v ??= { value: f() }).value;
}
