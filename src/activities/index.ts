/**
 * All activities, composed from narrow dependencies. The worker passes real clients; tests pass
 * fakes. Every catalog action becomes one activity named after the entry's `activity`.
 */
import { httpCheck, httpRequest } from '../catalog/http';
import { notifyWebhook } from '../catalog/notify';
import type { RunbookLibrary } from '../runbooks/library';
import { envelope, type StepMetrics } from './envelope';
import { createHttpActivities } from './http';
import { createNotifyWebhookActivities } from './notify/webhook';
import type { WebhookTarget } from '../config/load';
import { createRunbookActivities } from './runbooks';
import { createCoordinationActivities, type CoordinationClient } from './coordination';
import { Context } from '@temporalio/activity';
import type { SecretResolver } from './secrets';
import { createKubernetesActivities } from './kubernetes';
import { connectKube, type KubeClients } from './kubernetes/client';

export interface ActivityDeps {
  fetch: typeof globalThis.fetch;
  secrets: SecretResolver;
  webhookTargets: Readonly<Record<string, WebhookTarget>>;
  runUrl: (workflowId: string) => string;
  library: () => RunbookLibrary;
  metrics: StepMetrics;
  /** The Temporal workflow client for coordination; default: the worker's, from the activity context. */
  workflows?: () => CoordinationClient;
  /** How often locks check that their holders still run. @default 60000 */
  lockHolderCheckMs?: number;
  /** Approver groups from configuration (for runs started with only a runbook id). */
  approverGroups?: Readonly<Record<string, string[]>>;
  /** Kubernetes clients, made on first use. @default from KUBECONFIG, ~/.kube/config or the pod's service account */
  kube?: () => Promise<KubeClients>;
}

export function createActivities(deps: ActivityDeps) {
  const http = createHttpActivities(deps);
  const notify = createNotifyWebhookActivities({ ...deps, targets: deps.webhookTargets });
  return {
    [httpRequest.activity]: envelope(httpRequest, http.httpRequest, deps.metrics),
    [httpCheck.activity]: envelope(httpCheck, http.httpCheck, deps.metrics),
    [notifyWebhook.activity]: envelope(notifyWebhook, notify.notifyWebhook, deps.metrics),
    ...createKubernetesActivities({ kube: deps.kube ?? (() => connectKube({})), metrics: deps.metrics }),
    ...createRunbookActivities(deps),
    ...createCoordinationActivities({
      workflows: deps.workflows ?? (() => Context.current().client.workflow),
      taskQueue: () => Context.current().info.taskQueue,
      ...(deps.lockHolderCheckMs ? { lockHolderCheckMs: deps.lockHolderCheckMs } : {}),
    }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
