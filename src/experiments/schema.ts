/**
 * The authoring form of an experiment file (`experiments/*.yaml`), as zod schemas: a chaos
 * drill's steady-state hypothesis (probes with tolerances), its method (faults, or any catalog
 * action), how long to observe, what detection and recovery are measured against, its
 * rollbacks, when it aborts, and the blast radius it may not exceed. The JSON Schema for
 * editors (schemas/experiment.schema.json) is generated from these; docs/experiments.md says
 * what each field does.
 */
import { z } from 'zod';
import { parseDuration } from '../shared/duration';

export const NAME = /^[a-z][a-z0-9-]{0,62}$/;
const name = z.string().regex(NAME, 'lower-case letters, digits and dashes, starting with a letter (at most 63)');
const duration = z.string().refine((d) => parseDuration(d) !== undefined, 'a duration such as 30s, 5m or 1h');
const k8sName = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, 'a Kubernetes name (lower case, digits, - and .)');
const selector = z
  .string()
  .min(1)
  .max(500)
  .regex(/^[A-Za-z0-9._/=,!() -]+$/, 'a label selector such as app=checkout,tier!=canary');
const scalar = z.union([z.string(), z.number(), z.boolean()]);

/** One probe: one of its kinds, and how far off it may be. */
const httpProbe = z
  .object({
    url: z.string().url(),
    method: z.enum(['GET', 'HEAD']).default('GET'),
    /** The status codes that hold. @default [200] */
    status: z.array(z.number().int().min(100).max(599)).min(1).default([200]),
    /** The body must contain this text. */
    contains: z.string().min(1).max(1000).optional(),
    timeout: duration.default('5s'),
  })
  .strict();
const prometheusProbe = z
  .object({
    /** Prometheus' base URL (read through `http:request:send`, so the egress policy applies). */
    url: z.url({ protocol: /^https?$/ }),
    /** PromQL answering one number (the first series' value); no series is a deviation. */
    query: z.string().min(1).max(4000),
    min: z.number().optional(),
    max: z.number().optional(),
    /** Judge over a range: every sample of the last `over` (a range query at `step`) must hold. */
    over: duration.optional(),
    step: duration.default('15s'),
  })
  .strict()
  .refine((p) => p.min !== undefined || p.max !== undefined, { message: 'give min, max or both' });
const kubernetesProbe = z
  .object({
    namespace: k8sName,
    /** A deployment's pods: at least `minReady` ready (default: at least one, and none not ready). */
    deployment: k8sName.optional(),
    /** Or pods by selector: at least `minReady` ready. */
    selector: selector.optional(),
    minReady: z.number().int().min(0).optional(),
  })
  .strict()
  .refine((p) => (p.deployment === undefined) !== (p.selector === undefined), {
    message: 'give exactly one of deployment, selector',
  })
  .refine((p) => p.selector === undefined || p.minReady !== undefined, {
    message: 'a selector probe needs minReady',
  });
/** At most this many samples in a range probe: its answer is read in one capped HTTP body. */
export const MAX_RANGE_SAMPLES = 240;
const sqlProbe = z
  .object({
    /** A database under `databases:` of configuration. */
    database: name,
    query: z.string().min(1).max(10_000),
    expectRows: z
      .object({ min: z.number().int().min(0).optional(), max: z.number().int().min(0).optional() })
      .strict()
      .optional(),
    timeout: duration.default('5s'),
  })
  .strict();
const redisProbe = z
  .object({
    /** A Redis server of configuration, as `redis:health:read` names it: it must answer and not be loading. */
    server: name,
  })
  .strict();

export const PROBE_KINDS = ['http', 'prometheus', 'kubernetes', 'sql', 'redis'] as const;
export type ProbeKind = (typeof PROBE_KINDS)[number];

export const probeSpec = z
  .object({
    name,
    http: httpProbe.optional(),
    prometheus: prometheusProbe.optional(),
    kubernetes: kubernetesProbe.optional(),
    sql: sqlProbe.optional(),
    redis: redisProbe.optional(),
    /**
     * How many readings in a row may deviate before the hypothesis counts as broken (a flaky
     * endpoint is not an outage). @default 1 (the first deviation counts)
     */
    tolerance: z.number().int().min(1).max(20).default(1),
  })
  .strict()
  .refine((p) => PROBE_KINDS.filter((k) => p[k] !== undefined).length === 1, {
    message: `a probe has exactly one of: ${PROBE_KINDS.join(', ')}`,
  });

/** The faults a method injects, each with the rollback it gets without being told. */
const faults = {
  /** Delete pods by selector (at most `count`): their controller must replace them. No rollback needed. */
  deletePods: z.object({ namespace: k8sName, selector, count: z.number().int().min(1).max(100) }).strict(),
  /** Scale a deployment (to 0 by default): rolled back to the replicas it had. */
  scaleDeployment: z
    .object({ namespace: k8sName, deployment: k8sName, replicas: z.number().int().min(0).default(0) })
    .strict(),
  /** Cordon a node (no new pods on it): rolled back by uncordoning. */
  cordonNode: z.object({ node: k8sName }).strict(),
  /** Cordon and evict a node's pods (respecting disruption budgets): rolled back by uncordoning. */
  drainNode: z.object({ node: k8sName, timeout: duration.default('5m') }).strict(),
  /** Stop a process on a test host of configuration (`drills.hosts.<name>`): rolled back by starting it. */
  stopProcess: z.object({ host: name, process: name }).strict(),
  /**
   * Stop a failover plan's PostgreSQL primary (`failoverPlans.<name>`): its drill environment's
   * by default. Remediation is the DR failover; rollback is the plan's drill reset.
   */
  stopPostgresPrimary: z.object({ failoverPlan: name }).strict(),
  /** A Chaos Mesh resource (its CRDs must be installed): applied, and deleted as the rollback. */
  chaosMesh: z
    .object({
      kind: z.enum(['PodChaos', 'NetworkChaos', 'StressChaos']),
      namespace: k8sName,
      name: k8sName,
      spec: z.record(z.string(), z.unknown()),
    })
    .strict(),
} as const;
export const FAULT_KINDS = Object.keys(faults) as Array<keyof typeof faults>;
export type FaultKind = keyof typeof faults;

