/**
 * Pod actions: list with a not-ready summary, delete by selector (bounded, and never a pod that
 * replaced one this step deleted), read logs of a deployment's pods, wait until ready.
 */
import { FAILURE } from '../../shared/failures';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { V1Pod } from '@kubernetes/client-node';
import type { KubeClients } from './client';
import { kube } from './errors';
import { compileLinearRegex } from '../../shared/linear-regex';

export interface PodSummary {
  name: string;
  phase: string;
  ready: boolean;
  node: string | null;
  restarts: number;
  /** Why it is not ready: container waiting or terminated reasons. */
  reasons: string[];
}

export function summarizePod(p: V1Pod): PodSummary {
  const statuses = p.status?.containerStatuses ?? [];
  return {
    name: p.metadata?.name ?? '',
    phase: p.status?.phase ?? 'Unknown',
    ready: p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
    node: p.spec?.nodeName ?? null,
    restarts: statuses.reduce((n, c) => n + (c.restartCount ?? 0), 0),
    reasons: statuses
      .map((c) => c.state?.waiting?.reason ?? c.state?.terminated?.reason)
      .filter((r): r is string => typeof r === 'string'),
  };
}

export function createPodActions(clients: () => Promise<Pick<KubeClients, 'core' | 'apps'>>) {
  async function list(namespace: string, labelSelector: string): Promise<V1Pod[]> {
    const k = await clients();
    return (
      await kube(`pods in ${namespace} (${labelSelector})`, () =>
        k.core.listNamespacedPod({ namespace, labelSelector }),
      )
    ).items;
  }

  async function selectorOf(namespace: string, deployment: string): Promise<string> {
    const k = await clients();
    const d = await kube(`deployment ${namespace}/${deployment}`, () =>
      k.apps.readNamespacedDeployment({ namespace, name: deployment }),
    );
    return Object.entries(d.spec?.selector.matchLabels ?? {})
      .map(([key, v]) => `${key}=${v}`)
      .join(',');
  }

  return {
    async list(i: {
      namespace: string;
      selector?: string;
      deployment?: string;
    }): Promise<{ total: number; ready: number; notReady: PodSummary[]; pods: PodSummary[] }> {
      const sel = i.selector ?? (await selectorOf(i.namespace, i.deployment as string));
      const pods = (await list(i.namespace, sel)).map(summarizePod);
      return {
        total: pods.length,
        ready: pods.filter((p) => p.ready).length,
        notReady: pods.filter((p) => !p.ready),
        pods,
      };
    },

    /**
     * Deletes the pods matching the selector (only the not-ready ones with `onlyNotReady`), at most
     * `max`. Pods created after this step was first scheduled are replacements: never deleted, so
     * a retried step does not delete the pods its first attempt caused.
     */
    async delete(i: {
      namespace: string;
      selector: string;
      max: number;
      onlyNotReady: boolean;
    }): Promise<{ changed: boolean; deleted: string[]; reason?: string }> {
      // Creation times have whole seconds: only pods from before the step's second count as older.
      const scheduled = Context.current().info.scheduledTimestampMs;
      const since = scheduled - (scheduled % 1000);
      const pods = (await list(i.namespace, i.selector)).filter((p) => {
        const created = p.metadata?.creationTimestamp ? new Date(p.metadata.creationTimestamp).getTime() : 0;
        return created < since && !p.metadata?.deletionTimestamp && (!i.onlyNotReady || !summarizePod(p).ready);
      });
      if (pods.length > i.max) {
        throw ApplicationFailure.nonRetryable(
          `${pods.length} pods match '${i.selector}' in ${i.namespace}, more than max ${i.max}: nothing deleted`,
          FAILURE.InvalidInput,
        );
      }
      if (pods.length === 0) return { changed: false, deleted: [], reason: 'no pod to delete' };
      const k = await clients();
      const deleted: string[] = [];
      for (const p of pods) {
        const name = p.metadata?.name as string;
        await kube(`delete pod ${i.namespace}/${name}`, () =>
          k.core.deleteNamespacedPod({ namespace: i.namespace, name }),
        ).catch((err: ApplicationFailure) => {
          if (err.type !== FAILURE.NotFound) throw err; // gone already: as asked
        });
        deleted.push(name);
      }
      return { changed: true, deleted };
    },

    /** The last lines of each pod of a deployment (or one pod), optionally only those matching `grep`. */
    async logs(i: {
      namespace: string;
      deployment?: string;
      pod?: string;
      container?: string;
      tailLines: number;
      sinceSeconds?: number;
      grep?: string;
      maxPods: number;
    }): Promise<{ pods: Array<{ pod: string; lines: string[] }> }> {
      const k = await clients();
      const names = i.pod
        ? [i.pod]
        : (await list(i.namespace, await selectorOf(i.namespace, i.deployment as string)))
            .map((p) => p.metadata?.name as string)
            .slice(0, i.maxPods);
      // Linear time: a pattern cannot stall the worker on a long log line.
      const re = i.grep ? compileLinearRegex(i.grep) : undefined;
      const out: Array<{ pod: string; lines: string[] }> = [];
      for (const pod of names) {
        const text = await kube(`logs of ${i.namespace}/${pod}`, () =>
          k.core.readNamespacedPodLog({
            namespace: i.namespace,
            name: pod,
            tailLines: i.tailLines,
            ...(i.container ? { container: i.container } : {}),
            ...(i.sinceSeconds ? { sinceSeconds: i.sinceSeconds } : {}),
          }),
        );
        const lines = String(text ?? '')
          .split('\n')
          .filter((l) => l !== '' && (!re || re.test(l)));
        out.push({ pod, lines });
      }
      return { pods: out };
    },

    /** Waits until at least `count` (default: all, and at least one) matching pods are ready. */
    async waitReady(i: {
      namespace: string;
      selector: string;
      count?: number;
      timeoutSeconds: number;
      intervalSeconds: number;
    }): Promise<{ ready: number; total: number }> {
      const deadline = Date.now() + i.timeoutSeconds * 1000;
      for (;;) {
        const pods = (await list(i.namespace, i.selector)).map(summarizePod);
        const ready = pods.filter((p) => p.ready).length;
        const want = i.count ?? Math.max(1, pods.length);
        if (ready >= want) return { ready, total: pods.length };
        if (Date.now() + i.intervalSeconds * 1000 > deadline) {
          const why = pods
            .filter((p) => !p.ready)
            .map((p) => `${p.name} (${p.phase}${p.reasons.length ? `: ${p.reasons.join(', ')}` : ''})`);
          throw ApplicationFailure.nonRetryable(
            `${ready} of ${want} pods ready in ${i.namespace} (${i.selector}) after ${i.timeoutSeconds}s${why.length ? `; not ready: ${why.join('; ')}` : ''}`,
            FAILURE.PodsNotReady,
          );
        }
        Context.current().heartbeat({ ready, want });
        await Context.current().sleep(i.intervalSeconds * 1000);
      }
    },
  };
}
