/**
 * Deployment actions, each reading the deployment first and idempotent: what `kubectl rollout
 * restart|status|history|undo`, `kubectl scale` and `kubectl set image|env` do, with the world
 * already as asked answered `changed: false`. Actions whose effect is relative to the state they
 * find (restart, undo, relative scale) record the step's idempotency key on the object, so a
 * retry after a crash does not act twice.
 */
import { FAILURE } from '../../shared/failures';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { V1Container, V1Deployment, V1EnvVar, V1ReplicaSet } from '@kubernetes/client-node';
import type { StepContext } from '../../shared/activity-types';
import { PATCH, type KubeClients, type PatchContentType } from './client';
import { kube } from './errors';

export const KEY_ANNOTATION = 'durable-runbooks.io/changed-by';
const REVISION = 'deployment.kubernetes.io/revision';
const CHANGE_CAUSE = 'kubernetes.io/change-cause';
const HASH_LABEL = 'pod-template-hash';
/** Annotations `kubectl rollout undo` keeps from the deployment rather than the revision. */
const UNDO_SKIP = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION,
  'deployment.kubernetes.io/revision-history',
  'deployment.kubernetes.io/desired-replicas',
  'deployment.kubernetes.io/max-replicas',
  'deprecated.deployment.rollback.to',
]);

export interface DeploymentRef {
  namespace: string;
  name: string;
}

const stamp = (ctx: StepContext, what: string): string => `${ctx.idempotencyKey} ${what}`;

function pickContainer(d: V1Deployment, name: string | undefined): { container: V1Container; index: number } {
  const containers = d.spec?.template.spec?.containers ?? [];
  const index = name === undefined ? (containers.length === 1 ? 0 : -1) : containers.findIndex((c) => c.name === name);
  if (index < 0) {
    const names = containers.map((c) => c.name).join(', ');
    throw ApplicationFailure.nonRetryable(
      name === undefined
        ? `deployment has several containers (${names}): name one`
        : `no container '${name}' (has: ${names})`,
      FAILURE.InvalidInput,
    );
  }
  return { container: containers[index] as V1Container, index };
}

