/**
 * `backupWorkflow`: one backup of a plan's database (pg:backup:create into its store, with its
 * manifest), then its retention (pg:backup:prune, which reports what it kept and deleted and
 * why), then the RPO available now. Its status (the `backupStatus` query, and the result) shows
 * the backup's size and duration and the age of the newest good backup. A failed backup still
 * reads what is left to restore from, tells the plan's notify target, and fails the run, so the
 * Web UI and the schedule's history show it failed. A retry of the dump finds its own backup (the
 * id comes from the step's idempotency key), so a worker dying mid-run never makes two.
 */
import { ApplicationFailure, setHandler } from '@temporalio/workflow';
import { backupStatusQuery, type BackupStatus, type BackupWorkflowInput } from '../../shared/backup';
import { FAILURE } from '../../shared/failures';
import { Notifier } from '../kit';
import { checkPlanStart, errorOf, HEARTBEAT_MS, LONG_RETRY, planCaller, readRpo, seconds, showPhase } from './common';

export async function backupWorkflow(input: BackupWorkflowInput): Promise<BackupStatus> {
  const plan = checkPlanStart(input);
  const call = planCaller('backup', plan);
  const notifier = new Notifier({ runbookId: `backup:${plan.name}`, dryRun: false });
  const status: BackupStatus = {
    plan: plan.name,
    database: plan.database,
    store: plan.store,
    phase: 'starting',
    startedAt: new Date().toISOString(),
  };
  setHandler(backupStatusQuery, () => status, {
    description: 'The backup: its size and duration, retention, and the age of the newest good backup (RPO).',
  });
  const where = { database: plan.database, store: plan.store, ...(plan.prefix ? { prefix: plan.prefix } : {}) };
  const phase = (p: BackupStatus['phase']): void => {
    status.phase = p;
    showPhase(p);
  };

  phase('backing-up');
  try {
    const b = await call(
      'pg:backup:create',
      'backup',
      { ...where, checksums: plan.checksums, ...(plan.compress !== undefined ? { compress: plan.compress } : {}) },
      { retry: LONG_RETRY, timeoutMs: plan.timeoutMs, heartbeatTimeoutMs: HEARTBEAT_MS },
    );
    status.backup = {
      id: b.id,
      sizeBytes: b.size,
      durationMs: b.durationMs,
      snapshotAt: b.snapshotAt,
      tables: b.tables,
      rows: b.rows,
      created: b.changed,
    };
  } catch (err) {
    status.error = errorOf(err);
  }

  // Retention runs after a failed backup too: it never deletes the newest good one (keepLast).
  if (!status.error) {
    phase('pruning');
    try {
      const r = await call('pg:backup:prune', 'prune', { ...where, ...plan.retention });
      status.retention = {
        kept: r.kept.length,
        deleted: [...r.deleted.map((d) => d.id), ...r.incompleteDeleted.map((d) => d.key)],
      };
    } catch (err) {
      status.error = { ...errorOf(err), message: `retention: ${errorOf(err).message}` };
    }
  }

  let newestAge: number | null = null;
  try {
    const l = await call('pg:backup:list', 'list', { ...where, limit: 1000 });
    status.backups = { count: l.backups.length, incomplete: l.incomplete.length, unreadable: l.unreadable };
    newestAge = l.newestAgeSeconds;
  } catch (err) {
    status.error ??= { ...errorOf(err), message: `listing: ${errorOf(err).message}` };
  }
  status.rpo = await readRpo(call, plan, newestAge, 'archive');
  status.finishedAt = new Date().toISOString();

  const problems: string[] = [];
  if (status.error) problems.push(`the backup failed: ${status.error.message}`);
  if (status.backups?.unreadable.length)
    problems.push(
      `${status.backups.unreadable.length} manifest(s) do not check: ${status.backups.unreadable.join(', ')}`,
    );
  if (!status.rpo.met)
    problems.push(
      status.rpo.seconds === null
        ? `nothing to restore from (RPO objective ${seconds(plan.objectives.rpoMs)})`
        : `the newest restorable data is ${seconds(status.rpo.seconds * 1000)} old (RPO objective ${seconds(plan.objectives.rpoMs)})`,
    );
  // A missed RPO alone is news for whoever watches the plan, not a failed backup.
  if (problems.length && plan.notify)
    await notifier.notify(
      plan.notify,
      `Backup plan ${plan.name} (${plan.database}): ${problems.join('; ')}`,
      status.error ? 'critical' : 'warning',
    );
  if (status.error) {
    phase('failed');
    throw ApplicationFailure.create({
      message: `backup of ${plan.database} (plan ${plan.name}) failed: ${status.error.message}`,
      type: status.error.type ?? FAILURE.CheckFailed,
      nonRetryable: true,
      details: [status],
    });
  }
  phase('done');
  return status;
}
