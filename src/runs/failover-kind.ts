/**
 * The `dr-failover` workflow kind, client side: its target is a failover plan from configuration
 * (`failoverPlans.<name>`), compiled and signed inline with the approver groups as configured
 * now. The runbooks it will start (traffic, deploy) must exist in the library when it starts.
 * One failover per plan at a time: its workflow id is the plan's (`dr-failover-<plan>`).
 */
import { recoveryObjectivesOf } from '../config/backup-plans';
import { failoverDefinition, failoverRunbooks } from '../config/failover-plans';
import { FAILOVER_WORKFLOW, SA } from '../shared/constants';
import type { FailoverWorkflowInput } from '../shared/failover';
import type { ParamValue } from '../shared/model';
import { RunError } from './errors';
import type { KindContext, KindStart, KindStartRequest, WorkflowKindEntry } from './kind-types';

export const failoverKind: WorkflowKindEntry<FailoverWorkflowInput> & { kind: 'dr-failover' } = {
  kind: 'dr-failover',
  workflowType: FAILOVER_WORKFLOW,
  targetNoun: 'failover plan',
  targetExists: ({ config }, id) => id in (config.failoverPlans ?? {}),
  // One failover per plan at a time; drills are many over time, each its own id.
  exactWorkflowId: (start) => (start.params.drill === true ? undefined : start.workflowIdPrefix),
  resolvedStarts: false,
  prepare(ctx: KindContext, req: KindStartRequest): KindStart<FailoverWorkflowInput> {
    const raw = ctx.config.failoverPlans?.[req.target];
    if (!raw) {
      const known = Object.keys(ctx.config.failoverPlans ?? {}).join(', ') || 'none configured';
      throw new RunError(
        'not_found',
        `no failover plan '${req.target}' (failoverPlans.<name>; known: ${known})`,
        'runbook',
      );
    }
    for (const k of Object.keys(req.params))
      if (k !== 'drill' && k !== 'pointInTime')
        throw new RunError(
          'invalid',
          `unknown param '${k}' (a failover takes drill and pointInTime: it does what its plan says)`,
          `params.${k}`,
        );
    const pointInTime = pointInTimeOf(req.params.pointInTime, raw.restore?.pitr !== undefined, req.target);
    const d = req.params.drill;
    if (d !== undefined && d !== true && d !== false && d !== 'true' && d !== 'false')
      throw new RunError('invalid', 'drill must be true or false', 'params.drill');
    const drill = d === true || d === 'true';
    if (drill && !raw.drill)
      throw new RunError(
        'invalid',
        `failover plan '${req.target}' has no drill: section (its standby environment)`,
        'params.drill',
      );
    if (req.dryRun) throw new RunError('invalid', 'a failover has no dry run', 'dryRun');
    const plan = failoverDefinition(
      req.target,
      raw,
      ctx.config.recoveryObjectives ?? recoveryObjectivesOf(undefined),
      drill,
      {
        ...(ctx.config.backupPlans ? { backupPlans: ctx.config.backupPlans } : {}),
        ...(ctx.config.databases ? { databases: ctx.config.databases } : {}),
        ...(pointInTime ? { pointInTime } : {}),
      },
    );
    if (raw.restore && !plan.restore && !drill)
      throw new RunError(
        'invalid',
        raw.restore.backupPlan !== undefined
          ? `failover plan '${plan.name}' restores from backup plan '${raw.restore.backupPlan}', which configuration does not have with database '${raw.standby}'`
          : `failover plan '${plan.name}' recovers onto '${raw.standby}', which is not under databases:`,
        'runbook',
      );
    const params: Record<string, ParamValue> = {
      ...(drill ? { drill: true } : {}),
      ...(pointInTime ? { pointInTime } : {}),
    };
    for (const id of failoverRunbooks(plan))
      if (!ctx.library.runbooks.has(id))
        throw new RunError(
          'invalid',
          `failover plan '${plan.name}' names runbook '${id}', which is not in the library`,
          'runbook',
        );
    const approverGroups = ctx.config.approverGroups;
    return {
      kind: 'dr-failover',
      workflowType: FAILOVER_WORKFLOW,
      target: plan.name,
      params,
      input: { plan, trigger: req.trigger, approverGroups },
      typedSearchAttributes: [
        { key: SA.runbookId, value: plan.name },
        { key: SA.service, value: plan.primary },
        { key: SA.triggerSource, value: req.trigger.source },
        { key: SA.requestedBy, value: req.trigger.requestedBy },
        { key: SA.phase, value: 'assessment' },
      ],
      staticSummary: `DR ${drill ? 'drill' : 'failover'}: ${plan.name} (${plan.primary} → ${plan.standby})`,
      staticDetails:
        `Failover of \`${plan.primary}\` to its standby \`${plan.standby}\` (plan \`${plan.name}\`, ${plan.tier}), ` +
        `started by ${req.trigger.requestedBy} (${req.trigger.source}). It waits for an approval before the ` +
        'irreversible part; its phases, RTO and RPO are in the `failoverReport` query.',
      workflowIdPrefix: `${drill ? 'dr-drill' : 'dr-failover'}-${plan.name}`,
      request: { plan, drill },
      intent: {
        workflowType: FAILOVER_WORKFLOW,
        runbookId: plan.name,
        definition: plan,
        params,
        trigger: req.trigger,
        approverGroups,
        emergency: false,
        dryRun: false,
      },
    };
  },
  scheduled() {
    // A failover is decided by people; the quarterly drill on a schedule is drill mode's to come.
    throw new RunError('invalid', 'failovers are not started by schedules', 'kind');
  },
};

/**
 * The last safe point a PITR failover recovers to, when not the end of the archive (a
 * corruption's time, say): an ISO 8601 time with its offset, in the past.
 */
function pointInTimeOf(v: unknown, pitr: boolean, plan: string): string | undefined {
  if (v === undefined) return undefined;
  if (!pitr)
    throw new RunError(
      'invalid',
      `failover plan '${plan}' does not recover from a WAL archive (restore.pitr): it has no point in time`,
      'params.pointInTime',
    );
  const ok =
    typeof v === 'string' &&
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$/.test(v) &&
    !Number.isNaN(Date.parse(v));
  if (!ok)
    throw new RunError(
      'invalid',
      'pointInTime must be an ISO 8601 time with its offset (2026-12-01T06:30:00Z)',
      'params.pointInTime',
    );
  if (Date.parse(v) > Date.now())
    throw new RunError('invalid', `pointInTime ${v} is in the future`, 'params.pointInTime');
  return v;
}
