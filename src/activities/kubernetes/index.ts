/**
 * The Kubernetes activities: catalog entries bound to their implementations. Clients are made on
 * first use, so a worker that never runs a Kubernetes step needs no cluster configuration.
 */
import {
  deploymentHistory,
  deploymentRolloutStatus,
  restartDeployment,
  scaleDeployment,
  setDeploymentEnv,
  setDeploymentImage,
  undoDeployment,
} from '../../catalog/kubernetes/deployment';
import { envelope, type StepMetrics } from '../envelope';
import type { KubeClients } from './client';
import { createDeploymentActions } from './deployments';
import { createPodActions } from './pods';
import { createWorkloadActions } from './workloads';
import { createClusterStateActions } from './cluster-state';
import { createNodeActions } from './nodes';
import { applyManifest, deleteManifest, listHpas, nodeConditions } from '../../catalog/kubernetes/cluster';
import { cordonNode, drainNode, uncordonNode } from '../../catalog/kubernetes/nodes';
import { jobFromCronJob, patchService, waitForJob } from '../../catalog/kubernetes/workloads';
import { deletePods, listPods, podLogs, waitPodsReady } from '../../catalog/kubernetes/pods';

export function createKubernetesActivities(deps: { kube: () => Promise<KubeClients>; metrics: StepMetrics }) {
  let clients: Promise<KubeClients> | undefined;
  // A failed connection (no kubeconfig yet) is not remembered: the next attempt tries again.
  const connect = (): Promise<KubeClients> =>
    (clients ??= deps.kube().catch((err: unknown) => {
      clients = undefined;
      throw err;
    }));
  const d = createDeploymentActions(connect);
  const p = createPodActions(connect);
  const w = createWorkloadActions(connect);
  const c = createClusterStateActions(connect);
  const n = createNodeActions(connect);
  const m = deps.metrics;
  return {
    [restartDeployment.id]: envelope(restartDeployment, (i, ctx) => d.restart(i, ctx), m),
    [scaleDeployment.id]: envelope(scaleDeployment, (i, ctx) => d.scale(i, ctx), m),
    [setDeploymentImage.id]: envelope(setDeploymentImage, (i) => d.setImage(i), m),
    [setDeploymentEnv.id]: envelope(setDeploymentEnv, (i) => d.setEnv(i), m),
    [deploymentHistory.id]: envelope(deploymentHistory, (i) => d.history(i), m),
    [undoDeployment.id]: envelope(undoDeployment, (i, ctx) => d.undo(i, ctx), m),
    [deploymentRolloutStatus.id]: envelope(deploymentRolloutStatus, (i) => d.rolloutStatus(i), m),
    [listPods.id]: envelope(listPods, (i) => p.list(i), m),
    [deletePods.id]: envelope(deletePods, (i) => p.delete(i), m),
    [podLogs.id]: envelope(podLogs, (i) => p.logs(i), m),
    [waitPodsReady.id]: envelope(waitPodsReady, (i) => p.waitReady(i), m),
    [jobFromCronJob.id]: envelope(jobFromCronJob, (i, ctx) => w.jobFromCronJob(i, ctx), m),
    [waitForJob.id]: envelope(waitForJob, (i) => w.waitJob(i), m),
    [patchService.id]: envelope(patchService, (i) => w.patchService(i), m),
    [applyManifest.id]: envelope(applyManifest, (i) => c.apply(i), m),
    [listHpas.id]: envelope(listHpas, (i) => c.listHpas(i), m),
    [nodeConditions.id]: envelope(nodeConditions, () => c.nodeConditions(), m),
    [deleteManifest.id]: envelope(deleteManifest, (i) => c.delete(i), m),
    [cordonNode.id]: envelope(cordonNode, (i) => n.cordon(i), m),
    [uncordonNode.id]: envelope(uncordonNode, (i) => n.uncordon(i), m),
    [drainNode.id]: envelope(drainNode, (i) => n.drain(i), m),
  };
}
