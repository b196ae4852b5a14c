/** Runs a real worker (real activities, real HTTP) on a unique task queue for one test. */
import { Worker } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createActivities } from '../../src/activities';
import { createSecretResolver } from '../../src/activities/secrets';
import type { KubeClients } from '../../src/activities/kubernetes/client';
import type { NotifyTarget, WebhookTarget } from '../../src/config/load';
import type { TicketTarget } from '../../src/config/tickets-schema';
import type { OnCallConfig } from '../../src/shared/oncall';
import type { RunbookLibrary } from '../../src/runbooks/library';
import { loadRunbookText } from '../../src/runbooks/load';
import type { RunbookDefinition } from '../../src/shared/model';
import { createWorkerMetrics, type WorkerMetrics } from '../../src/worker/metrics';
import { TEST_KEYS } from './signing';
import { SUITE_SECRET_ENV } from './suite-secrets';
import { uniqueQueue, workflowBundle } from './temporal';
import { withSigningKeys } from '../../src/worker/signing-bundle';
import { alertSent, runbookEvent, workerSinks } from '../../src/worker/events';
import type { EventPublisher } from '../../src/events/publisher';
import type { DatabaseConfig } from '../../src/config/databases-schema';
import { createRunPgTool } from '../../src/activities/postgres/tools';
import { createOpenStore } from '../../src/activities/storage/open';

export function runbookFromYaml(text: string): RunbookDefinition {
  return loadRunbookText(text, 'inline.yaml');
}

/**
 * A runbook about `params.service` that reads (GET <url>/read), then changes (POST <url>/change
 * with `body`): what the kill-switch tests freeze (the read goes on, the change waits).
 */
export function readThenChange(id: string, url: string, body: string): RunbookDefinition {
  return runbookFromYaml(`
id: ${id}
title: ${id}
service: \${{ params.service }}
params:
  service: { type: string }
steps:
  - id: read
    action: http:request:send
    with: { url: "${url}/read" }
  - id: change
    action: http:request:send
    with: { method: POST, url: "${url}/change", body: ${body} }
`);
}

export function libraryOf(...runbooks: RunbookDefinition[]): RunbookLibrary {
  return {
    dir: 'inline',
    runbooks: new Map(runbooks.map((r) => [r.id, r])),
    files: new Map(runbooks.map((r) => [r.id, `${r.id}.yaml`])),
    schedules: [],
  };
}

export interface TestWorker {
  worker: Worker;
  taskQueue: string;
  metrics: WorkerMetrics;
}

export async function createTestWorker(
  env: TestWorkflowEnvironment,
  o: {
    library?: RunbookLibrary;
    webhookTargets?: Record<string, WebhookTarget>;
    /** Targets of any kind, as `AppConfig.notifyTargets`. @default none */
    notifyTargets?: Record<string, NotifyTarget>;
    /** Ticket systems, as `AppConfig.ticketTargets`. @default none */
    ticketTargets?: Record<string, TicketTarget>;
    /** Who is on call, as `AppConfig.oncall` (what an incident's page asks). @default nobody */
    oncall?: OnCallConfig;
    env?: NodeJS.ProcessEnv;
    taskQueue?: string;
    kube?: () => Promise<KubeClients>;
    approverGroups?: Record<string, string[]>;
    /** @default true */
    unsignedStarts?: boolean;
    /** Where each named secret may be sent (configuration's `secrets.<name>.sendTo`). */
    secretBindings?: Record<string, string[]>;
    /** Where operational events go, as the worker wires them. @default none are published */
    events?: EventPublisher;
    /** PostgreSQL databases (`AppConfig.databases`) and local backup stores by name (their directories). @default none */
    postgres?: {
      databases: Record<string, DatabaseConfig>;
      stores: Record<string, string>;
      binDir: string;
      /** Where PITR restores make their clusters (`postgres.workDir`). @default the OS temp folder */
      workDir?: string;
    };
  } = {},
): Promise<TestWorker> {
  const taskQueue = o.taskQueue ?? uniqueQueue();
  const oncall = o.oncall;
  const metrics = createWorkerMetrics();
  const worker = await Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    workflowBundle: { code: withSigningKeys((await workflowBundle()).code, TEST_KEYS) },
    activities: createActivities({
      fetch: globalThis.fetch,
      secrets: createSecretResolver({
        // The suite's secrets are there for every run: the end-of-suite scan looks for them in history.
        env: { ...SUITE_SECRET_ENV, ...o.env },
        ...(o.secretBindings ? { bindings: o.secretBindings } : {}),
      }),
      webhookTargets: o.webhookTargets ?? {},
      ...(o.notifyTargets ? { notifyTargets: o.notifyTargets } : {}),
      ...(o.ticketTargets ? { ticketTargets: o.ticketTargets } : {}),
      ...(oncall ? { oncall: () => oncall } : {}),
      runUrl: (id) => `http://ui.test/workflows/${id}`,
      ...(o.events ? { onNotificationSent: alertSent(o.events), publishEvent: runbookEvent(o.events) } : {}),
      library: () => o.library ?? libraryOf(),
      metrics,
      lockHolderCheckMs: 1000,
      ...(o.unsignedStarts !== undefined ? { unsignedStarts: o.unsignedStarts } : {}),
      ...(o.kube ? { kube: o.kube } : {}),
      ...(o.approverGroups ? { approverGroups: o.approverGroups } : {}),
      ...(o.postgres
        ? {
            databases: o.postgres.databases,
            pgTool: createRunPgTool({ binDir: o.postgres.binDir }),
            pgBinDir: o.postgres.binDir,
            ...(o.postgres.workDir ? { workDir: o.postgres.workDir } : {}),
            openStore: createOpenStore({
              stores: Object.fromEntries(
                Object.entries(o.postgres.stores).map(([n, path]) => [n, { kind: 'local' as const, path }]),
              ),
              secrets: createSecretResolver({ env: {} }),
            }),
          }
        : {}),
    }),
    sinks: workerSinks(metrics, o.events),
  });
  return { worker, taskQueue, metrics };
}
