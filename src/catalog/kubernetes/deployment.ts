/** Catalog entries for Deployments: the `kubectl rollout` family, scale, set image and set env. */
import { FAILURE } from '../../shared/failures';
import { z } from 'zod';
import type { CatalogEntry } from '../types';
import { changed, k8sName, namespace, NON_RETRYABLE } from './common';

const ref = { namespace, name: k8sName('deployment').describe('The deployment.') };
const EXAMPLE = { namespace: 'production', name: 'checkout' };

const refInput = z.object(ref).strict();

const restartOutput = z.object({ ...changed, restartedAt: z.string() });
export const restartDeployment: CatalogEntry<typeof refInput, typeof restartOutput, 'k8s:deployment:restart'> = {
  id: 'k8s:deployment:restart',
  formerly: { activity: 'restartDeployment' },
  description:
    'Restart every pod of a deployment, as `kubectl rollout restart`: a new pod template annotation starts a rollout. Recorded on the deployment, so a retried step does not restart twice.',
  input: refInput,
  output: restartOutput,
  mutating: true,
  nonRetryable: NON_RETRYABLE,
  describe: (i) => `restart deployment ${i.namespace}/${i.name} (rollout restart)`,
  example: {
    needs: 'kubernetes',
    with: EXAMPLE,
  },
};

const scaleInput = z
  .object({
    ...ref,
    replicas: z.number().int().min(0).optional(),
    by: z.number().int().optional(),
    min: z.number().int().min(0).optional(),
    max: z.number().int().min(0).optional(),
  })
  .strict()
  .refine((i) => (i.replicas === undefined) !== (i.by === undefined), { message: 'give exactly one of replicas, by' });
const scaleOutput = z.object({ ...changed, from: z.number(), to: z.number() });
export const scaleDeployment: CatalogEntry<typeof scaleInput, typeof scaleOutput, 'k8s:deployment:scale'> = {
  id: 'k8s:deployment:scale',
  formerly: { activity: 'scaleDeployment' },
  description:
    "Set a deployment's replicas to a number (`replicas`) or change them by an amount (`by`, within `min`/`max`), as `kubectl scale`. A relative change is recorded on the deployment, so a retried step does not apply it twice.",
  input: scaleInput,
  output: scaleOutput,
  mutating: true,
  nonRetryable: NON_RETRYABLE,
  describe: (i) =>
    `scale deployment ${i.namespace}/${i.name} ${i.replicas !== undefined ? `to ${i.replicas}` : `by ${i.by}`}`,
  example: {
    needs: 'kubernetes',
    with: { ...EXAMPLE, by: 2, max: 10 },
  },
};

const setImageInput = z.object({ ...ref, container: z.string().optional(), image: z.string().min(1) }).strict();
const setImageOutput = z.object({ ...changed, container: z.string(), from: z.string(), to: z.string() });
export const setDeploymentImage: CatalogEntry<typeof setImageInput, typeof setImageOutput, 'k8s:deployment:set-image'> =
  {
    id: 'k8s:deployment:set-image',
    formerly: { activity: 'setDeploymentImage' },
    description: "Set a container's image, as `kubectl set image` (the container may be left out when there is one).",
    input: setImageInput,
    output: setImageOutput,
    mutating: true,
    nonRetryable: NON_RETRYABLE,
    describe: (i) =>
      `set image of ${i.namespace}/${i.name}${i.container ? ` container ${i.container}` : ''} to ${i.image}`,
    example: {
      needs: 'kubernetes',
      with: { ...EXAMPLE, image: 'registry.example/checkout:1.4.2' },
    },
  };

const setEnvInput = z
  .object({
    ...ref,
    container: z.string().optional(),
    env: z.record(z.string().regex(/^[-._a-zA-Z][-._a-zA-Z0-9]*$/), z.string().nullable()),
  })
  .strict();
