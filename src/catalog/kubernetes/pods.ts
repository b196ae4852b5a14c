/** Catalog entries for pods: list, delete by selector, logs, wait until ready. */
import { FAILURE } from '../../shared/failures';
import { z } from 'zod';
import { linearPattern } from '../linear-pattern';
import type { CatalogEntry } from '../types';
import { changed, k8sName, namespace, NON_RETRYABLE, selector } from './common';

const podSummary = z.object({
  name: z.string(),
  phase: z.string(),
  ready: z.boolean(),
  node: z.string().nullable(),
  restarts: z.number(),
  reasons: z.array(z.string()),
});

const listInput = z
  .object({
    namespace,
    selector: selector.optional(),
    deployment: k8sName('deployment').optional().describe("Its pods (the deployment's selector)."),
  })
  .strict()
  .refine((i) => (i.selector === undefined) !== (i.deployment === undefined), {
    message: 'give exactly one of selector, deployment',
  });
const listOutput = z.object({
  total: z.number(),
  ready: z.number(),
  notReady: z.array(podSummary),
  pods: z.array(podSummary),
});
export const listPods: CatalogEntry<typeof listInput, typeof listOutput, 'k8s:pod:list'> = {
  id: 'k8s:pod:list',
  formerly: { ids: ['k8s:pods:list'], activity: 'listPods' },
  description:
    "The pods matching a selector (or a deployment's), with a summary of those not ready and why (waiting or terminated reasons, restarts).",
  input: listInput,
  output: listOutput,
  mutating: false,
  nonRetryable: NON_RETRYABLE,
  describe: (i) => `list pods ${i.selector ?? `of deployment ${i.deployment}`} in ${i.namespace}`,
  example: {
    needs: 'kubernetes',
    with: { namespace: 'production', selector: 'app=checkout' },
  },
};

const deleteInput = z
  .object({
    namespace,
    selector,
    max: z.number().int().min(1).max(100).describe('Refuse (deleting nothing) when more pods match.'),
    onlyNotReady: z.boolean().default(false),
  })
  .strict();
const deleteOutput = z.object({ ...changed, deleted: z.array(z.string()) });
export const deletePods: CatalogEntry<typeof deleteInput, typeof deleteOutput, 'k8s:pod:delete'> = {
  id: 'k8s:pod:delete',
  formerly: { ids: ['k8s:pods:delete'], activity: 'deletePods' },
  description:
    'Delete the pods matching a selector (or only the not-ready ones), at most `max`; their controllers replace them. Pods created after the step began are never deleted, so a retry does not delete the replacements.',
  input: deleteInput,
  output: deleteOutput,
  mutating: true,
  nonRetryable: NON_RETRYABLE,
  describe: (i) =>
    `delete ${i.onlyNotReady ? 'not-ready ' : ''}pods ${i.selector} in ${i.namespace} (at most ${i.max})`,
  example: {
    needs: 'kubernetes',
    with: { namespace: 'production', selector: 'app=checkout', max: 3, onlyNotReady: true },
  },
};

const logsInput = z
  .object({
    namespace,
    deployment: k8sName('deployment').optional(),
    pod: k8sName('pod').optional(),
    container: z.string().optional(),
    tailLines: z.number().int().min(1).max(5000).default(100),
    sinceSeconds: z.number().int().min(1).optional(),
    grep: linearPattern('A regular expression (RE2 syntax): only matching lines are kept.').optional(),
    maxPods: z.number().int().min(1).max(50).default(5),
  })
  .strict()
  .refine((i) => (i.deployment === undefined) !== (i.pod === undefined), {
    message: 'give exactly one of deployment, pod',
  });
const logsOutput = z.object({ pods: z.array(z.object({ pod: z.string(), lines: z.array(z.string()) })) });
export const podLogs: CatalogEntry<typeof logsInput, typeof logsOutput, 'k8s:pod:logs'> = {
  id: 'k8s:pod:logs',
  formerly: { ids: ['k8s:pods:logs'], activity: 'readPodLogs' },
  description:
    "The last lines of the logs of a deployment's pods (or one pod), as `kubectl logs --tail`, optionally since a time and only lines matching `grep`.",
  input: logsInput,
  output: logsOutput,
  mutating: false,
  nonRetryable: NON_RETRYABLE,
  describe: (i) => `read logs of ${i.deployment ? `deployment ${i.deployment}` : `pod ${i.pod}`} in ${i.namespace}`,
  example: {
    needs: 'kubernetes',
    with: { namespace: 'production', deployment: 'checkout', tailLines: 50, grep: 'ERROR' },
  },
};

const waitInput = z
  .object({
    namespace,
    selector,
    count: z.number().int().min(1).optional().describe('@default all matching pods'),
    timeoutSeconds: z.number().int().min(1).max(3600).default(300),
    intervalSeconds: z.number().int().min(1).max(60).default(2),
  })
  .strict();
const waitOutput = z.object({ ready: z.number(), total: z.number() });
export const waitPodsReady: CatalogEntry<typeof waitInput, typeof waitOutput, 'k8s:pod:wait-ready'> = {
  id: 'k8s:pod:wait-ready',
  formerly: { ids: ['k8s:pods:wait-ready'], activity: 'waitForPodsReady' },
  description:
    'Wait until the pods matching a selector are ready (all, or `count`); after the timeout fail (PodsNotReady) naming those that are not and why.',
  input: waitInput,
  output: waitOutput,
  mutating: false,
  nonRetryable: [...NON_RETRYABLE, FAILURE.PodsNotReady],
  describe: (i) => `wait for pods ${i.selector} in ${i.namespace} to be ready`,
  example: {
    needs: 'kubernetes',
    with: { namespace: 'production', selector: 'app=checkout', timeoutSeconds: 120 },
  },
};

export const POD_ENTRIES = [listPods, deletePods, podLogs, waitPodsReady] as const;
