/** Catalog entries for manifests (server-side apply and wait) and cluster state (HPAs, nodes). */
import { FAILURE } from '../../shared/failures';
import { z } from 'zod';
import type { CatalogEntry } from '../types';
import { namespace, NON_RETRYABLE } from './common';

const applyInput = z
  .object({
    manifest: z.string().min(1).describe('YAML, one or more documents.'),
    namespace: namespace.optional().describe('For objects that name none.'),
    force: z.boolean().default(false).describe('Take over fields another manager owns (kubectl --force-conflicts).'),
    timeoutSeconds: z.number().int().min(1).max(3600).default(300),
    intervalSeconds: z.number().int().min(1).max(60).default(2),
  })
  .strict();
const applyOutput = z.object({
  changed: z.boolean(),
  objects: z.array(z.object({ object: z.string(), changed: z.boolean() })),
});
export const applyManifest: CatalogEntry<typeof applyInput, typeof applyOutput, 'k8s:manifest:apply'> = {
  id: 'k8s:manifest:apply',
  formerly: { activity: 'applyManifest' },
  description:
    'Apply a manifest with server-side apply (`kubectl apply --server-side`, field manager durable-runbooks), then wait until the Deployments it declares are rolled out. Unchanged objects report changed: false; a field another manager owns fails (ApplyConflict) unless `force`.',
  input: applyInput,
  output: applyOutput,
  mutating: true,
  nonRetryable: [...NON_RETRYABLE, FAILURE.ApplyConflict, FAILURE.RolloutTimeout, FAILURE.RolloutFailed],
  describe: (i) => `apply a manifest${i.namespace ? ` in ${i.namespace}` : ''}${i.force ? ' (forcing conflicts)' : ''}`,
  example: {
    needs: 'kubernetes',
    with: {
      namespace: 'production',
      manifest: 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: feature-flags }\ndata: { checkout-v2: "off" }\n',
    },
  },
};

const hpaInput = z.object({ namespace }).strict();
const hpaOutput = z.object({
  hpas: z.array(
    z.object({
      name: z.string(),
      target: z.string(),
      min: z.number(),
      max: z.number(),
      current: z.number(),
      desired: z.number(),
      atMax: z.boolean(),
    }),
  ),
});
export const listHpas: CatalogEntry<typeof hpaInput, typeof hpaOutput, 'k8s:hpa:list'> = {
  id: 'k8s:hpa:list',
  formerly: { activity: 'listHorizontalPodAutoscalers' },
  description:
    'The HorizontalPodAutoscalers of a namespace: target, min, max, current and desired replicas, and which are at their maximum.',
  input: hpaInput,
  output: hpaOutput,
  mutating: false,
  nonRetryable: NON_RETRYABLE,
  describe: (i) => `list HPAs in ${i.namespace}`,
  example: {
    needs: 'kubernetes',
    with: { namespace: 'production' },
  },
};

const nodesInput = z.object({}).strict();
const nodesOutput = z.object({
  total: z.number(),
  ready: z.number(),
  problems: z.array(z.object({ node: z.string(), conditions: z.array(z.string()) })),
});
export const nodeConditions: CatalogEntry<typeof nodesInput, typeof nodesOutput, 'k8s:node:conditions'> = {
  id: 'k8s:node:conditions',
  formerly: { ids: ['k8s:nodes:conditions'], activity: 'summarizeNodeConditions' },
  description: 'How many nodes are ready, and which are not or report pressure (memory, disk, PID) or are cordoned.',
  input: nodesInput,
  output: nodesOutput,
  mutating: false,
  nonRetryable: NON_RETRYABLE,
  describe: () => 'summarize node conditions',
  example: {
    needs: 'kubernetes',
    with: {},
  },
};

export const CLUSTER_ENTRIES = [applyManifest, listHpas, nodeConditions] as const;