const setEnvOutput = z.object({
  ...changed,
  container: z.string(),
  set: z.array(z.string()),
  removed: z.array(z.string()),
});
export const setDeploymentEnv: CatalogEntry<typeof setEnvInput, typeof setEnvOutput, 'k8s:deployment:set-env'> = {
  id: 'k8s:deployment:set-env',
  formerly: { activity: 'setDeploymentEnv' },
  description:
    'Set or remove (null) environment variables of a container, as `kubectl set env`; unchanged values change nothing.',
  input: setEnvInput,
  output: setEnvOutput,
  mutating: true,
  nonRetryable: NON_RETRYABLE,
  describe: (i) =>
    `set env of ${i.namespace}/${i.name}: ${Object.entries(i.env)
      .map(([k, v]) => (v === null ? `-${k}` : `${k}=${v}`))
      .join(' ')}`,
  example: {
    needs: 'kubernetes',
    with: { ...EXAMPLE, env: { FEATURE_X: 'off', DEBUG: null } },
  },
};

const historyOutput = z.object({
  revisions: z.array(
    z.object({
      revision: z.number(),
      changeCause: z.string().nullable(),
      images: z.array(z.string()),
      replicas: z.number(),
      current: z.boolean(),
    }),
  ),
});
export const deploymentHistory: CatalogEntry<typeof refInput, typeof historyOutput, 'k8s:deployment:history'> = {
  id: 'k8s:deployment:history',
  formerly: { activity: 'deploymentRolloutHistory' },
  description:
    'The revisions of a deployment, as `kubectl rollout history`: number, change cause, images, replicas, which is current.',
  input: refInput,
  output: historyOutput,
  mutating: false,
  nonRetryable: NON_RETRYABLE,
  describe: (i) => `read the rollout history of ${i.namespace}/${i.name}`,
  example: {
    needs: 'kubernetes',
    with: EXAMPLE,
  },
};

const undoInput = z.object({ ...ref, toRevision: z.number().int().min(1).optional() }).strict();
const undoOutput = z.object({ ...changed, toRevision: z.number() });
export const undoDeployment: CatalogEntry<typeof undoInput, typeof undoOutput, 'k8s:deployment:undo'> = {
  id: 'k8s:deployment:undo',
  formerly: { activity: 'undoDeploymentRollout' },
  description:
    'Roll a deployment back, as `kubectl rollout undo`: to the previous revision, or to `toRevision`. Recorded on the deployment, so a retried step does not undo its own undo.',
  input: undoInput,
  output: undoOutput,
  mutating: true,
  nonRetryable: NON_RETRYABLE,
  describe: (i) =>
    `roll back ${i.namespace}/${i.name} to ${i.toRevision ? `revision ${i.toRevision}` : 'the previous revision'}`,
  example: {
    needs: 'kubernetes',
    with: EXAMPLE,
  },
};

const statusInput = z
  .object({
    ...ref,
    timeoutSeconds: z.number().int().min(1).max(3600).default(300),
    intervalSeconds: z.number().int().min(1).max(60).default(2),
  })
  .strict();
const statusOutput = z.object({
  done: z.literal(true),
  message: z.string(),
  revision: z.string(),
  replicas: z.number(),
});
export const deploymentRolloutStatus: CatalogEntry<
  typeof statusInput,
  typeof statusOutput,
  'k8s:deployment:rollout-status'
> = {
  id: 'k8s:deployment:rollout-status',
  formerly: { activity: 'waitForDeploymentRollout' },
  description:
    "Wait until a deployment's newest template is rolled out and available, as `kubectl rollout status`; after `timeoutSeconds` fail (RolloutTimeout) naming the pods that are not ready and why. Give the step a heartbeat timeout so cancelling it is prompt.",
  input: statusInput,
  output: statusOutput,
  mutating: false,
  nonRetryable: [...NON_RETRYABLE, FAILURE.RolloutTimeout, FAILURE.RolloutFailed],
  describe: (i) => `wait for ${i.namespace}/${i.name} to roll out (up to ${i.timeoutSeconds}s)`,
  example: {
    needs: 'kubernetes',
    with: { ...EXAMPLE, timeoutSeconds: 120 },
  },
};

export const DEPLOYMENT_ENTRIES = [
  restartDeployment,
  scaleDeployment,
  setDeploymentImage,
  setDeploymentEnv,
  deploymentHistory,
  undoDeployment,
  deploymentRolloutStatus,
] as const;