/** `clients` is called at each use: the worker connects on first use. */
export function createDeploymentActions(clients: () => Promise<Pick<KubeClients, 'apps' | 'core' | 'patchAs'>>) {
  const read = async (r: DeploymentRef): Promise<V1Deployment> => {
    const k = await clients();
    return kube(`deployment ${r.namespace}/${r.name}`, () => k.apps.readNamespacedDeployment(r));
  };
  const patch = async (
    r: DeploymentRef,
    body: object,
    type: PatchContentType = PATCH.strategic,
  ): Promise<V1Deployment> => {
    const k = await clients();
    return kube(`patch deployment ${r.namespace}/${r.name}`, () =>
      k.apps.patchNamespacedDeployment({ ...r, body }, k.patchAs(type)),
    );
  };

  /** The deployment's ReplicaSets (owned by it), oldest revision first. */
  async function replicaSets(r: DeploymentRef, d: V1Deployment): Promise<V1ReplicaSet[]> {
    const selector = Object.entries(d.spec?.selector.matchLabels ?? {})
      .map(([key, v]) => `${key}=${v}`)
      .join(',');
    const k = await clients();
    const list = await kube(`replicasets of ${r.namespace}/${r.name}`, () =>
      k.apps.listNamespacedReplicaSet({ namespace: r.namespace, labelSelector: selector }),
    );
    const own = list.items.filter((rs) => rs.metadata?.ownerReferences?.some((o) => o.uid === d.metadata?.uid));
    return own.sort(
      (a, b) => Number(a.metadata?.annotations?.[REVISION] ?? 0) - Number(b.metadata?.annotations?.[REVISION] ?? 0),
    );
  }

  const revisionOf = (rs: V1ReplicaSet): number => Number(rs.metadata?.annotations?.[REVISION] ?? 0);

  return {
    /** `kubectl rollout restart`: a new pod template annotation rolls every pod. */
    async restart(
      r: DeploymentRef,
      ctx: StepContext,
    ): Promise<{ changed: boolean; restartedAt: string; reason?: string }> {
      const d = await read(r);
      const ann = d.spec?.template.metadata?.annotations ?? {};
      if (ann[KEY_ANNOTATION] === stamp(ctx, 'restart')) {
        return {
          changed: false,
          restartedAt: ann['kubectl.kubernetes.io/restartedAt'] ?? '',
          reason: 'already restarted by this step',
        };
      }
      if (d.spec?.paused)
        throw ApplicationFailure.nonRetryable(
          `deployment ${r.namespace}/${r.name} is paused: resume it first`,
          FAILURE.InvalidInput,
        );
      const restartedAt = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
      await patch(r, {
        spec: {
          template: {
            metadata: {
              annotations: {
                'kubectl.kubernetes.io/restartedAt': restartedAt,
                [KEY_ANNOTATION]: stamp(ctx, 'restart'),
              },
            },
          },
        },
      });
      return { changed: true, restartedAt };
    },

    /** `kubectl scale`: to a number, or by a relative amount within bounds. */
    async scale(
      i: DeploymentRef & { replicas?: number; by?: number; min?: number; max?: number },
      ctx: StepContext,
    ): Promise<{ changed: boolean; from: number; to: number; reason?: string }> {
      const d = await read(i);
      const from = d.spec?.replicas ?? 1;
      const mark = d.metadata?.annotations?.[KEY_ANNOTATION] ?? '';
      const done = new RegExp(`^${stamp(ctx, 'scale').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} to (\\d+)$`).exec(mark);
      if (done) return { changed: false, from, to: Number(done[1]), reason: 'already scaled by this step' };
      let to = i.replicas ?? from + (i.by ?? 0);
      if (i.min !== undefined) to = Math.max(to, i.min);
      if (i.max !== undefined) to = Math.min(to, i.max);
      to = Math.max(0, to);
      if (to === from) return { changed: false, from, to, reason: `already at ${from} replicas` };
      await patch(
        i,
        { metadata: { annotations: { [KEY_ANNOTATION]: `${stamp(ctx, 'scale')} to ${to}` } }, spec: { replicas: to } },
        PATCH.merge,
      );
      return { changed: true, from, to };
    },

    /** `kubectl set image`. */
    async setImage(
      i: DeploymentRef & { container?: string; image: string },
    ): Promise<{ changed: boolean; container: string; from: string; to: string }> {
      const d = await read(i);
      const { container } = pickContainer(d, i.container);
      const from = container.image ?? '';
      if (from === i.image) return { changed: false, container: container.name, from, to: i.image };
      await patch(i, { spec: { template: { spec: { containers: [{ name: container.name, image: i.image }] } } } });
      return { changed: true, container: container.name, from, to: i.image };
    },

    /** `kubectl set env`: values set or replaced in place, new ones appended, null removes. */
    async setEnv(
      i: DeploymentRef & { container?: string; env: Record<string, string | null> },
    ): Promise<{ changed: boolean; container: string; set: string[]; removed: string[] }> {
      const d = await read(i);
      const { container, index } = pickContainer(d, i.container);
      const env: V1EnvVar[] = (container.env ?? []).map((e) => ({ ...e }));
      const set: string[] = [];
      const removed: string[] = [];
      for (const [name, value] of Object.entries(i.env)) {
        const at = env.findIndex((e) => e.name === name);
        if (value === null) {
          if (at >= 0) {
            env.splice(at, 1);
            removed.push(name);
          }
        } else if (at < 0) {
          env.push({ name, value });
          set.push(name);
        } else if (env[at]?.value !== value || env[at]?.valueFrom) {
          env[at] = { name, value };
          set.push(name);
        }
      }
      if (set.length === 0 && removed.length === 0) return { changed: false, container: container.name, set, removed };
      // A JSON patch guarded by a test of the container's name: the index cannot have moved under us.
      await patch(
        i,
        [
          { op: 'test', path: `/spec/template/spec/containers/${index}/name`, value: container.name },
          { op: 'add', path: `/spec/template/spec/containers/${index}/env`, value: env },
        ],
        PATCH.json,
      );
      return { changed: true, container: container.name, set, removed };
    },

    /** `kubectl rollout history`. */
    async history(r: DeploymentRef): Promise<{
      revisions: Array<{
        revision: number;
        changeCause: string | null;
        images: string[];
        replicas: number;
        current: boolean;
      }>;
    }> {
      const d = await read(r);
      const current = d.metadata?.annotations?.[REVISION];
      const sets = await replicaSets(r, d);
      return {
        revisions: sets.map((rs) => ({
          revision: revisionOf(rs),
          changeCause: rs.metadata?.annotations?.[CHANGE_CAUSE] ?? null,
          images: (rs.spec?.template?.spec?.containers ?? []).map((c) => c.image ?? ''),
          replicas: rs.status?.replicas ?? 0,
          current: rs.metadata?.annotations?.[REVISION] === current,
        })),
      };
    },

    /**
     * `kubectl rollout undo [--to-revision]`: the revision's pod template (without its hash label)
     * and annotations go back into the deployment; the previous revision when none is named.
     */
    async undo(
      i: DeploymentRef & { toRevision?: number },
      ctx: StepContext,
    ): Promise<{ changed: boolean; toRevision: number; reason?: string }> {
      const d = await read(i);
      const mark = d.metadata?.annotations?.[KEY_ANNOTATION] ?? '';
      const prior = new RegExp(`^${stamp(ctx, 'undo').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} to (\\d+)$`).exec(mark);
      if (prior) return { changed: false, toRevision: Number(prior[1]), reason: 'already rolled back by this step' };
      if (d.spec?.paused)
        throw ApplicationFailure.nonRetryable(
          `deployment ${i.namespace}/${i.name} is paused: you cannot roll back a paused deployment`,
          FAILURE.InvalidInput,
        );
      const sets = await replicaSets(i, d);
      const currentRevision = Number(d.metadata?.annotations?.[REVISION] ?? 0);
      const target = i.toRevision
        ? sets.find((rs) => revisionOf(rs) === i.toRevision)
        : [...sets].reverse().find((rs) => revisionOf(rs) !== currentRevision && revisionOf(rs) < currentRevision);
      if (!target) {
        throw ApplicationFailure.nonRetryable(
          i.toRevision
            ? `no revision ${i.toRevision} of ${i.namespace}/${i.name} (has: ${sets.map(revisionOf).join(', ')})`
            : `no rollout history of ${i.namespace}/${i.name} to go back to`,
          FAILURE.NotFound,
        );
      }
      const template = structuredClone(target.spec?.template ?? {});
      if (template.metadata?.labels) delete template.metadata.labels[HASH_LABEL];
      if (JSON.stringify(template) === JSON.stringify(d.spec?.template)) {
        return {
          changed: false,
          toRevision: revisionOf(target),
          reason: `the current template already matches revision ${revisionOf(target)}`,
        };
      }
      const annotations: Record<string, string> = {};
      for (const [key, v] of Object.entries(d.metadata?.annotations ?? {}))
        if (UNDO_SKIP.has(key)) annotations[key] = v;
      for (const [key, v] of Object.entries(target.metadata?.annotations ?? {}))
        if (!UNDO_SKIP.has(key)) annotations[key] = v;
      annotations[KEY_ANNOTATION] = `${stamp(ctx, 'undo')} to ${revisionOf(target)}`;
      await patch(
        i,
        [
          { op: 'replace', path: '/spec/template', value: template },
          { op: 'replace', path: '/metadata/annotations', value: annotations },
        ],
        PATCH.json,
      );
      return { changed: true, toRevision: revisionOf(target) };
    },

    /**
     * `kubectl rollout status`: waits until the newest template is rolled out and available, or
     * the deadline; then fails with what is not ready. Heartbeats while it waits.
     */
    async rolloutStatus(
      i: DeploymentRef & { timeoutSeconds: number; intervalSeconds: number },
    ): Promise<{ done: true; message: string; revision: string; replicas: number }> {
      const deadline = Date.now() + i.timeoutSeconds * 1000;
      for (;;) {
        const d = await read(i);
        const v = rolloutState(d);
        if (v.failed)
          throw ApplicationFailure.nonRetryable(`${i.namespace}/${i.name}: ${v.message}`, FAILURE.RolloutFailed);
        if (v.done)
          return {
            done: true,
            message: v.message,
            revision: d.metadata?.annotations?.[REVISION] ?? '',
            replicas: d.spec?.replicas ?? 0,
          };
        if (Date.now() + i.intervalSeconds * 1000 > deadline) {
          const notReady = await notReadyPods(await clients(), i.namespace, d);
          throw ApplicationFailure.nonRetryable(
            `${i.namespace}/${i.name} not rolled out within ${i.timeoutSeconds}s: ${v.message}${notReady.length ? `; not ready: ${notReady.join('; ')}` : ''}`,
            FAILURE.RolloutTimeout,
          );
        }
        Context.current().heartbeat({ message: v.message });
        await Context.current().sleep(i.intervalSeconds * 1000);
      }
    },
  };
}

