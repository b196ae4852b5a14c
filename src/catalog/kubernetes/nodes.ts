/** Catalog entries for node maintenance: `kubectl cordon`, `uncordon` and `drain`. */
import { FAILURE } from '../../shared/failures';
import { z } from 'zod';
import type { CatalogEntry } from '../types';
import { changed, k8sName, NON_RETRYABLE } from './common';

const node = k8sName('node').describe('The node.');
// The simulated cluster's node name: the examples test runs these against it.
const EXAMPLE = { node: 'kwok-node-0' };

const nodeInput = z.object({ node }).strict();
const cordonOutput = z.object({
  ...changed,
  wasUnschedulable: z.boolean().describe('Whether the node was cordoned before the step.'),
});

export const cordonNode: CatalogEntry<typeof nodeInput, typeof cordonOutput, 'k8s:node:cordon'> = {
  id: 'k8s:node:cordon',
  description:
    'Mark a node unschedulable, as `kubectl cordon`: new pods are not placed on it, the running ones stay. A node already cordoned reports changed: false.',
  input: nodeInput,
  output: cordonOutput,
  mutating: true,
  nonRetryable: NON_RETRYABLE,
  describe: (i) => `cordon node ${i.node}`,
  example: { needs: 'kubernetes', with: EXAMPLE },
};

export const uncordonNode: CatalogEntry<typeof nodeInput, typeof cordonOutput, 'k8s:node:uncordon'> = {
  id: 'k8s:node:uncordon',
  description:
    'Mark a node schedulable again, as `kubectl uncordon` (the undo of cordon and drain). A node already schedulable reports changed: false.',
  input: nodeInput,
  output: cordonOutput,
  mutating: true,
  nonRetryable: NON_RETRYABLE,
  describe: (i) => `uncordon node ${i.node}`,
  example: { needs: 'kubernetes', with: EXAMPLE },
};

const drainInput = z
  .object({
    node,
    timeoutSeconds: z.number().int().min(1).max(3600).default(300),
    intervalSeconds: z.number().int().min(1).max(20).default(2),
    ignoreDaemonSets: z
      .boolean()
      .default(true)
      .describe('Leave DaemonSet pods in place (kubectl --ignore-daemonsets); otherwise they refuse the drain.'),
    deleteEmptyDirData: z
      .boolean()
      .default(false)
      .describe('Evict pods with emptyDir volumes, losing that data (kubectl --delete-emptydir-data).'),
    force: z
      .boolean()
      .default(false)
      .describe('Evict pods no controller owns, which nothing recreates (kubectl --force).'),
  })
  .strict();
const drainOutput = z.object({
  ...changed,
  evicted: z.array(z.string()).describe('namespace/name of the pods this attempt evicted.'),
  skipped: z.array(z.string()).describe('namespace/name of the DaemonSet and mirror (static) pods left in place.'),
});

export const drainNode: CatalogEntry<typeof drainInput, typeof drainOutput, 'k8s:node:drain'> = {
  id: 'k8s:node:drain',
  description:
    'Drain a node, as `kubectl drain`: cordon it, then evict its pods through the Eviction API, so PodDisruptionBudgets hold (an eviction they refuse is tried again until `timeoutSeconds`), and wait until they are gone; DaemonSet and mirror (static) pods stay. Pods with emptyDir data or no controller refuse the drain (InvalidInput) before anything changes, unless `deleteEmptyDirData` or `force`. After `timeoutSeconds` fail (DrainTimeout) naming the pods left. A retried step carries on where the last one stopped. Undo with `k8s:node:uncordon`.',
  input: drainInput,
  output: drainOutput,
  mutating: true,
  heartbeatTimeoutMs: 60_000,
  nonRetryable: [...NON_RETRYABLE, FAILURE.DrainTimeout],
  describe: (i) => `drain node ${i.node} (cordon, evict its pods, up to ${i.timeoutSeconds}s)`,
  example: { needs: 'kubernetes', with: { ...EXAMPLE, timeoutSeconds: 120 } },
};

export const NODE_ENTRIES = [cordonNode, uncordonNode, drainNode] as const;
