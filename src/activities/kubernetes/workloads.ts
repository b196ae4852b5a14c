/**
 * Jobs and Services: a Job from a CronJob (`kubectl create job --from=cronjob/...`) and waiting
 * for it; patching a Service (switch to ClusterIP to isolate it, or a blue-green selector).
 */
import { FAILURE } from '../../shared/failures';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { V1Job, V1Service } from '@kubernetes/client-node';
import type { StepContext } from '../../shared/activity-types';
import { PATCH, type KubeClients } from './client';
import { kube } from './errors';
import { KEY_ANNOTATION } from './deployments';

/** A job name from the cronjob and the step: the same on every retry, within 63 characters. */
export function jobName(cronJob: string, key: string): string {
  let h = 2166136261;
  for (const ch of key) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
  return `${cronJob.slice(0, 52)}-${h.toString(36).padStart(7, '0').slice(0, 7)}-m`.replace(/^-+/, '');
}

export function createWorkloadActions(clients: () => Promise<Pick<KubeClients, 'batch' | 'core' | 'patchAs'>>) {
  return {
    async jobFromCronJob(
      i: { namespace: string; cronJob: string; name?: string },
      ctx: StepContext,
    ): Promise<{ changed: boolean; job: string; reason?: string }> {
      const k = await clients();
      const name = i.name ?? jobName(i.cronJob, ctx.idempotencyKey);
      const existing = await k.batch.readNamespacedJob({ namespace: i.namespace, name }).catch(() => undefined);
      if (existing) {
        if (existing.metadata?.annotations?.[KEY_ANNOTATION] === ctx.idempotencyKey)
          return { changed: false, job: name, reason: 'already created by this step' };
        throw ApplicationFailure.nonRetryable(
          `a job ${i.namespace}/${name} exists already, not created by this step`,
          FAILURE.InvalidInput,
        );
      }
      const cj = await kube(`cronjob ${i.namespace}/${i.cronJob}`, () =>
        k.batch.readNamespacedCronJob({ namespace: i.namespace, name: i.cronJob }),
      );
      const tpl = cj.spec?.jobTemplate;
      // As kubectl does: the template's labels and annotations, marked manual, owned by the cronjob.
      const body: V1Job = {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: {
          name,
          namespace: i.namespace,
          labels: tpl?.metadata?.labels ?? {},
          annotations: {
            ...(tpl?.metadata?.annotations ?? {}),
            'cronjob.kubernetes.io/instantiate': 'manual',
            [KEY_ANNOTATION]: ctx.idempotencyKey,
          },
          ownerReferences: [
            {
              apiVersion: 'batch/v1',
              kind: 'CronJob',
              name: i.cronJob,
              uid: cj.metadata?.uid as string,
              controller: true,
            },
          ],
        },
        spec: tpl?.spec ?? { template: { spec: { containers: [] } } },
      };
      await kube(`create job ${i.namespace}/${name}`, () =>
        k.batch.createNamespacedJob({ namespace: i.namespace, body }),
      );
      return { changed: true, job: name };
    },

    async waitJob(i: {
      namespace: string;
      name: string;
      timeoutSeconds: number;
      intervalSeconds: number;
    }): Promise<{ succeeded: number; completionTime: string | null }> {
      const deadline = Date.now() + i.timeoutSeconds * 1000;
      for (;;) {
        const k = await clients();
        const job = await kube(`job ${i.namespace}/${i.name}`, () =>
          k.batch.readNamespacedJob({ namespace: i.namespace, name: i.name }),
        );
        const cond = (type: string) => job.status?.conditions?.find((c) => c.type === type && c.status === 'True');
        const failed = cond('Failed');
        if (failed)
          throw ApplicationFailure.nonRetryable(
            `job ${i.namespace}/${i.name} failed: ${failed.reason ?? ''} ${failed.message ?? ''}`.trim(),
            FAILURE.JobFailed,
          );
        if (cond('Complete'))
          return {
            succeeded: job.status?.succeeded ?? 0,
            completionTime: job.status?.completionTime ? new Date(job.status.completionTime).toISOString() : null,
          };
        if (Date.now() + i.intervalSeconds * 1000 > deadline) {
          throw ApplicationFailure.nonRetryable(
            `job ${i.namespace}/${i.name} not complete within ${i.timeoutSeconds}s (active ${job.status?.active ?? 0}, failed ${job.status?.failed ?? 0})`,
            FAILURE.JobTimeout,
          );
        }
        Context.current().heartbeat({ active: job.status?.active ?? 0 });
        await Context.current().sleep(i.intervalSeconds * 1000);
      }
    },

    /**
     * Patches a Service: its type (ClusterIP isolates it from outside; node ports are dropped, as
     * the API requires) and/or its selector (replaced whole: a blue-green switch).
     */
    async patchService(i: {
      namespace: string;
      name: string;
      type?: 'ClusterIP' | 'NodePort' | 'LoadBalancer';
      selector?: Record<string, string>;
    }): Promise<{ changed: boolean; type: string; selector: Record<string, string>; reason?: string }> {
      const k = await clients();
      const ref = { namespace: i.namespace, name: i.name };
      const svc: V1Service = await kube(`service ${i.namespace}/${i.name}`, () => k.core.readNamespacedService(ref));
      const typeNow = svc.spec?.type ?? 'ClusterIP';
      const selectorNow = svc.spec?.selector ?? {};
      const canonical = (o: Record<string, string>): string => JSON.stringify(Object.entries(o).sort());
      const newType = i.type !== undefined && i.type !== typeNow;
      const newSelector = i.selector !== undefined && canonical(i.selector) !== canonical(selectorNow);
      const type = i.type ?? typeNow;
      const selector = i.selector ?? selectorNow;
      if (!newType && !newSelector) return { changed: false, type, selector, reason: 'already as asked' };
      if (newSelector) {
        // Replaced whole (a merge would keep labels the new selector leaves out).
        await kube(`patch service ${i.namespace}/${i.name}`, () =>
          k.core.patchNamespacedService(
            { ...ref, body: [{ op: 'replace', path: '/spec/selector', value: selector }] },
            k.patchAs(PATCH.json),
          ),
        );
      }
      if (newType) {
        // To ClusterIP, node ports and the external traffic policy must go (the API refuses them).
        const ports =
          type === 'ClusterIP' ? (svc.spec?.ports ?? []).map(({ nodePort: _drop, ...p }) => p) : svc.spec?.ports;
        const body = { spec: { type, ports, ...(type === 'ClusterIP' ? { externalTrafficPolicy: null } : {}) } };
        await kube(`patch service ${i.namespace}/${i.name}`, () =>
          k.core.patchNamespacedService({ ...ref, body }, k.patchAs(PATCH.merge)),
        );
      }
      return { changed: true, type, selector };
    },
  };
}
