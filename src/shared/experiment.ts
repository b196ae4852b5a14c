/**
 * A chaos experiment as the drill workflow runs it (issue 14): compiled from an experiment file
 * (src/experiments/load.ts), signed into the drill's start like a runbook's definition. Every
 * fault is a catalog action with the rollback it gets without being told; probes are read by
 * one activity that knows their kinds.
 */
import type { ParamValue } from './model';

export type ProbeKindName = 'http' | 'prometheus' | 'kubernetes' | 'sql' | 'redis';

export interface ProbeDefinition {
  name: string;
  kind: ProbeKindName;
  /** The probe's settings as authored (durations as written): what the probe activity reads. */
  spec: Record<string, unknown>;
  /** Deviating readings in a row before the hypothesis counts as broken. */
  tolerance: number;
}

export interface ActionCall {
  action: string;
  input: Record<string, unknown>;
}

export type FaultKindName =
  'deletePods' | 'scaleDeployment' | 'cordonNode' | 'drainNode' | 'stopProcess' | 'stopPostgresPrimary' | 'chaosMesh';

/**
 * How a step is undone: a fixed call, or one whose input comes from what the step answered
 * (`fromOutput`: the scale a deployment had before it was scaled away).
 */
export interface RollbackDefinition extends ActionCall {
  /** Input fields taken from the step's output: input field name to output field name. */
  fromOutput?: Record<string, string>;
}

export interface MethodStepDefinition extends ActionCall {
  name: string;
  /** The fault it is, or `action` for any catalog action. */
  kind: FaultKindName | 'action';
  rollback?: RollbackDefinition;
  pauseMs?: number;
  /** Pods it takes away at most, known at load (deletePods' count); scaling is checked when it runs. */
  pods?: number;
}

export interface ExperimentDefinition {
  id: string;
  title: string;
  description: string;
  /** sha256 of the file text, first 12 hex digits: which version a drill ran. */
  version: string;
  seeds: string[];
  tags: string[];
  approval: { required: boolean; approvers?: string[]; timeoutMs: number };
  budget: { namespace: string; maxPods: number; maxNodes: number };
  probes: ProbeDefinition[];
  everyMs: number;
  method: MethodStepDefinition[];
  observeMs: number;
  detect?: { alert: string; labels: Record<string, string>; withinMs: number };
  recoverWithinMs: number;
  remediation?: { runbook: string; params: Record<string, ParamValue> };
  rollbacks: Array<ActionCall & { name: string }>;
  abort: { onDeviation: string[]; unrelatedAlerts: boolean };
}
