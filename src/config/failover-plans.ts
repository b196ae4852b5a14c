/** Failover plans compiled for the workflow, and checked against the rest of configuration when it loads. */
import { parseDuration } from '../shared/duration';
import type { FailoverPlanDefinition } from '../shared/failover';
import { recoveryObjectivesOf, type RecoveryObjectives } from './backup-plans';
import type { BackupPlanConfig } from './backup-plans-schema';
import type { FailoverPlanConfig } from './failover-plans-schema';

const msOf = (d: string): number => parseDuration(d) ?? 0;

/** The plan as the workflow runs it; a drill runs it against the plan's standby environment. */
export function failoverDefinition(
  name: string,
  p: FailoverPlanConfig,
  objectives: RecoveryObjectives = recoveryObjectivesOf(undefined),
  drill = false,
  /**
   * What restore mode reads: the backup plan and the standby's database entry; for PITR, the
   * last safe point the failover was started with (default the end of the archive).
   */
  c: {
    backupPlans?: Record<string, BackupPlanConfig>;
    databases?: Record<string, { database: string; port: number }>;
    pointInTime?: string;
  } = {},
): FailoverPlanDefinition {
  const real = failoverOf(name, p, objectives);
  const r = p.restore;
  const bp = r?.backupPlan !== undefined ? c.backupPlans?.[r.backupPlan] : undefined;
  const standby = c.databases?.[p.standby];
  if (r && bp && standby && !drill)
    real.restore = {
      mode: 'logical',
      from: bp.database,
      store: bp.store,
      ...(bp.prefix !== undefined ? { prefix: bp.prefix } : {}),
      into: standby.database,
      jobs: r.jobs,
      timeoutMs: msOf(r.timeout),
    };
  if (r?.pitr && standby && !drill)
    real.restore = {
      mode: 'pitr',
      database: p.primary,
      store: r.pitr.store,
      ...(r.pitr.prefix !== undefined ? { prefix: r.pitr.prefix } : {}),
      cluster: r.pitr.cluster ?? `dr-${name}`.slice(0, 40),
      port: standby.port,
      listen: r.pitr.listen,
      targetTime: c.pointInTime ?? 'latest',
      timeoutMs: msOf(r.timeout),
    };
  if (!drill) return real;
  const d = p.drill;
  if (!d) throw new TypeError(`failover plan '${name}' has no drill: section`);
  const { traffic: _traffic, ...rest } = real;
  return {
    ...rest,
    primary: d.primary,
    standby: d.standby,
    ...(d.traffic ? { traffic: structuredClone(d.traffic) } : {}),
    deploy: structuredClone(d.deploy),
    drill: { reset: structuredClone(d.reset), ...(d.archive ? { archiveStore: d.archive.store } : {}) },
  };
}

function failoverOf(name: string, p: FailoverPlanConfig, objectives: RecoveryObjectives): FailoverPlanDefinition {
  return {
    name,
    primary: p.primary,
    standby: p.standby,
    tier: p.tier,
    objectives: objectives[p.tier],
    ...(p.approvers ? { approvers: [...p.approvers] } : {}),
    approvalTimeoutMs: msOf(p.approvalTimeout),
    promoteWaitSeconds: Math.max(1, Math.round(msOf(p.promoteWait) / 1000)),
    replication: p.replication,
    ...(p.traffic ? { traffic: structuredClone(p.traffic) } : {}),
    deploy: structuredClone(p.deploy),
    smoke: structuredClone(p.smoke),
    integrity: structuredClone(p.integrity),
    ...(p.notify !== undefined ? { notify: p.notify } : {}),
  };
}

/** The runbooks a plan starts (checked against the library when a failover is started). */
export function failoverRunbooks(p: Pick<FailoverPlanDefinition, 'traffic' | 'deploy' | 'drill'>): string[] {
  return [
    p.traffic?.runbook,
    p.traffic?.undo?.runbook,
    ...p.deploy.map((d) => d.runbook),
    ...(p.drill?.reset ?? []).map((d) => d.runbook),
  ].filter((r): r is string => r !== undefined);
}

export function checkFailoverPlans(c: {
  failoverPlans: Record<string, FailoverPlanConfig>;
  databases: Record<string, { database: string; port: number }>;
  notifyTargets: Record<string, unknown>;
  backupStores: Record<string, unknown>;
  backupPlans: Record<string, BackupPlanConfig>;
}): string[] {
  const out: string[] = [];
  const known = (m: Record<string, unknown>) => Object.keys(m).join(', ') || 'none';
  for (const [name, p] of Object.entries(c.failoverPlans)) {
    const at = `failoverPlans.${name}`;
    for (const field of ['primary', 'standby'] as const)
      if (!(p[field] in c.databases))
        out.push(`${at}.${field}: no database '${p[field]}' under databases: (known: ${known(c.databases)})`);
    if (p.primary === p.standby) out.push(`${at}.standby: the standby must be another database than the primary`);
    if (p.notify !== undefined && !(p.notify in c.notifyTargets))
      out.push(`${at}.notify: no notify target '${p.notify}' (known: ${known(c.notifyTargets)})`);
    if (p.restore) {
      const bp = p.restore.backupPlan;
      if (bp !== undefined && !(bp in c.backupPlans))
        out.push(`${at}.restore.backupPlan: no backup plan '${bp}' (known: ${known(c.backupPlans)})`);
      const pitr = p.restore.pitr;
      if (pitr && !(pitr.store in c.backupStores))
        out.push(
          `${at}.restore.pitr.store: no store '${pitr.store}' under backupStores: (known: ${known(c.backupStores)})`,
        );
      // The new cluster takes this port on the worker's host, where the application's entry points.
      const port = c.databases[p.standby]?.port;
      if (pitr && port !== undefined && port < 1024)
        out.push(
          `${at}.standby: databases.${p.standby}.port ${port} is privileged: a PITR restore serves on 1024 or above`,
        );
      const into = c.databases[p.standby]?.database;
      if (bp !== undefined && into !== undefined && !/^[a-z_][a-z0-9_]{0,47}$/.test(into))
        out.push(
          `${at}.standby: databases.${p.standby}.database '${into}' cannot be restored into (a plain lower-case name)`,
        );
      if (p.drill) out.push(`${at}.drill: a restore-mode plan has no drill yet (drills promote a standby)`);
    }
    const d = p.drill;
    if (d) {
      for (const field of ['primary', 'standby'] as const) {
        if (!(d[field] in c.databases))
          out.push(`${at}.drill.${field}: no database '${d[field]}' under databases: (known: ${known(c.databases)})`);
        // A drill promotes and resets its own pair: never the production ones.
        if (d[field] === p.primary || d[field] === p.standby)
          out.push(
            `${at}.drill.${field}: a drill runs against a standby environment, not '${d[field]}' of the plan itself`,
          );
      }
      if (d.archive && !(d.archive.store in c.backupStores))
        out.push(
          `${at}.drill.archive.store: no store '${d.archive.store}' under backupStores: (known: ${known(c.backupStores)})`,
        );
    }
  }
  return out;
}
