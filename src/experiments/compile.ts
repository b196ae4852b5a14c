/**
 * Faults as catalog actions, each with the rollback it gets without being told: what is taken
 * away is given back (a deployment's replicas as they were, a node uncordoned, a process
 * started, a Chaos Mesh resource deleted); deleted pods need none (their controller replaces
 * them). A fault whose action this version's catalog lacks is refused at load, named.
 */
import { stringify } from 'yaml';
import { parseDuration } from '../shared/duration';
import type { FaultKindName, MethodStepDefinition, RollbackDefinition } from '../shared/experiment';
import type { AuthoredMethodStep } from './schema';

type Fault = NonNullable<AuthoredMethodStep['fault']>;
type Compiled = Pick<MethodStepDefinition, 'action' | 'input' | 'pods'> & { rollback?: RollbackDefinition };

const seconds = (d: string): number => Math.round((parseDuration(d) ?? 0) / 1000);

const CHAOS_MESH_API = 'chaos-mesh.org/v1alpha1';

export const FAULTS: { [K in FaultKindName]: (f: NonNullable<Fault[K]>) => Compiled } = {
  deletePods: (f) => ({
    action: 'k8s:pod:delete',
    input: { namespace: f.namespace, selector: f.selector, max: f.count },
    pods: f.count,
  }),
  scaleDeployment: (f) => ({
    action: 'k8s:deployment:scale',
    input: { namespace: f.namespace, name: f.deployment, replicas: f.replicas },
    rollback: {
      action: 'k8s:deployment:scale',
      input: { namespace: f.namespace, name: f.deployment },
      // Back to what it had when the fault went in, not to a number written in the file.
      fromOutput: { replicas: 'from' },
    },
  }),
  cordonNode: (f) => ({
    action: 'k8s:node:cordon',
    input: { node: f.node },
    rollback: { action: 'k8s:node:uncordon', input: { node: f.node } },
  }),
  drainNode: (f) => ({
    action: 'k8s:node:drain',
    input: { node: f.node, timeoutSeconds: seconds(f.timeout) },
    rollback: { action: 'k8s:node:uncordon', input: { node: f.node } },
  }),
  stopProcess: (f) => ({
    action: 'host:process:stop',
    input: { host: f.host, process: f.process },
    rollback: { action: 'host:process:start', input: { host: f.host, process: f.process } },
  }),
  stopPostgresPrimary: (f) => ({
    action: 'dr:primary:stop',
    input: { failoverPlan: f.failoverPlan },
    rollback: { action: 'dr:drill:reset', input: { failoverPlan: f.failoverPlan } },
  }),
  chaosMesh: (f) => {
    const metadata = { name: f.name, namespace: f.namespace };
    return {
      action: 'k8s:manifest:apply',
      input: { manifest: stringify({ apiVersion: CHAOS_MESH_API, kind: f.kind, metadata, spec: f.spec }) },
      rollback: {
        action: 'k8s:manifest:delete',
        input: { apiVersion: CHAOS_MESH_API, kind: f.kind, namespace: f.namespace, name: f.name },
      },
    };
  },
};

/** The one fault kind a step names (the schema has made sure there is exactly one). */
export function faultOf(f: Fault): { kind: FaultKindName; compiled: Compiled } {
  const kind = (Object.keys(FAULTS) as FaultKindName[]).find((k) => f[k] !== undefined) as FaultKindName;
  const compile = FAULTS[kind] as (x: unknown) => Compiled;
  return { kind, compiled: compile(f[kind]) };
}

/** The namespace a fault acts in (node and host faults have none: they are budgeted by count). */
export function faultNamespace(f: Fault): string | undefined {
  return f.deletePods?.namespace ?? f.scaleDeployment?.namespace ?? f.chaosMesh?.namespace;
}
