/** What a plan shows: a run's steps resolved as far as params allow (the API and CLI show it). */
import type { JsonValue, ParamValue, Step } from '../shared/model';

export interface PlanStep {
  id: string;
  name?: string;
  kind: Step['kind'];
  action?: string;
  mutating: boolean;
  /** yes / no (its `when` is false) / depends (its `when` needs values from the run). */
  runs: 'yes' | 'no' | 'depends';
  when?: string;
  /** Inputs with templates resolved; `<steps.x.output.y>` marks what only the run knows. */
  inputs?: JsonValue;
  message?: string;
  /** For approvals: who, how many, what a deadline does, which steps the decision covers. */
  approval?: {
    approvers: string[] | 'any approver';
    required: number;
    onTimeout: string;
    guards: string[];
    emergency: boolean;
  };
  /** For mutating steps with an undo: the undo's action. */
  undo?: string;
  onFailure?: string;
  wait?: string;
  until?: string;
  steps?: PlanStep[];
}

export interface Plan {
  runbook: { id: string; title: string; version: string };
  /** The lock the run takes (its target), and the runbook's concurrency limit. */
  target?: string;
  concurrency?: number;
  params: Record<string, ParamValue>;
  steps: PlanStep[];
  mutatingSteps: string[];
  /** sha256 of the plan's canonical JSON (without the hash). */
  hash: string;
}
