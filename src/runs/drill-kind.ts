/**
 * The `chaos-drill` workflow kind, client side: its target is an experiment of the experiment
 * library (`experiments/*.yaml`), compiled and signed inline as the start's definition with the
 * approver groups as configured now. A remediation runbook it names must be in the runbook
 * library when it starts. Drills are many over time: each gets its own workflow id.
 */
import { CHAOS_DRILL_WORKFLOW, SA } from '../shared/constants';
import type { DrillWorkflowInput } from '../shared/drill';
import { RunError } from './errors';
import type { KindContext, KindStart, KindStartRequest, WorkflowKindEntry } from './kind-types';

export const drillKind: WorkflowKindEntry<DrillWorkflowInput> & { kind: 'chaos-drill' } = {
  kind: 'chaos-drill',
  workflowType: CHAOS_DRILL_WORKFLOW,
  targetNoun: 'experiment',
  targetExists: ({ experiments }, id) => experiments?.has(id) ?? false,
  resolvedStarts: false,
  prepare(ctx: KindContext, req: KindStartRequest): KindStart<DrillWorkflowInput> {
    const x = ctx.experiments?.get(req.target);
    if (!x) {
      const known = [...(ctx.experiments?.keys() ?? [])].join(', ') || 'none loaded';
      throw new RunError('not_found', `no experiment '${req.target}' (experiments/*.yaml; known: ${known})`, 'runbook');
    }
    for (const k of Object.keys(req.params))
      throw new RunError('invalid', `unknown param '${k}' (a drill does what its experiment says)`, `params.${k}`);
    if (req.dryRun) throw new RunError('invalid', 'a drill has no dry run (its steady state is read first)', 'dryRun');
    const rb = x.remediation?.runbook;
    if (rb !== undefined && !ctx.library.runbooks.has(rb))
      throw new RunError(
        'invalid',
        `experiment '${x.id}' is remediated by runbook '${rb}', which is not in the library`,
        'runbook',
      );
    const approverGroups = ctx.config.approverGroups;
    return {
      kind: 'chaos-drill',
      workflowType: CHAOS_DRILL_WORKFLOW,
      target: x.id,
      params: {},
      input: { experiment: x, trigger: req.trigger, approverGroups },
      typedSearchAttributes: [
        { key: SA.runbookId, value: x.id },
        { key: SA.service, value: x.budget.namespace },
        { key: SA.triggerSource, value: req.trigger.source },
        { key: SA.requestedBy, value: req.trigger.requestedBy },
        { key: SA.phase, value: 'steady-state' },
      ],
      staticSummary: `Chaos drill: ${x.id} (${x.title})`,
      staticDetails:
        `Chaos drill of experiment \`${x.id}\` (version ${x.version}) in namespace \`${x.budget.namespace}\`, ` +
        `started by ${req.trigger.requestedBy} (${req.trigger.source}). It reads the steady state first, ` +
        `${x.approval.required ? 'waits for an approval, ' : ''}injects ${x.method.map((m) => m.name).join(', ')}, ` +
        'and always rolls back; readings, detect and recover times are in the `drillReport` query.',
      workflowIdPrefix: `chaos-drill-${x.id}`,
      request: { experiment: x.id, version: x.version },
      intent: {
        workflowType: CHAOS_DRILL_WORKFLOW,
        runbookId: x.id,
        definition: x,
        params: {},
        trigger: req.trigger,
        approverGroups,
        emergency: false,
        dryRun: false,
      },
    };
  },
  scheduled() {
    // Game days on Temporal Schedules are the next part of issue 14.
    throw new RunError('invalid', 'drills are not started by schedules yet', 'kind');
  },
};
