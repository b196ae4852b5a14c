/**
 * `restoreVerificationWorkflow`: an untested backup is a hope. The newest backup of a plan and a
 * random sample of older ones are each restored into a scratch database (pg:backup:restore:
 * the dump's sha256 checked first, every table's rows and checksum compared with the manifest
 * before the copy appears), the plan's smoke queries run against the copy, and the copy is
 * dropped whatever happened, in a scope a cancellation cannot interrupt. The slowest restore is
 * measured against the tier's RTO and the data's age against its RPO; a failed sample or a
 * missed objective tells the plan's notify target and fails the run with the report attached.
 */
import { ApplicationFailure, CancellationScope, isCancellation, setHandler, uuid4 } from '@temporalio/workflow';
import {
  verificationStatusQuery,
  type BackupPlanDefinition,
  type RestoreVerificationInput,
  type SampleReport,
  type VerificationStatus,
} from '../../shared/backup';
import { FAILURE } from '../../shared/failures';
import { Notifier, type OutputOf } from '../kit';

type PgBackupSummary = OutputOf<'pg:backup:list'>['backups'][number];
import {
  checkPlanStart,
  errorOf,
  HEARTBEAT_MS,
  LONG_RETRY,
  planCaller,
  readRpo,
  seconds,
  showPhase,
  type PlanCaller,
} from './common';

const SMOKE_RETRY = { maxAttempts: 2, initialIntervalMs: 1000, backoff: 2 };

/** The newest backup and `n` others picked at random (the workflow's seeded random: replays pick the same). */
export function pickSamples(
  backups: PgBackupSummary[],
  n: number,
): Array<{ b: PgBackupSummary; role: SampleReport['role'] }> {
  const [newest, ...older] = backups;
  if (!newest) return [];
  const pool = [...older];
  const picked: PgBackupSummary[] = [];
  while (picked.length < n && pool.length) picked.push(...pool.splice(Math.floor(Math.random() * pool.length), 1));
  return [{ b: newest, role: 'newest' }, ...picked.map((b) => ({ b, role: 'older' as const }))];
}

/** `<prefix>_<plan>_<run>_<n>`: a name of its own per run, within PostgreSQL's plain-name rules. */
function scratchName(plan: BackupPlanDefinition, run: string, i: number): string {
  const slug = plan.name.replace(/-/g, '_').slice(0, 20);
  return `${plan.verify.scratchPrefix}_${slug}_${run}_${i}`.slice(0, 48);
}

async function verifySample(
  call: PlanCaller,
  plan: BackupPlanDefinition,
  pick: { b: PgBackupSummary; role: SampleReport['role'] },
  into: string,
  i: number,
): Promise<SampleReport> {
  const on = plan.verify.on;
  const report: SampleReport = {
    backupId: pick.b.id,
    role: pick.role,
    snapshotAt: pick.b.snapshotAt,
    into,
    ok: false,
    smoke: [],
    dropped: false,
  };
  try {
    const r = await call(
      'pg:backup:restore',
      `restore-${i}`,
      {
        database: on,
        ...(on !== plan.database ? { from: plan.database } : {}),
        store: plan.store,
        ...(plan.prefix ? { prefix: plan.prefix } : {}),
        backup: pick.b.id,
        into,
        scratch: true,
        replace: false,
        jobs: plan.verify.jobs,
        owners: false,
        maintenanceDatabase: 'postgres',
      },
      { retry: LONG_RETRY, timeoutMs: plan.verify.timeoutMs, heartbeatTimeoutMs: HEARTBEAT_MS },
    );
    report.restoreMs = r.durationMs;
    report.backupAgeSeconds = r.backupAgeSeconds;
    report.tables = r.tables;
    report.rows = r.rows;
    for (const [j, q] of plan.verify.smoke.entries()) {
      try {
        const s = await call(
          'pg:query:smoke',
          `smoke-${i}-${j}`,
          { database: on, dbname: into, sql: q.sql, params: [], ...(q.expectRows ? { expectRows: q.expectRows } : {}) },
          { retry: SMOKE_RETRY },
        );
        report.smoke.push({ name: q.name, ok: true, rows: s.rowCount });
      } catch (err) {
        if (isCancellation(err)) throw err;
        report.smoke.push({ name: q.name, ok: false, error: errorOf(err).message });
      }
    }
    report.ok = report.smoke.every((s) => s.ok);
  } catch (err) {
    if (isCancellation(err)) throw err;
    report.error = errorOf(err);
  } finally {
    // Whatever happened (a cancelled run too), the copy goes: scratch copies only, so never the real one.
    await CancellationScope.nonCancellable(async () => {
      try {
        await call('pg:database:drop', `drop-${i}`, {
          database: on,
          name: into,
          onlyScratch: true,
          maintenanceDatabase: 'postgres',
        });
        report.dropped = true;
      } catch (err) {
        report.error ??= { ...errorOf(err), message: `dropping ${into}: ${errorOf(err).message}` };
        report.ok = false;
      }
    });
  }
  return report;
}