const actionCall = z
  .object({
    /** A catalog action id (docs/actions.md). */
    action: z.string().regex(/^[a-z0-9]+(:[a-z0-9-]+){2}$/, 'a catalog action id such as k8s:deployment:scale'),
    with: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

export const methodSpec = z
  .object({
    name,
    fault: z
      .object(
        Object.fromEntries(FAULT_KINDS.map((k) => [k, faults[k].optional()])) as {
          [K in FaultKind]: z.ZodOptional<(typeof faults)[K]>;
        },
      )
      .strict()
      .refine((f) => FAULT_KINDS.filter((k) => f[k] !== undefined).length === 1, {
        message: `a fault has exactly one of: ${FAULT_KINDS.join(', ')}`,
      })
      .optional(),
    action: actionCall.shape.action.optional(),
    with: z.record(z.string(), z.unknown()).optional(),
    /** Undo of a catalog action step (a fault's own rollback is built in). */
    rollback: actionCall.optional(),
    /** Wait this long after the step before the next one. */
    pause: duration.optional(),
  })
  .strict()
  .refine((m) => (m.fault === undefined) !== (m.action === undefined), {
    message: 'a method step is a fault or an action, exactly one',
  })
  .refine((m) => m.action !== undefined || (m.with === undefined && m.rollback === undefined), {
    message: 'with and rollback belong to an action step',
  });

const labels = z.record(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'a label name'), z.string().max(500));

export const experimentFile = z
  .object({
    id: name,
    title: z.string().min(1).max(200),
    description: z.string().max(10_000).default(''),
    /** Where in the seeds this drill comes from. */
    seeds: z.array(z.string().min(1).max(300)).default([]),
    tags: z.array(name).default([]),
    /** Who must approve before the fault. `required: false` runs without (a game day's own). */
    approval: z
      .object({
        required: z.boolean().default(true),
        approvers: z
          .array(z.string().min(1).max(256))
          .min(1)
          .optional()
          .describe('Identities, and groups as group:<name>. @default any approver'),
        timeout: duration.default('30m'),
      })
      .strict()
      .default({ required: true, timeout: '30m' }),
    /** What the drill may touch: one namespace, at most so many pods and nodes. */
    budget: z
      .object({
        namespace: k8sName,
        /** Pods a fault may take away at once (deleted, or replicas scaled away). */
        maxPods: z.number().int().min(1).max(1000),
        /** Nodes a fault may cordon or drain. @default 0 */
        maxNodes: z.number().int().min(0).max(10).default(0),
      })
      .strict(),
    steadyState: z
      .object({
        probes: z.array(probeSpec).min(1).max(20),
        /** How often the probes are read while the fault is in. @default 10s */
        every: duration.default('10s'),
      })
      .strict(),
    method: z.array(methodSpec).min(1).max(20),
    /** How long the fault stays in before the rollbacks (recovery is watched meanwhile). @default 2m */
    observe: duration.default('2m'),
    /** Time to detect: the alert that should fire, and how fast. */
    detect: z
      .object({ alert: z.string().min(1).max(200), labels: labels.default({}), within: duration.default('5m') })
      .strict()
      .optional(),
    /** Time to recover: the hypothesis holding again (or `remediation` finished) within this. */
    recover: z
      .object({ within: duration.default('5m') })
      .strict()
      .default({ within: '5m' }),
    /** A runbook that remediates (started as a child run once the fault is in), or the failover plan's failover. */
    remediation: z
      .object({ runbook: name, params: z.record(z.string(), scalar).default({}) })
      .strict()
      .optional(),
    /** Undo steps run after the built-in rollbacks, always (cancel, abort, failure, success). */
    rollbacks: z.array(actionCall.extend({ name })).max(20).default([]),
    abort: z
      .object({
        /** Probes whose deviation during the method aborts the drill (a real outage, not the one planned). */
        onDeviation: z.array(name).default([]),
        /** Abort when an alert fires that is not the drill's own (`detect.alert`). @default true */
        unrelatedAlerts: z.boolean().default(true),
      })
      .strict()
      .default({ onDeviation: [], unrelatedAlerts: true }),
  })
  .strict();
export type AuthoredExperiment = z.infer<typeof experimentFile>;
export type AuthoredProbe = z.infer<typeof probeSpec>;
export type AuthoredMethodStep = z.infer<typeof methodSpec>;

export function experimentJsonSchema(): unknown {
  return z.toJSONSchema(experimentFile, { target: 'draft-2020-12', unrepresentable: 'any', io: 'input' });
}
