/**
 * Applying manifests (server-side apply, then waiting until what they declare is ready),
 * deleting one object of any kind, and reading cluster state: HPAs, node conditions.
 */
import { FAILURE } from '../../shared/failures';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { KubernetesObject, V1Deployment } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { PATCH, type KubeClients } from './client';
import { kube, kubeFailure, statusOf } from './errors';
import { rolloutState } from './deployments';

export const FIELD_MANAGER = 'durable-runbooks';
const WORKLOADS = new Set(['Deployment']);

function parseManifest(text: string, namespace: string | undefined): KubernetesObject[] {
  const docs = parseAllDocuments(text);
  const objects: KubernetesObject[] = [];
  for (const [n, doc] of docs.entries()) {
    if (doc.errors.length)
      throw ApplicationFailure.nonRetryable(
        `manifest document ${n + 1}: ${doc.errors[0]?.message}`,
        FAILURE.InvalidInput,
      );
    const o = doc.toJS() as KubernetesObject | null;
    if (o === null) continue;
    if (!o.apiVersion || !o.kind || !o.metadata?.name)
      throw ApplicationFailure.nonRetryable(
        `manifest document ${n + 1}: apiVersion, kind and metadata.name are required`,
        FAILURE.InvalidInput,
      );
    objects.push(namespace && !o.metadata.namespace ? { ...o, metadata: { ...o.metadata, namespace } } : o);
  }
  if (objects.length === 0) throw ApplicationFailure.nonRetryable('the manifest holds no object', FAILURE.InvalidInput);
  return objects;
}

/**
 * Whether a read failed because the server serves no such kind: client-node resolves the kind
 * through discovery first and fails with a plain Error when the group version lacks it, or with
 * the discovery request's 404 when the group version itself is unknown (its CRDs not installed).
 */
function unknownKind(err: unknown): boolean {
  const s = statusOf(err);
  const message = (err as Error | undefined)?.message ?? '';
  if (!s) return /^Unrecognized API version and kind/.test(message);
  return s.code === 404 && /^Failed to fetch resource metadata/.test(message);
}

const label = (o: KubernetesObject): string =>
  `${o.kind} ${o.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata?.name}`;

