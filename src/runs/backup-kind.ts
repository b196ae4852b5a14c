/**
 * The `backup` and `restore-verification` workflow kinds, client side: their target is a backup
 * plan from configuration (`backupPlans.<name>`), compiled and signed inline into the start, so
 * the run does exactly what the plan said when it was started, and a plan edited later changes
 * the next run, not this one. They take no params: what a run does is the plan's.
 */
import { planDefinition, recoveryObjectivesOf } from '../config/backup-plans';
import type { BackupPlanDefinition, BackupWorkflowInput } from '../shared/backup';
import { BACKUP_WORKFLOW, RESTORE_VERIFICATION_WORKFLOW, SA } from '../shared/constants';
import type { ScheduleDef } from '../shared/schedule';
import type { TriggerInfo } from '../shared/model';
import { RunError } from './errors';
import type { KindContext, KindScheduledStart, KindStart, KindStartRequest, WorkflowKindEntry } from './kind-types';

type PlanKind = 'backup' | 'restore-verification';

const WORDS: Record<PlanKind, { type: string; title: string; prefix: string; what: string }> = {
  backup: { type: BACKUP_WORKFLOW, title: 'Backup', prefix: 'backup', what: 'backs up' },
  'restore-verification': {
    type: RESTORE_VERIFICATION_WORKFLOW,
    title: 'Restore verification',
    prefix: 'restore-verification',
    what: 'restores the newest and a random sample of older backups into scratch databases, checks and drops them, for',
  },
};

function planOf(ctx: KindContext, name: string): BackupPlanDefinition {
  const p = ctx.config.backupPlans?.[name];
  if (!p) {
    const known = Object.keys(ctx.config.backupPlans ?? {}).join(', ') || 'none configured';
    throw new RunError('not_found', `no backup plan '${name}' (backupPlans.<name>; known: ${known})`, 'runbook');
  }
  return planDefinition(name, p, ctx.config.recoveryObjectives ?? recoveryObjectivesOf(undefined));
}

function attributes(plan: BackupPlanDefinition, trigger: TriggerInfo) {
  return [
    { key: SA.runbookId, value: plan.name },
    { key: SA.service, value: plan.database },
    { key: SA.triggerSource, value: trigger.source },
    { key: SA.requestedBy, value: trigger.requestedBy },
    { key: SA.phase, value: 'starting' },
  ];
}

const details = (kind: PlanKind, plan: BackupPlanDefinition, who: string): string =>
  `${WORDS[kind].title} of plan \`${plan.name}\`: ${WORDS[kind].what} database \`${plan.database}\` ` +
  `(store \`${plan.store}\`, ${plan.tier}: RTO ${Math.round(plan.objectives.rtoMs / 60_000)} min, ` +
  `RPO ${Math.round(plan.objectives.rpoMs / 60_000)} min). Started by ${who}. Its report is in Current details.`;

function planKind(kind: PlanKind): WorkflowKindEntry<BackupWorkflowInput> {
  const w = WORDS[kind];
  return {
    kind,
    workflowType: w.type,
    targetNoun: 'backup plan',
    targetExists: ({ config }, id) => id in (config.backupPlans ?? {}),
    prepare(ctx: KindContext, req: KindStartRequest): KindStart<BackupWorkflowInput> {
      const plan = planOf(ctx, req.target);
      for (const k of Object.keys(req.params))
        throw new RunError(
          'invalid',
          `unknown param '${k}' (a ${kind} run takes none: it does what its plan says)`,
          `params.${k}`,
        );
      if (req.dryRun) throw new RunError('invalid', `a ${kind} run has no dry run`, 'dryRun');
      return {
        kind,
        workflowType: w.type,
        target: plan.name,
        params: {},
        input: { plan, trigger: req.trigger },
        typedSearchAttributes: attributes(plan, req.trigger),
        staticSummary: `${w.title}: ${plan.name} (${plan.database})`,
        staticDetails: details(kind, plan, `${req.trigger.requestedBy} (${req.trigger.source})`),
        workflowIdPrefix: `${w.prefix}-${plan.name}`,
        request: { plan },
        intent: {
          workflowType: w.type,
          runbookId: plan.name,
          definition: plan,
          params: {},
          trigger: req.trigger,
          emergency: false,
          dryRun: false,
        },
      };
    },
    scheduled(def: ScheduleDef, { scheduleId }): KindScheduledStart<BackupWorkflowInput> {
      const plan = def.definition as BackupPlanDefinition | undefined;
      if (!plan) throw new RunError('invalid', `schedule ${scheduleId} carries no backup plan`, 'definition');
      const trigger: TriggerInfo = { source: 'schedule', requestedBy: `schedule:${scheduleId}` };
      return {
        input: { plan, trigger },
        intent: {
          workflowType: w.type,
          runbookId: plan.name,
          definition: plan,
          params: {},
          trigger,
          emergency: false,
          dryRun: false,
        },
        typedSearchAttributes: attributes(plan, trigger),
        staticSummary: `${w.title}: ${plan.name} (${plan.database}) [schedule]`,
        staticDetails: details(kind, plan, `schedule \`${scheduleId}\``),
      };
    },
  };
}

export const backupKind = planKind('backup') as WorkflowKindEntry & { kind: 'backup' };
export const restoreVerificationKind = planKind('restore-verification') as WorkflowKindEntry & {
  kind: 'restore-verification';
};
