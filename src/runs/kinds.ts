/**
 * The registry of workflow kinds, client side: for each kind, its workflow type, what names its
 * target and how that is checked, and how a start is prepared (input, search attributes, the Web
 * UI's summary and details) for a trigger that starts it now (the API, the CLI, an alert) and for
 * a schedule. The run service, alert ingest and schedule sync start whatever entry a trigger
 * names, so a new kind is one entry here (plus its name in `WORKFLOW_KINDS` and its workflow type
 * constant); the mapped type refuses a registry that misses a kind.
 */
import { RUNBOOK_WORKFLOW, SA } from '../shared/constants';
import type { ParamValue, TriggerInfo } from '../shared/model';
import { staticSummary } from '../shared/run-summary';
import { DEFAULT_WORKFLOW_KIND, WORKFLOW_KINDS, type WorkflowKind } from '../shared/workflow-kinds';
import type { RunbookWorkflowInput } from '../shared/workflow-types';
import { prepareStart } from './start-options';
import { incidentKind } from './incident-kind';
import { backupKind, restoreVerificationKind } from './backup-kind';
import { drillKind } from './drill-kind';
import { failoverKind } from './failover-kind';

export type {
  KindContext,
  KindInput,
  KindScheduledStart,
  KindStart,
  KindStartRequest,
  WorkflowKindEntry,
} from './kind-types';
import type { WorkflowKindEntry } from './kind-types';

const sortedParams = <T>(p: Record<string, T>): Record<string, T> =>
  Object.fromEntries(Object.entries(p).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/** `runbookWorkflow`: one interpreter for every runbook in the library. */
const runbookKind: WorkflowKindEntry<RunbookWorkflowInput> & { kind: 'runbook' } = {
  kind: 'runbook',
  workflowType: RUNBOOK_WORKFLOW,
  targetNoun: 'runbook',
  targetExists: ({ library }, id) => library.runbooks.has(id),
  prepare({ library, config }, req) {
    const dryRun = req.dryRun ?? false;
    const emergency = req.emergency ?? false;
    const p = prepareStart(library, config, {
      runbookId: req.target,
      params: req.params,
      trigger: req.trigger,
      dryRun,
      emergency,
    });
    return {
      kind: 'runbook',
      workflowType: RUNBOOK_WORKFLOW,
      target: p.runbook.id,
      params: p.params,
      input: p.input,
      typedSearchAttributes: p.typedSearchAttributes,
      staticSummary: p.staticSummary,
      staticDetails: p.staticDetails,
      workflowIdPrefix: p.runbook.id,
      // The version pins it: the same key with an edited runbook is a different request.
      request: { runbook: p.runbook.id, version: p.runbook.version, params: p.params, dryRun, emergency },
      intent: {
        workflowType: RUNBOOK_WORKFLOW,
        runbookId: p.runbook.id,
        definition: p.runbook,
        params: p.params,
        trigger: req.trigger,
        approverGroups: p.input.approverGroups ?? {},
        emergency,
        dryRun,
      },
    };
  },
  // These fields are hashed into the sync memo: changing them updates every runbook schedule.
  scheduled(def, { scheduleId: id, declaredBy, onBehalfOf }) {
    // Signed with the rest: the run refuses that person's approvals as it refuses its requester's.
    const trigger: TriggerInfo = {
      source: 'schedule',
      requestedBy: `schedule:${id}`,
      ...(onBehalfOf !== undefined ? { onBehalfOf } : {}),
    };
    return {
      input: { runbookId: def.runbookId, params: def.params, trigger },
      intent: {
        workflowType: RUNBOOK_WORKFLOW,
        runbookId: def.runbookId,
        params: def.params as Record<string, ParamValue>,
        trigger,
        emergency: false,
        dryRun: false,
      },
      typedSearchAttributes: [
        { key: SA.runbookId, value: def.runbookId },
        { key: SA.triggerSource, value: 'schedule' },
        { key: SA.requestedBy, value: `schedule:${id}` },
        { key: SA.phase, value: 'starting' },
      ],
      // Params sorted: the summary (and so the hash) must not depend on the order they were written in.
      staticSummary:
        `${staticSummary(declaredBy ?? { id: def.runbookId, title: def.runbookId }, sortedParams(def.params), false)} [schedule ${def.id}]`.slice(
          0,
          390,
        ),
      // No spec here: a change of when it fires is a spec change only, not an action change too.
      staticDetails: `Started by schedule \`${id}\`. The worker loads the current version of runbook \`${def.runbookId}\` when the run starts.`,
    };
  },
};

/** Every kind's entry, keyed by kind. */
export const WORKFLOW_KIND_REGISTRY: { readonly [K in WorkflowKind]: WorkflowKindEntry & { kind: K } } = {
  runbook: runbookKind,
  incident: incidentKind as WorkflowKindEntry & { kind: 'incident' },
  backup: backupKind,
  'restore-verification': restoreVerificationKind,
  'dr-failover': failoverKind as WorkflowKindEntry & { kind: 'dr-failover' },
  'chaos-drill': drillKind as WorkflowKindEntry & { kind: 'chaos-drill' },
};

/** The entry of a kind (the default kind, `runbook`, when none is named). */
export function workflowKind(kind: WorkflowKind = DEFAULT_WORKFLOW_KIND): WorkflowKindEntry {
  const entry = (WORKFLOW_KIND_REGISTRY as Partial<Record<string, WorkflowKindEntry>>)[kind];
  // Configuration is checked when loaded; this guards callers that build routes or defs by hand.
  if (!entry) throw new Error(`unknown workflow kind '${String(kind)}' (known: ${WORKFLOW_KINDS.join(', ')})`);
  return entry;
}