export async function restoreVerificationWorkflow(input: RestoreVerificationInput): Promise<VerificationStatus> {
  const plan = checkPlanStart(input);
  const call = planCaller('restore-verification', plan);
  const notifier = new Notifier({ runbookId: `restore-verification:${plan.name}`, dryRun: false });
  const status: VerificationStatus = {
    plan: plan.name,
    database: plan.database,
    phase: 'starting',
    startedAt: new Date().toISOString(),
    samples: [],
    problems: [],
  };
  setHandler(verificationStatusQuery, () => status, {
    description: 'The verification: each sample restored, checked and dropped, and the RTO and RPO measured.',
  });
  const phase = (p: VerificationStatus['phase']): void => {
    status.phase = p;
    showPhase(p);
  };

  phase('listing');
  let newestAge: number | null = null;
  let backups: PgBackupSummary[] = [];
  try {
    const l = await call('pg:backup:list', 'list', {
      database: plan.database,
      store: plan.store,
      ...(plan.prefix ? { prefix: plan.prefix } : {}),
      limit: 1000,
    });
    backups = l.backups;
    newestAge = l.newestAgeSeconds;
    for (const key of l.unreadable)
      status.problems.push(`manifest ${key} does not check: that backup cannot be restored`);
  } catch (err) {
    status.problems.push(`listing the backups failed: ${errorOf(err).message}`);
  }
  if (!backups.length && !status.problems.length)
    status.problems.push(`no complete backup of ${plan.database} in ${plan.store}`);

  phase('restoring');
  const run = uuid4().replace(/-/g, '').slice(0, 8);
  const picks = pickSamples(backups, plan.verify.olderSample);
  for (const [i, pick] of picks.entries()) {
    const r = await verifySample(call, plan, pick, scratchName(plan, run, i), i);
    status.samples.push(r);
    if (r.error) status.problems.push(`backup ${r.backupId} (${r.role}): ${r.error.message}`);
    for (const s of r.smoke.filter((x) => !x.ok))
      status.problems.push(`backup ${r.backupId}: smoke query ${s.name} failed: ${s.error ?? ''}`);
  }

  const restored = status.samples.filter((s) => s.restoreMs !== undefined).map((s) => s.restoreMs as number);
  const restoreSeconds = restored.length ? Math.round(Math.max(...restored) / 100) / 10 : null;
  const rtoSeconds = Math.round(plan.objectives.rtoMs / 1000);
  const rpo = await readRpo(call, plan, newestAge, 'archive');
  status.objectives = {
    tier: plan.tier,
    rtoSeconds,
    restoreSeconds,
    rtoMet: restoreSeconds !== null && restoreSeconds <= rtoSeconds,
    rpo,
  };
  if (restoreSeconds !== null && restoreSeconds > rtoSeconds)
    status.problems.push(
      `the slowest restore took ${seconds(restoreSeconds * 1000)} (RTO objective ${seconds(plan.objectives.rtoMs)})`,
    );
  if (!rpo.met && rpo.seconds !== null)
    status.problems.push(
      `the newest restorable data is ${seconds(rpo.seconds * 1000)} old (RPO objective ${seconds(plan.objectives.rpoMs)})`,
    );
  status.ok = status.problems.length === 0 && status.samples.length > 0 && status.samples.every((s) => s.ok);
  status.finishedAt = new Date().toISOString();

  if (status.ok) {
    phase('done');
    return status;
  }
  if (plan.notify)
    await notifier.notify(
      plan.notify,
      `Restore verification of plan ${plan.name} (${plan.database}) failed: ${status.problems.join('; ')}`,
      'critical',
    );
  phase('failed');
  const integrity = status.samples.some((s) => s.error?.type === FAILURE.IntegrityFailed);
  throw ApplicationFailure.create({
    message: `restore verification of ${plan.database} (plan ${plan.name}): ${status.problems[0] ?? 'no sample verified'}`,
    type: integrity ? FAILURE.IntegrityFailed : FAILURE.CheckFailed,
    nonRetryable: true,
    details: [status],
  });
}