export function createClusterStateActions(
  clients: () => Promise<Pick<KubeClients, 'objects' | 'autoscaling' | 'core'>>,
) {
  return {
    /**
     * `kubectl apply --server-side` (field manager durable-runbooks; conflicts with other managers
     * fail unless `force`), then waits until the Deployments it declares are rolled out.
     */
    async apply(i: {
      manifest: string;
      namespace?: string;
      force: boolean;
      timeoutSeconds: number;
      intervalSeconds: number;
    }): Promise<{ changed: boolean; objects: Array<{ object: string; changed: boolean }> }> {
      const k = await clients();
      const objects = parseManifest(i.manifest, i.namespace);
      const results: Array<{ object: string; changed: boolean }> = [];
      for (const o of objects) {
        const before = await k.objects.read(o as never).then(
          (x: KubernetesObject) => x.metadata?.resourceVersion,
          () => undefined,
        );
        const after = await kube(`apply ${label(o)}`, () =>
          k.objects.patch(o, undefined, undefined, FIELD_MANAGER, i.force, PATCH.apply),
        );
        results.push({ object: label(o), changed: after.metadata?.resourceVersion !== before });
      }
      const deadline = Date.now() + i.timeoutSeconds * 1000;
      for (const o of objects.filter((x) => WORKLOADS.has(x.kind as string))) {
        for (;;) {
          const d = (await kube(`read ${label(o)}`, () => k.objects.read(o as never))) as V1Deployment;
          const v = rolloutState(d);
          if (v.failed) throw ApplicationFailure.nonRetryable(`${label(o)}: ${v.message}`, FAILURE.RolloutFailed);
          if (v.done) break;
          if (Date.now() + i.intervalSeconds * 1000 > deadline)
            throw ApplicationFailure.nonRetryable(
              `${label(o)} not ready within ${i.timeoutSeconds}s: ${v.message}`,
              FAILURE.RolloutTimeout,
            );
          Context.current().heartbeat({ waitingFor: label(o), message: v.message });
          await Context.current().sleep(i.intervalSeconds * 1000);
        }
      }
      return { changed: results.some((r) => r.changed), objects: results };
    },

    /** `kubectl delete <kind> <name>`: read first, so an object already gone is changed: false. */
    async delete(i: {
      apiVersion: string;
      kind: string;
      namespace?: string;
      name: string;
    }): Promise<{ changed: boolean; reason?: string }> {
      const k = await clients();
      const spec = (): KubernetesObject => ({
        apiVersion: i.apiVersion,
        kind: i.kind,
        metadata: { name: i.name, ...(i.namespace ? { namespace: i.namespace } : {}) },
      });
      const what = label(spec());
      const gone = { changed: false, reason: `${what} does not exist` };
      try {
        const o: KubernetesObject = await k.objects.read(spec() as never);
        // Finalizers hold it: deleting it again would change nothing.
        if (o.metadata?.deletionTimestamp) return { changed: false, reason: `${what} is being deleted already` };
      } catch (err) {
        if (unknownKind(err))
          throw ApplicationFailure.nonRetryable(
            `the server knows no kind ${i.kind} in ${i.apiVersion} (a custom resource needs its CRD installed)`,
            FAILURE.NotFound,
          );
        if (statusOf(err)?.code === 404) return gone;
        return kubeFailure(err, `read ${what}`);
      }
      try {
        await k.objects.delete(spec());
      } catch (err) {
        // Deleted by someone else between the read and the delete: as asked.
        if (statusOf(err)?.code === 404) return gone;
        return kubeFailure(err, `delete ${what}`);
      }
      return { changed: true };
    },

    async listHpas(i: { namespace: string }): Promise<{
      hpas: Array<{
        name: string;
        target: string;
        min: number;
        max: number;
        current: number;
        desired: number;
        atMax: boolean;
      }>;
    }> {
      const k = await clients();
      const list = await kube(`HPAs in ${i.namespace}`, () =>
        k.autoscaling.listNamespacedHorizontalPodAutoscaler({ namespace: i.namespace }),
      );
      return {
        hpas: list.items.map((h) => {
          const max = h.spec?.maxReplicas ?? 0;
          const current = h.status?.currentReplicas ?? 0;
          return {
            name: h.metadata?.name ?? '',
            target: `${h.spec?.scaleTargetRef.kind}/${h.spec?.scaleTargetRef.name}`,
            min: h.spec?.minReplicas ?? 1,
            max,
            current,
            desired: h.status?.desiredReplicas ?? 0,
            atMax: current >= max && max > 0,
          };
        }),
      };
    },

    /** Every node's conditions, and which are not ready or under pressure. */
    async nodeConditions(): Promise<{
      total: number;
      ready: number;
      problems: Array<{ node: string; conditions: string[] }>;
    }> {
      const k = await clients();
      const nodes = await kube('nodes', () => k.core.listNode({}));
      const problems: Array<{ node: string; conditions: string[] }> = [];
      let ready = 0;
      for (const n of nodes.items) {
        const bad: string[] = [];
        for (const c of n.status?.conditions ?? []) {
          if (c.type === 'Ready') {
            if (c.status === 'True') ready++;
            else bad.push(`NotReady${c.reason ? ` (${c.reason})` : ''}`);
          } else if (c.status === 'True') bad.push(c.type);
        }
        if (n.spec?.unschedulable) bad.push('Unschedulable');
        if (bad.length) problems.push({ node: n.metadata?.name ?? '', conditions: bad });
      }
      return { total: nodes.items.length, ready, problems };
    },
  };
}
