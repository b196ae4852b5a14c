/** Catalog entries for Jobs (from a CronJob, wait) and Services (patch). */
import { FAILURE } from '../../shared/failures';
import { z } from 'zod';
import type { CatalogEntry } from '../types';
import { changed, k8sName, namespace, NON_RETRYABLE } from './common';

const fromCronInput = z
  .object({
    namespace,
    cronJob: k8sName('cronjob'),
    name: k8sName('job').max(63).optional().describe('@default <cronjob>-<hash of the step>-m'),
  })
  .strict();
const fromCronOutput = z.object({ ...changed, job: z.string() });
export const jobFromCronJob: CatalogEntry<typeof fromCronInput, typeof fromCronOutput, 'k8s:job:from-cronjob'> = {
  id: 'k8s:job:from-cronjob',
  formerly: { activity: 'createJobFromCronJob' },
  description:
    "Run a CronJob now, as `kubectl create job --from=cronjob/<name>`: a Job from its template, marked manual and owned by it. The job's name comes from the step, so a retry finds the job it made.",
  input: fromCronInput,
  output: fromCronOutput,
  mutating: true,
  nonRetryable: NON_RETRYABLE,
  describe: (i) => `create a job from cronjob ${i.namespace}/${i.cronJob}`,
  example: {
    needs: 'kubernetes',
    with: { namespace: 'production', cronJob: 'postgres-backup' },
  },
};

const waitJobInput = z
  .object({
    namespace,
    name: k8sName('job'),
    timeoutSeconds: z.number().int().min(1).max(86_400).default(1800),
    intervalSeconds: z.number().int().min(1).max(300).default(5),
  })
  .strict();
const waitJobOutput = z.object({ succeeded: z.number(), completionTime: z.string().nullable() });
export const waitForJob: CatalogEntry<typeof waitJobInput, typeof waitJobOutput, 'k8s:job:wait'> = {
  id: 'k8s:job:wait',
  formerly: { activity: 'waitForJob' },
  description: 'Wait until a Job completes; fail (JobFailed) when it fails, or (JobTimeout) after the timeout.',
  input: waitJobInput,
  output: waitJobOutput,
  mutating: false,
  nonRetryable: [...NON_RETRYABLE, FAILURE.JobFailed, FAILURE.JobTimeout],
  describe: (i) => `wait for job ${i.namespace}/${i.name}`,
  example: {
    needs: 'kubernetes',
    with: { namespace: 'production', name: 'postgres-backup-manual', timeoutSeconds: 600 },
  },
};

const patchServiceInput = z
  .object({
    namespace,
    name: k8sName('service'),
    type: z.enum(['ClusterIP', 'NodePort', 'LoadBalancer']).optional(),
    selector: z.record(z.string(), z.string()).optional().describe('Replaces the selector whole (blue-green switch).'),
  })
  .strict()
  .refine((i) => i.type !== undefined || i.selector !== undefined, { message: 'give type, selector or both' });
const patchServiceOutput = z.object({ ...changed, type: z.string(), selector: z.record(z.string(), z.string()) });
export const patchService: CatalogEntry<typeof patchServiceInput, typeof patchServiceOutput, 'k8s:service:patch'> = {
  id: 'k8s:service:patch',
  formerly: { activity: 'patchService' },
  description:
    'Patch a Service: its type (ClusterIP isolates it from outside traffic; node ports are dropped) and/or its selector (replaced whole, e.g. switching blue to green).',
  input: patchServiceInput,
  output: patchServiceOutput,
  mutating: true,
  nonRetryable: NON_RETRYABLE,
  describe: (i) =>
    `patch service ${i.namespace}/${i.name}${i.type ? ` to ${i.type}` : ''}${
      i.selector
        ? ` selecting ${Object.entries(i.selector)
            .map(([k, v]) => `${k}=${v}`)
            .join(',')}`
        : ''
    }`,
  example: {
    needs: 'kubernetes',
    with: { namespace: 'production', name: 'checkout', selector: { app: 'checkout', slot: 'green' } },
  },
};

export const WORKLOAD_ENTRIES = [jobFromCronJob, waitForJob, patchService] as const;