/** kubectl's rollout status reading of a deployment. */
export function rolloutState(d: V1Deployment): { done: boolean; failed?: boolean; message: string } {
  const s = d.status ?? {};
  if ((d.metadata?.generation ?? 0) > (s.observedGeneration ?? 0))
    return { done: false, message: 'waiting for the deployment spec update to be observed' };
  const progressing = s.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded')
    return { done: false, failed: true, message: 'exceeded its progress deadline' };
  const want = d.spec?.replicas ?? 1;
  const updated = s.updatedReplicas ?? 0;
  if (updated < want) return { done: false, message: `${updated} of ${want} new replicas have been updated` };
  if ((s.replicas ?? 0) > updated)
    return { done: false, message: `${(s.replicas ?? 0) - updated} old replicas are pending termination` };
  if ((s.availableReplicas ?? 0) < updated)
    return { done: false, message: `${s.availableReplicas ?? 0} of ${updated} updated replicas are available` };
  return { done: true, message: 'successfully rolled out' };
}

/** Pods of the deployment that are not ready, each with why (container waiting reasons). */
export async function notReadyPods(
  k: Pick<KubeClients, 'core'>,
  namespace: string,
  d: V1Deployment,
): Promise<string[]> {
  const selector = Object.entries(d.spec?.selector.matchLabels ?? {})
    .map(([key, v]) => `${key}=${v}`)
    .join(',');
  const pods = await kube(`pods of ${namespace}/${d.metadata?.name}`, () =>
    k.core.listNamespacedPod({ namespace, labelSelector: selector }),
  );
  return pods.items
    .filter((p) => !p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
    .map((p) => {
      const why = (p.status?.containerStatuses ?? [])
        .map((c) => c.state?.waiting?.reason ?? c.state?.terminated?.reason)
        .filter(Boolean);
      return `${p.metadata?.name} (${p.status?.phase ?? 'unknown'}${why.length ? `: ${why.join(', ')}` : ''})`;
    });
}
