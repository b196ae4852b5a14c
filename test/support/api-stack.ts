/**
 * The product's server side for integration tests: a real worker and the real HTTP API listening
 * on a loopback port, over the shared Temporal dev server. Tokens as in config/dev.yaml.
 */
import type { FastifyInstance } from 'fastify';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { buildProductApi } from '../../src/api/wire';
import { loadConfig, sha256, type AppConfig } from '../../src/config/load';
import type { RunbookLibrary } from '../../src/runbooks/library';
import { createTestWorker, type TestWorker } from './runbook-worker';
import { TEST_KEYS } from './signing';
import type { WebhookTarget } from '../../src/config/load';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { mkdtempSync } from 'node:fs';

export const TOKENS = {
  alice: 'test-alice-operator',
  bob: 'test-bob-approver',
  viewer: 'test-viewer-token',
  admin: 'test-admin-token',
  alertmanager: 'test-alertmanager-token',
} as const;

export interface ApiStack {
  app: FastifyInstance;
  url: string;
  config: AppConfig;
  worker: TestWorker;
  /** Resolves when the worker has stopped (after close). */
  close(): Promise<void>;
}

export async function startApiStack(
  env: TestWorkflowEnvironment,
  library: RunbookLibrary,
  o: {
    webhookTargets?: Record<string, WebhookTarget>;
    /** Passed to the worker as they are. */
    worker?: Omit<Parameters<typeof createTestWorker>[1], 'library' | 'webhookTargets'>;
    /** Slack requests, as `AppConfig.slack`. @default none (the routes are not mounted) */
    slack?: AppConfig['slack'];
    alerts?: Partial<AppConfig['alerts']>;
    /**
     * Sections of the configuration as a file would give them (incidents, notify and ticket
     * targets, on-call, ticket webhooks, secret bindings), set over the stack's defaults. The
     * worker gets the same notify and ticket targets, on-call and secret bindings unless
     * `worker` says otherwise. @default none
     */
    config?: Partial<
      Pick<
        AppConfig,
        | 'incidents'
        | 'incidentSetup'
        | 'notifyTargets'
        | 'ticketTargets'
        | 'ticketWebhooks'
        | 'oncall'
        | 'secretBindings'
      >
    >;
    deadlineMs?: number;
  } = {},
): Promise<ApiStack> {
  const c = o.config ?? {};
  const worker = await createTestWorker(env, {
    library,
    ...(o.webhookTargets ? { webhookTargets: o.webhookTargets } : {}),
    // What the API signs into an incident's start and what the worker sends through agree.
    ...(c.notifyTargets ? { notifyTargets: c.notifyTargets } : {}),
    ...(c.ticketTargets ? { ticketTargets: c.ticketTargets } : {}),
    ...(c.oncall ? { oncall: c.oncall } : {}),
    ...(c.secretBindings ? { secretBindings: c.secretBindings } : {}),
    ...o.worker,
  });
  const config: AppConfig = {
    ...loadConfig({ RUNBOOKS_CONFIG: '' }, process.cwd()),
    temporalAddress: env.address,
    taskQueue: worker.taskQueue,
    uiUrl: 'http://localhost:8233',
    signingKeys: () => TEST_KEYS,
    // Its own data folder (the audit log, the alert journal), not the checkout's.
    dataDir: mkdtempSync(join(tmpdir(), 'api-stack-')),
    tokens: [
      { identity: 'alice', roles: ['operator'], sha256: sha256(TOKENS.alice) },
      { identity: 'bob', roles: ['approver'], sha256: sha256(TOKENS.bob) },
      { identity: 'viewer', roles: ['viewer'], sha256: sha256(TOKENS.viewer) },
      { identity: 'admin', roles: ['admin'], sha256: sha256(TOKENS.admin) },
      { identity: 'alertmanager', roles: ['alerts'], sha256: sha256(TOKENS.alertmanager) },
    ],
    ...c,
  };
  // Routes of config/dev.yaml name the shipped runbooks, which test libraries lack: none unless given.
  config.alerts = { ...config.alerts, routes: [], ...o.alerts };
  if (o.slack) config.slack = o.slack;
  const { app } = buildProductApi({
    client: env.client,
    config,
    library: () => library,
    ...(o.deadlineMs ? { deadlineMs: o.deadlineMs } : {}),
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const running = worker.worker.run();
  return {
    app,
    url,
    config,
    worker,
    close: async () => {
      await app.close();
      worker.worker.shutdown();
      await running;
    },
  };
}
