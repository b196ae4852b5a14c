/**
 * The schedules configuration declares: each backup plan's `schedule` (a `backup` run) and
 * `verify.schedule` (a `restore-verification` run), compiled like a runbook's `schedules:`
 * and synced with them. The plan goes inline into the schedule's action (ScheduleDef.definition),
 * so editing the plan updates the schedule at the next sync.
 */
import type { AppConfig } from '../config/load';
import { planDefinition } from '../config/backup-plans';
import type { PlanSchedule } from '../config/backup-plans-schema';
import { compileSchedules } from '../runbooks/compile-schedule';
import type { AuthoredSchedule } from '../runbooks/schema';
import type { ScheduleDef } from '../shared/schedule';
import type { WorkflowKind } from '../shared/workflow-kinds';

export type PlanScheduleConfig = Partial<Pick<AppConfig, 'backupPlans' | 'recoveryObjectives'>>;

export function planSchedules(config: PlanScheduleConfig): ScheduleDef[] {
  const out: ScheduleDef[] = [];
  for (const [name, p] of Object.entries(config.backupPlans ?? {})) {
    const definition = planDefinition(name, p, config.recoveryObjectives);
    const add = (kind: WorkflowKind, s: PlanSchedule | undefined): void => {
      if (!s) return;
      // The zone was checked when the configuration loaded; the plan is the target, so no params.
      const authored: AuthoredSchedule = { id: kind, ...s, params: {} };
      const [def] = compileSchedules({ id: name, title: name, params: {} } as never, [authored], () => undefined);
      if (def) out.push({ ...def, id: kind, kind, runbookId: name, params: {}, definition });
    };
    add('backup', p.schedule);
    add('restore-verification', p.verify.schedule);
  }
  return out;
}
