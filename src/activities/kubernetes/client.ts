/**
 * The Kubernetes API as the activities use it: narrow slices of client-node's typed APIs, so
 * tests (and other callers) can pass their own. Configuration comes from a kubeconfig file and
 * context, or from the pod's service account when the worker runs in a cluster; credentials stay
 * in the worker and never enter workflow history.
 *
 * client-node is an ES module: it is loaded on first use (a worker that never runs a Kubernetes
 * step never loads it), through a dynamic import.
 */
import type {
  AppsV1Api,
  AutoscalingV2Api,
  BatchV1Api,
  ConfigurationOptions,
  CoreV1Api,
  KubernetesObjectApi,
  ObservableMiddleware,
} from '@kubernetes/client-node';

export interface KubeClients {
  apps: Pick<AppsV1Api, 'readNamespacedDeployment' | 'patchNamespacedDeployment' | 'listNamespacedReplicaSet'>;
  core: Pick<
    CoreV1Api,
    | 'listNamespacedPod'
    | 'deleteNamespacedPod'
    | 'readNamespacedPodLog'
    | 'readNamespacedService'
    | 'patchNamespacedService'
    | 'listNode'
    | 'readNode'
    | 'patchNode'
    | 'listPodForAllNamespaces'
    | 'createNamespacedPodEviction'
  >;
  batch: Pick<BatchV1Api, 'readNamespacedCronJob' | 'createNamespacedJob' | 'readNamespacedJob'>;
  autoscaling: Pick<AutoscalingV2Api, 'listNamespacedHorizontalPodAutoscaler'>;
  /** Any kind, for server-side apply and delete. */
  objects: Pick<KubernetesObjectApi, 'read' | 'patch' | 'delete'>;
  /** Request options for a PATCH with this content type (client-node sends JSON patch otherwise). */
  patchAs(contentType: PatchContentType): ConfigurationOptions<ObservableMiddleware>;
}

export const PATCH = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
} as const;
export type PatchContentType = (typeof PATCH)[keyof typeof PATCH];

export interface KubeSettings {
  /** A kubeconfig file; without one (and in a pod) the service account is used. */
  kubeconfig?: string;
  context?: string;
}

/** Connects as the settings say: a kubeconfig file and context, in-cluster, or the default (~/.kube/config). */
export async function connectKube(s: KubeSettings, env: NodeJS.ProcessEnv = process.env): Promise<KubeClients> {
  const k8s = await import('@kubernetes/client-node');
  const kc = new k8s.KubeConfig();
  const file = s.kubeconfig ?? env.KUBECONFIG;
  if (file) kc.loadFromFile(file);
  else if (env.KUBERNETES_SERVICE_HOST) kc.loadFromCluster();
  else kc.loadFromDefault();
  if (s.context) kc.setCurrentContext(s.context);
  return {
    apps: kc.makeApiClient(k8s.AppsV1Api),
    core: kc.makeApiClient(k8s.CoreV1Api),
    batch: kc.makeApiClient(k8s.BatchV1Api),
    autoscaling: kc.makeApiClient(k8s.AutoscalingV2Api),
    objects: k8s.KubernetesObjectApi.makeApiClient(kc),
    patchAs: (contentType) => k8s.setHeaderOptions('Content-Type', contentType),
  };
}
