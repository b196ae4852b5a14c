/** Builds the worker: activities over real clients, the workflow bundle, metrics and event sinks. */
import { Worker, type NativeConnection } from '@temporalio/worker';
import { createActivities } from '../activities';
import { createSecretResolver } from '../activities/secrets';
import { createRunPgTool } from '../activities/postgres/tools';
import { createOpenStore } from '../activities/storage/open';
import { connectKube } from '../activities/kubernetes/client';
import { runUrl, type AppConfig } from '../config/load';
import { loadLibrary, type RunbookLibrary } from '../runbooks/library';
import { workflowCodeWithKeys } from './signing-bundle';
import type { WorkerMetrics } from './metrics';
import type { EventPublisher } from '../events/publisher';
import { alertSent, runbookEvent, workerSinks } from './events';

export interface CreateWorkerOptions {
  connection: NativeConnection;
  config: AppConfig;
  metrics: WorkerMetrics;
  /** @default loads config.runbooksDir once */
  library?: () => RunbookLibrary;
  /** Override of the workflow code (tests pass a shared bundle); the signing keys are added to it. */
  workflowCode?: { workflowBundle: { code: string } };
  fetch?: typeof globalThis.fetch;
  /**
   * Where operational events go (`run_started`, `run_finished`, `alert_sent`; docs/events.md),
   * opened by the caller, who closes it after the worker stops. @default none are published
   */
  events?: EventPublisher;
}

export async function createWorker(o: CreateWorkerOptions): Promise<Worker> {
  let lib: RunbookLibrary | undefined;
  const library = o.library ?? (() => (lib ??= loadLibrary(o.config.runbooksDir)));
  const secrets = createSecretResolver({
    env: process.env,
    ...(o.config.secretsDir ? { dir: o.config.secretsDir } : {}),
    bindings: o.config.secretBindings,
  });
  const activities = createActivities({
    fetch: o.fetch ?? globalThis.fetch,
    secrets,
    webhookTargets: o.config.webhookTargets,
    notifyTargets: o.config.notifyTargets,
    messageTemplates: o.config.messageTemplates,
    ticketTargets: o.config.ticketTargets,
    egress: o.config.egress,
    runUrl: (id) => runUrl(o.config, id),
    ...(o.events ? { onNotificationSent: alertSent(o.events) } : {}),
    // Runbooks' own events only where the product's go too (kind redis targets fail plainly otherwise).
    ...(o.events && o.config.events.enabled && o.config.events.redisUrl
      ? { publishEvent: runbookEvent(o.events) }
      : {}),
    library,
    metrics: o.metrics,
    approverGroups: o.config.approverGroups,
    oncall: () => o.config.oncall,
    unsignedStarts: o.config.worker.unsignedStarts,
    kube: () => connectKube(o.config.kubernetes),
    databases: o.config.databases,
    redisServers: o.config.redisServers,
    pgTool: createRunPgTool(o.config.postgres.binDir ? { binDir: o.config.postgres.binDir } : {}),
    ...(o.config.postgres.workDir ? { workDir: o.config.postgres.workDir } : {}),
    ...(o.config.postgres.binDir ? { pgBinDir: o.config.postgres.binDir } : {}),
    openStore: createOpenStore({ stores: o.config.backupStores, secrets }),
  });
  return Worker.create({
    connection: o.connection,
    namespace: o.config.namespace,
    taskQueue: o.config.taskQueue,
    // With the signing keys in its sandbox: workflows verify what the API signed (docs/security.md).
    ...(await workflowCodeWithKeys(o.config.signingKeys(), o.workflowCode)),
    activities,
    sinks: workerSinks(o.metrics, o.events),
    // Let in-flight steps finish on Ctrl-C; Temporal retries whatever a hard kill interrupts.
    shutdownGraceTime: '10s',
  });
}
