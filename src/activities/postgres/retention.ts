/**
 * `pg:backup:prune`: the seeds' retention (6-hourly backups kept 7 days, daily ones 30) as a
 * grandfather-father policy over one list of backups: keep all that are young, then the newest of
 * each day, and never the newest good backup, whatever its age (a database whose backups stopped
 * a month ago still has one to restore). The plan is a pure function, so the policy is tested
 * without a store.
 */
import type { PgBackupPruneInput, PgBackupPruneResult, PgBackupSummary } from '../../catalog/postgres/backup';
import type { StoredObject } from '../storage/store';
import { listBackups, type BackupDeps } from './backup';

const DAY_MS = 86_400_000;

export interface RetentionPlan {
  kept: PgBackupPruneResult['kept'];
  deleted: PgBackupPruneResult['deleted'];
  incomplete: Array<{ key: string; bytes: number; modified: string }>;
}

type Policy = Pick<PgBackupPruneInput, 'keepAllDays' | 'keepDailyDays' | 'keepLast' | 'incompleteAfterHours'>;

export function planRetention(
  backups: PgBackupSummary[],
  incomplete: Array<Pick<StoredObject, 'key' | 'size' | 'modified'>>,
  policy: Policy,
  now: Date,
): RetentionPlan {
  const newestFirst = [...backups].sort((a, b) => b.snapshotAt.localeCompare(a.snapshotAt) || b.id.localeCompare(a.id));
  const seenDays = new Set<string>();
  const kept: RetentionPlan['kept'] = [];
  const deleted: RetentionPlan['deleted'] = [];
  newestFirst.forEach((b, n) => {
    const age = now.getTime() - Date.parse(b.snapshotAt);
    const day = b.snapshotAt.slice(0, 10);
    const firstOfDay = !seenDays.has(day);
    seenDays.add(day);
    const keep = (why: string): void => void kept.push({ id: b.id, snapshotAt: b.snapshotAt, why });
    const drop = (reason: string): void =>
      void deleted.push({ id: b.id, snapshotAt: b.snapshotAt, bytes: b.size, reason });
    if (n < policy.keepLast) keep(n === 0 ? 'the newest backup' : `one of the ${policy.keepLast} newest`);
    else if (age < policy.keepAllDays * DAY_MS) keep(`younger than ${policy.keepAllDays} days`);
    else if (age >= policy.keepDailyDays * DAY_MS) drop(`older than ${policy.keepDailyDays} days`);
    else if (firstOfDay) keep(`the newest of ${day}`);
    else drop(`not the newest of ${day}`);
  });
  const cutoff = now.getTime() - policy.incompleteAfterHours * 3_600_000;
  return {
    kept,
    deleted,
    incomplete: incomplete
      .filter((o) => Date.parse(o.modified) < cutoff)
      .map((o) => ({ key: o.key, bytes: o.size, modified: o.modified })),
  };
}

export function createPruneAction(deps: Pick<BackupDeps, 'openStore' | 'now'>) {
  const now = deps.now ?? (() => new Date());
  return async (i: PgBackupPruneInput): Promise<PgBackupPruneResult> => {
    const store = await deps.openStore(i.store);
    const { backups, incomplete } = await listBackups(store, i.database, i.prefix);
    const plan = planRetention(backups, incomplete, i, now());
    const byId = new Map(backups.map((b) => [b.id, b]));
    for (const d of plan.deleted) {
      const b = byId.get(d.id);
      if (!b) continue;
      // Manifest first: from then on it is not listed as complete, and a crash leaves an
      // incomplete dump that the next prune removes.
      await store.delete(b.manifestKey);
      await store.delete(b.dumpKey);
    }
    for (const o of plan.incomplete) await store.delete(o.key);
    return {
      changed: plan.deleted.length + plan.incomplete.length > 0,
      kept: plan.kept,
      deleted: plan.deleted,
      incompleteDeleted: plan.incomplete,
      bytesFreed: plan.deleted.reduce((n, d) => n + d.bytes, 0) + plan.incomplete.reduce((n, o) => n + o.bytes, 0),
    };
  };
}
