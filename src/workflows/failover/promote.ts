/**
 * The failover's irreversible step, one of three: promote the streaming standby (pg_promote),
 * or, for a site without one, restore the newest backup onto the standby's server
 * (pg:backup:restore with replace: the copy is proved against its manifest before it takes the
 * name, so the site holds either the old database or the complete restored one, never half of
 * it), or recover the primary's base backup and WAL archive to the last safe point into a new
 * cluster on the worker's host (pg:pitr:restore: it takes connections only once recovered).
 */
import { patched } from '@temporalio/workflow';
import type { FailoverPlanDefinition, FailoverReport, PitrRestore } from '../../shared/failover';
import { HEARTBEAT_MS, LONG_RETRY, type PlanCaller } from '../backup/common';
import type { FailoverRecorder } from './recorder';

const PROMOTE_RETRY = { maxAttempts: 3, initialIntervalMs: 2000, backoff: 2 };

export async function promote(
  call: PlanCaller,
  plan: FailoverPlanDefinition,
  r: FailoverReport,
  rec: FailoverRecorder,
): Promise<void> {
  const p = await call(
    'pg:server:promote',
    'promote',
    { database: plan.standby, waitSeconds: plan.promoteWaitSeconds },
    // A local activity: on the RTO's path with no server round trip. pg:server:promote reads the
    // standby's state first (a promoted one answers changed: false), so a worker that dies in it
    // and the replay that runs it again promote once. Patched: failovers started before it
    // scheduled a server activity here, and replay must see the same.
    {
      retry: PROMOTE_RETRY,
      timeoutMs: (plan.promoteWaitSeconds + 30) * 1000,
      local: patched('failover-local-promotion'),
    },
  );
  r.promoted = { lsn: p.lsn, timeline: p.timeline, durationMs: p.durationMs, changed: p.changed };
  rec.event(`${plan.standby} promoted: timeline ${p.timeline} at ${p.lsn}`);
}

export async function restoreOnto(
  call: PlanCaller,
  plan: FailoverPlanDefinition,
  r: FailoverReport,
  rec: FailoverRecorder,
): Promise<void> {
  const x = plan.restore;
  if (!x) throw new TypeError('not a restore-mode plan');
  if (x.mode === 'pitr') return recoverOnto(call, x, r, rec);
  const o = await call(
    'pg:backup:restore',
    'restore',
    {
      database: plan.standby,
      from: x.from,
      store: x.store,
      ...(x.prefix ? { prefix: x.prefix } : {}),
      backup: 'newest',
      into: x.into,
      // Covered by the failover's approval: the standby site's copy is replaced by the backup.
      replace: true,
      jobs: x.jobs,
      owners: false,
      scratch: false,
      maintenanceDatabase: 'postgres',
    },
    { retry: LONG_RETRY, timeoutMs: x.timeoutMs, heartbeatTimeoutMs: HEARTBEAT_MS },
  );
  r.restored = {
    backupId: o.backup.id,
    snapshotAt: o.backup.snapshotAt,
    backupAgeSeconds: o.backupAgeSeconds,
    tables: o.tables,
    rows: o.rows,
    durationMs: o.durationMs,
  };
  rec.event(`backup ${o.backup.id} (${o.backup.snapshotAt}) restored onto ${plan.standby}: ${o.tables} tables proved`);
}

/** What pg:pitr:restore is asked (also the approval's guard: what the approvers see). */
export const pitrInputs = (x: PitrRestore) => ({
  database: x.database,
  store: x.store,
  ...(x.prefix ? { prefix: x.prefix } : {}),
  targetTime: x.targetTime,
  backup: 'auto' as const,
  name: x.cluster,
  port: x.port,
  listen: x.listen,
});

async function recoverOnto(call: PlanCaller, x: PitrRestore, r: FailoverReport, rec: FailoverRecorder): Promise<void> {
  const o = await call('pg:pitr:restore', 'recover', pitrInputs(x), {
    retry: LONG_RETRY,
    timeoutMs: x.timeoutMs,
    heartbeatTimeoutMs: HEARTBEAT_MS,
  });
  r.recovered = {
    cluster: o.name,
    backupId: o.backupId,
    baseConsistentAt: o.baseConsistentAt,
    targetTime: o.targetTime,
    reachedTime: o.reachedTime,
    endedAtArchiveEnd: o.endedAtArchiveEnd,
    segmentsRestored: o.segmentsRestored,
    durationMs: o.durationMs,
  };
  rec.event(
    `${x.database} recovered into cluster ${o.name} on ${o.host}:${o.port} (base backup ${o.backupId}, ` +
      `${o.segmentsRestored} WAL segments, last commit ${o.reachedTime ?? 'none after the base backup'})`,
  );
}
