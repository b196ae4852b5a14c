/**
 * The shapes of the workflow-kind registry (src/runs/kinds.ts): what a kind's entry answers and
 * what a start looks like. Apart from the registry so each kind's entry can live in its own file.
 */
import type { SearchAttributePair } from '@temporalio/common';
import type { AppConfig } from '../config/load';
import type { RunbookLibrary } from '../runbooks/library';
import type { AlertNotice } from '../shared/alert';
import type { ExperimentDefinition } from '../shared/experiment';
import type { ParamValue, RunbookDefinition, TriggerInfo } from '../shared/model';
import type { ScheduleDef } from '../shared/schedule';
import type { SignedStart } from '../shared/signed';
import type { WorkflowKind } from '../shared/workflow-kinds';
import type { StartIntent } from './sign';

/** What preparing a start may read: the library and configuration loaded now. */
export interface KindContext {
  library: RunbookLibrary;
  /** The experiment library (chaos drills start from it). @default none */
  experiments?: ReadonlyMap<string, ExperimentDefinition>;
  /** Incident starts also read the incident rules, channels and targets when given (defaults otherwise); backup starts the plans. */
  config: Pick<AppConfig, 'approverGroups'> &
    Partial<
      Pick<
        AppConfig,
        | 'incidents'
        | 'incidentSetup'
        | 'notifyTargets'
        | 'backupPlans'
        | 'recoveryObjectives'
        | 'failoverPlans'
        | 'databases'
      >
    >;
}

/** A start as a trigger asks for it, whatever the kind. */
export interface KindStartRequest {
  /** The id of what the kind starts: a runbook id for `runbook`. */
  target: string;
  params: Record<string, unknown>;
  trigger: TriggerInfo;
  /** @default false */
  dryRun?: boolean;
  /** @default false */
  emergency?: boolean;
}

/**
 * The fields every kind's input has that triggers fill in: who asked, and for alert routes the
 * notification that started the run (its workflow takes later ones as `alertSignal`).
 */
export interface KindInput {
  trigger?: TriggerInfo;
  alert?: AlertNotice;
  /** The API's signature over the start (every kind's workflow verifies it). */
  signed?: SignedStart;
}

/** A start ready to send to Temporal. */
export interface KindStart<I extends KindInput = KindInput> {
  kind: WorkflowKind;
  workflowType: string;
  /** The target's id, as resolved (the runbook's id). */
  target: string;
  /** The params, validated and with defaults. */
  params: Record<string, ParamValue>;
  input: I;
  typedSearchAttributes: SearchAttributePair[];
  staticSummary: string;
  staticDetails: string;
  /** The first part of the workflow id: `<prefix>-<time>-<random>`, or `<prefix>-k<key hash>` with an idempotency key. */
  workflowIdPrefix: string;
  /** What makes two requests with one idempotency key the same request (hashed into the run's memo). */
  request: unknown;
  /** What the start claims, signed once its workflow id is known (src/runs/sign.ts). */
  intent: StartIntent;
}

/** What a schedule's action starts (by target id: the worker resolves the current version). */
export interface KindScheduledStart<I extends KindInput = KindInput> {
  input: I;
  /** What the schedule's runs claim, signed bound to the schedule's workflow id prefix. */
  intent: StartIntent;
  typedSearchAttributes: SearchAttributePair[];
  staticSummary: string;
  staticDetails: string;
}

export interface WorkflowKindEntry<I extends KindInput = KindInput> {
  kind: WorkflowKind;
  /** The Temporal workflow type it starts (a constant in src/shared/constants.ts). */
  workflowType: string;
  /** What its target is, in messages: `no runbook 'x'`. */
  targetNoun: string;
  /**
   * Kinds that name their runs themselves (an incident per service): the start's exact workflow
   * id, used again once its run has closed (one open at a time). Absent: `<prefix>-<time>-<random>`.
   */
  exactWorkflowId?(start: KindStart<I>): string | undefined;
  /** Whether a resolved alert may start one (an incident: no; a resolution only reaches an open one). @default true */
  resolvedStarts?: boolean;
  /** Whether the target exists (routes are checked when the API starts, not per alert). */
  targetExists(ctx: KindContext, id: string): boolean;
  /** A start now; throws RunError (not_found, invalid) when the target or params do not fit. */
  prepare(ctx: KindContext, req: KindStartRequest): KindStart<I>;
  /**
   * A schedule's start; `declaredBy` is the runbook whose file declares the schedule, when loaded;
   * `onBehalfOf` the person its runs act for (who last created, changed or triggered it), if any.
   */
  scheduled(
    def: ScheduleDef,
    o: { scheduleId: string; declaredBy?: Pick<RunbookDefinition, 'id' | 'title'>; onBehalfOf?: string },
  ): KindScheduledStart<I>;
}
