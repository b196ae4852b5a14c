/**
 * Backup plans as the workflows get them: compiled from configuration (durations in ms, the
 * tier's objectives resolved), and checked against the rest of it (the database, store, notify
 * target each names must exist) when the configuration loads.
 */
import { parseDuration } from '../shared/duration';
import type { BackupPlanDefinition, RecoveryTier } from '../shared/backup';
import { DEFAULT_OBJECTIVES, TIERS, type BackupPlanConfig } from './backup-plans-schema';

export type RecoveryObjectives = Record<RecoveryTier, { rtoMs: number; rpoMs: number }>;

const msOf = (d: string): number => parseDuration(d) ?? 0;

/** Each tier's RTO and RPO: as written, else the seeds'. */
export function recoveryObjectivesOf(
  raw: Partial<Record<RecoveryTier, { rto: string; rpo: string }>> | undefined,
): RecoveryObjectives {
  return Object.fromEntries(
    TIERS.map((t) => {
      const o = raw?.[t] ?? DEFAULT_OBJECTIVES[t];
      return [t, { rtoMs: msOf(o.rto), rpoMs: msOf(o.rpo) }];
    }),
  ) as RecoveryObjectives;
}

export function planDefinition(
  name: string,
  p: BackupPlanConfig,
  objectives: RecoveryObjectives = recoveryObjectivesOf(undefined),
): BackupPlanDefinition {
  return {
    name,
    database: p.database,
    store: p.store,
    ...(p.prefix !== undefined ? { prefix: p.prefix } : {}),
    tier: p.tier,
    objectives: objectives[p.tier],
    checksums: p.checksums,
    ...(p.compress !== undefined ? { compress: p.compress } : {}),
    timeoutMs: msOf(p.timeout),
    retention: { ...p.retention },
    ...(p.notify !== undefined ? { notify: p.notify } : {}),
    rpoFrom: p.rpoFrom,
    verify: {
      on: p.verify.on ?? p.database,
      olderSample: p.verify.olderSample,
      smoke: p.verify.smoke.map((q) => ({ ...q })),
      jobs: p.verify.jobs,
      timeoutMs: msOf(p.verify.timeout),
      scratchPrefix: p.verify.scratchPrefix,
    },
  };
}

/** What a plan names that configuration does not have: one message per problem, with its field. */
export function checkBackupPlans(c: {
  backupPlans: Record<string, BackupPlanConfig>;
  databases: Record<string, unknown>;
  backupStores: Record<string, unknown>;
  notifyTargets: Record<string, unknown>;
}): string[] {
  const out: string[] = [];
  const known = (m: Record<string, unknown>) => Object.keys(m).join(', ') || 'none';
  for (const [name, p] of Object.entries(c.backupPlans)) {
    const at = `backupPlans.${name}`;
    if (!(p.database in c.databases))
      out.push(`${at}.database: no database '${p.database}' under databases: (known: ${known(c.databases)})`);
    if (p.verify.on !== undefined && !(p.verify.on in c.databases))
      out.push(`${at}.verify.on: no database '${p.verify.on}' under databases: (known: ${known(c.databases)})`);
    if (!(p.store in c.backupStores))
      out.push(`${at}.store: no store '${p.store}' under backupStores: (known: ${known(c.backupStores)})`);
    if (p.notify !== undefined && !(p.notify in c.notifyTargets))
      out.push(`${at}.notify: no notify target '${p.notify}' (known: ${known(c.notifyTargets)})`);
  }
  return out;
}
