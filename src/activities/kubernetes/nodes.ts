/**
 * Node maintenance, as `kubectl cordon|uncordon|drain`: each reads the node (and its pods) first
 * and does only what is left, so a retried step, even after a partial drain, carries on.
 */
import { FAILURE } from '../../shared/failures';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { V1Eviction, V1Pod } from '@kubernetes/client-node';
import { PATCH, type KubeClients } from './client';
import { kube, kubeFailure, statusOf } from './errors';

const MIRROR = 'kubernetes.io/config.mirror';

export interface CordonResult {
  changed: boolean;
  wasUnschedulable: boolean;
  reason?: string;
}

export interface DrainInput {
  node: string;
  timeoutSeconds: number;
  intervalSeconds: number;
  ignoreDaemonSets: boolean;
  deleteEmptyDirData: boolean;
  force: boolean;
}

export interface DrainResult {
  changed: boolean;
  evicted: string[];
  skipped: string[];
  reason?: string;
}

const podName = (p: V1Pod): string => `${p.metadata?.namespace}/${p.metadata?.name}`;
const finished = (p: V1Pod): boolean => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
const controller = (p: V1Pod) => p.metadata?.ownerReferences?.find((o) => o.controller);

/**
 * kubectl drain's filters: mirror pods cannot be evicted (their kubelet owns them) and DaemonSet
 * pods would come straight back (their controller tolerates the cordon), so both stay; pods whose
 * eviction loses something (emptyDir data, a pod nothing recreates) refuse the drain unless asked.
 */
export function classifyPods(
  pods: V1Pod[],
  o: Pick<DrainInput, 'ignoreDaemonSets' | 'deleteEmptyDirData' | 'force'>,
): { evict: V1Pod[]; skip: V1Pod[]; refuse: string[] } {
  const evict: V1Pod[] = [];
  const skip: V1Pod[] = [];
  const refuse: string[] = [];
  for (const p of pods) {
    if (p.metadata?.annotations?.[MIRROR] !== undefined) {
      skip.push(p);
      continue;
    }
    const owner = controller(p);
    if (owner?.kind === 'DaemonSet') {
      if (o.ignoreDaemonSets) skip.push(p);
      else refuse.push(`${podName(p)} (DaemonSet; ignoreDaemonSets is off)`);
      continue;
    }
    if (!owner && !finished(p) && !o.force) {
      refuse.push(`${podName(p)} (no controller recreates it; force evicts it)`);
      continue;
    }
    if (!finished(p) && !o.deleteEmptyDirData && p.spec?.volumes?.some((v) => v.emptyDir)) {
      refuse.push(`${podName(p)} (emptyDir data; deleteEmptyDirData evicts it)`);
      continue;
    }
    evict.push(p);
  }
  return { evict, skip, refuse };
}

export function createNodeActions(clients: () => Promise<Pick<KubeClients, 'core' | 'patchAs'>>) {
  const readNode = async (node: string) => {
    const k = await clients();
    return kube(`node ${node}`, () => k.core.readNode({ name: node }));
  };
  // As kubectl: a strategic merge patch of spec.unschedulable alone; null removes it (schedulable).
  const setUnschedulable = async (node: string, unschedulable: boolean): Promise<void> => {
    const k = await clients();
    await kube(`patch node ${node}`, () =>
      k.core.patchNode(
        { name: node, body: { spec: { unschedulable: unschedulable ? true : null } } },
        k.patchAs(PATCH.strategic),
      ),
    );
  };
  const podsOn = async (node: string): Promise<V1Pod[]> => {
    const k = await clients();
    const list = await kube(`pods on node ${node}`, () =>
      k.core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${node}` }),
    );
    return list.items;
  };

  async function cordon(i: { node: string }): Promise<CordonResult> {
    const n = await readNode(i.node);
    if (n.spec?.unschedulable) return { changed: false, wasUnschedulable: true, reason: 'already cordoned' };
    await setUnschedulable(i.node, true);
    return { changed: true, wasUnschedulable: false };
  }

  /** Evicts one pod; answers whether a disruption budget refused it for now (429), or it was gone. */
  async function evict(p: V1Pod): Promise<{ blocked?: string; gone?: true }> {
    const k = await clients();
    const name = p.metadata?.name as string;
    const namespace = p.metadata?.namespace as string;
    const body: V1Eviction = { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace } };
    try {
      await k.core.createNamespacedPodEviction({ name, namespace, body });
      return {};
    } catch (err) {
      const s = statusOf(err);
      if (s?.code === 404) return { gone: true }; // gone already: as asked
      if (s?.code === 429) return { blocked: s.message };
      return kubeFailure(err, `evict pod ${namespace}/${name}`);
    }
  }

  return {
    cordon,

    async uncordon(i: { node: string }): Promise<CordonResult> {
      const n = await readNode(i.node);
      if (!n.spec?.unschedulable) return { changed: false, wasUnschedulable: false, reason: 'already schedulable' };
      await setUnschedulable(i.node, false);
      return { changed: true, wasUnschedulable: true };
    },

    /**
     * Cordon, then evict until no evictable pod is left on the node, or the deadline. What is left
     * is read from the node each round: replacements (even a StatefulSet's, of the same name)
     * land elsewhere, the node being cordoned.
     */
    async drain(i: DrainInput): Promise<DrainResult> {
      const first = classifyPods(await podsOn(i.node), i);
      // Refused before the cordon: a drain that cannot proceed leaves nothing to undo.
      if (first.refuse.length)
        throw ApplicationFailure.nonRetryable(
          `cannot drain node ${i.node}: ${first.refuse.join('; ')}`,
          FAILURE.InvalidInput,
        );
      const cordoned = (await cordon({ node: i.node })).changed;
      const deadline = Date.now() + i.timeoutSeconds * 1000;
      const evicted = new Set<string>();
      for (;;) {
        const { evict: left, skip, refuse } = classifyPods(await podsOn(i.node), i);
        if (refuse.length)
          throw ApplicationFailure.nonRetryable(
            `cannot drain node ${i.node}: ${refuse.join('; ')}`,
            FAILURE.InvalidInput,
          );
        const skipped = skip.map(podName);
        if (left.length === 0) {
          const changed = cordoned || evicted.size > 0;
          return {
            changed,
            evicted: [...evicted],
            skipped,
            ...(changed ? {} : { reason: 'already cordoned, with no pod to evict' }),
          };
        }
        const blocked: string[] = [];
        for (const p of left) {
          // A pod already terminating needs only waiting for.
          if (p.metadata?.deletionTimestamp) continue;
          const r = await evict(p);
          if (r.blocked) blocked.push(`${podName(p)} (${r.blocked})`);
          else if (!r.gone) evicted.add(podName(p));
        }
        if (Date.now() + i.intervalSeconds * 1000 > deadline) {
          const names = left.map((p) => blocked.find((b) => b.startsWith(`${podName(p)} `)) ?? podName(p));
          throw ApplicationFailure.nonRetryable(
            `node ${i.node} not drained within ${i.timeoutSeconds}s; pods left: ${names.join('; ')}`,
            FAILURE.DrainTimeout,
          );
        }
        Context.current().heartbeat({ left: left.length, blocked: blocked.length });
        await Context.current().sleep(i.intervalSeconds * 1000);
      }
    },
  };
}
