/**
 * Backups, restore verifications and failovers for people (the API, the CLI): the plans as
 * configured, a run of one started by the caller (through the run service, so it is signed like
 * any start), and a run's report read from the run itself (its own query, by workflow type).
 */
import type { Client } from '@temporalio/client';
import { recoveryObjectivesOf } from '../config/backup-plans';
import type { AppConfig } from '../config/load';
import { backupStatusQuery, verificationStatusQuery } from '../shared/backup';
import { BACKUP_WORKFLOW, FAILOVER_WORKFLOW, RESTORE_VERIFICATION_WORKFLOW } from '../shared/constants';
import { failoverReportQuery, type FailoverReport } from '../shared/failover';
import { failoverMarkdown } from '../shared/failover-report';
import { failoverSvg } from '../shared/failover-svg';
import { scheduleId } from '../shared/schedule';
import { RunError } from './errors';
import type { RunService, StartedRun } from './service';

export type RecoveryKind = 'backup' | 'restore-verification' | 'dr-failover';

export interface RecoveryReport {
  workflowId: string;
  workflowType: string;
  status: string;
  /** The run's own status (null when no worker answered). */
  report: unknown;
  /** Failovers: the report as Markdown, and its phase timeline as an SVG picture. */
  markdown?: string;
  svg?: string;
}

export function createRecoveryService(deps: {
  runs: RunService;
  client: Client;
  config: Pick<AppConfig, 'backupPlans' | 'failoverPlans' | 'recoveryObjectives'>;
}) {
  const { runs, client, config } = deps;

  function plans() {
    const objectives = config.recoveryObjectives ?? recoveryObjectivesOf(undefined);
    const sid = (kind: 'backup' | 'restore-verification', name: string, declared: unknown) =>
      declared ? scheduleId({ kind, runbookId: name, id: kind }) : null;
    return {
      backups: Object.entries(config.backupPlans).map(([name, p]) => ({
        name,
        database: p.database,
        store: p.store,
        tier: p.tier,
        objectives: objectives[p.tier],
        schedule: sid('backup', name, p.schedule),
        verifySchedule: sid('restore-verification', name, p.verify.schedule),
      })),
      failovers: Object.entries(config.failoverPlans).map(([name, p]) => ({
        name,
        primary: p.primary,
        standby: p.standby,
        tier: p.tier,
        objectives: objectives[p.tier],
        drill: p.drill ? { primary: p.drill.primary, standby: p.drill.standby } : null,
      })),
    };
  }

  function start(
    kind: RecoveryKind,
    plan: string,
    who: { actor: string; via: 'api' | 'cli'; reason?: string },
    o: { drill?: boolean; pointInTime?: string } = {},
  ): Promise<StartedRun> {
    return runs.start({
      kind,
      target: plan,
      params: {
        ...(o.drill ? { drill: true } : {}),
        ...(o.pointInTime !== undefined ? { pointInTime: o.pointInTime } : {}),
      },
      ...(who.reason ? { reason: who.reason } : {}),
      trigger: { source: who.via, requestedBy: who.actor },
    });
  }

  async function report(workflowId: string): Promise<RecoveryReport> {
    return runs.call(async () => {
      const h = client.workflow.getHandle(workflowId);
      const d = await h.describe();
      const query =
        d.type === BACKUP_WORKFLOW
          ? backupStatusQuery
          : d.type === RESTORE_VERIFICATION_WORKFLOW
            ? verificationStatusQuery
            : d.type === FAILOVER_WORKFLOW
              ? failoverReportQuery
              : undefined;
      if (!query) throw new RunError('not_found', `no backup, verification or failover '${workflowId}'`);
      let r: unknown = null;
      try {
        r = await client.connection.withDeadline(Date.now() + 5000, () => h.query(query as typeof backupStatusQuery));
      } catch {
        r = null;
      }
      return {
        workflowId,
        workflowType: d.type,
        status: d.status.name,
        report: r,
        ...(d.type === FAILOVER_WORKFLOW && r
          ? { markdown: failoverMarkdown(r as FailoverReport), svg: failoverSvg(r as FailoverReport) }
          : {}),
      };
    }, `no run '${workflowId}'`);
  }

  return { plans, start, report };
}

export type RecoveryService = ReturnType<typeof createRecoveryService>;
