/** Catalog entries for manifests (server-side apply and wait, delete) and cluster state (HPAs, nodes). */
import { FAILURE } from '../../shared/failures';
import { z } from 'zod';
import type { CatalogEntry } from '../types';
import { changed, k8sName, namespace, NON_RETRYABLE } from './common';

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

const deleteInput = z
  .object({
    apiVersion: z.string().min(1).describe('e.g. v1, apps/v1, chaos-mesh.org/v1alpha1'),
    kind: z.string().regex(/^[A-Z][A-Za-z0-9]*$/, 'a Kubernetes kind, e.g. ConfigMap'),
    namespace: namespace.optional().describe("For namespaced kinds; default: the kubeconfig context's namespace."),
    name: k8sName('object'),
  })
  .strict();
const deleteOutput = z.object(changed);
export const deleteManifest: CatalogEntry<typeof deleteInput, typeof deleteOutput, 'k8s:manifest:delete'> = {
  id: 'k8s:manifest:delete',
  description:
    'Delete one object by apiVersion, kind and name, as `kubectl delete <kind> <name>`: any kind the server serves, custom resources included (a Chaos Mesh PodChaos). An object already gone (or already being deleted) reports changed: false; a kind the server does not know fails (NotFound) naming it.',
  input: deleteInput,
  output: deleteOutput,
  mutating: true,
  nonRetryable: NON_RETRYABLE,
  describe: (i) => `delete ${i.kind} ${i.namespace ? `${i.namespace}/` : ''}${i.name} (${i.apiVersion})`,
  example: {
    needs: 'kubernetes',
    with: { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'production', name: 'feature-flags' },
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

export const CLUSTER_ENTRIES = [applyManifest, deleteManifest, listHpas, nodeConditions] as const;
