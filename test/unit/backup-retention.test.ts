/** The retention policy as a plan: young backups all kept, then one a day, never the newest good one. */
import { planRetention } from '../../src/activities/postgres/retention';
import type { PgBackupSummary } from '../../src/catalog/postgres/backup';

const NOW = new Date('2026-12-02T12:00:00Z');
const policy = { keepAllDays: 7, keepDailyDays: 30, keepLast: 1, incompleteAfterHours: 24 };
const at = (hoursAgo: number): string => new Date(NOW.getTime() - hoursAgo * 3_600_000).toISOString();
const backup = (id: string, hoursAgo: number): PgBackupSummary => ({
  id,
  database: 'orders',
  manifestKey: `postgres/orders/${id}/manifest.json`,
  dumpKey: `postgres/orders/${id}/dump.pgdump`,
  size: 100,
  sha256: 'x',
  serverVersion: '15.8',
  snapshotAt: at(hoursAgo),
  walLsn: null,
  tables: 1,
  rows: 1,
});

test('every 6 hours for 40 days: all of the last 7 days, one a day to 30, none older', () => {
  const backups = Array.from({ length: 40 * 4 }, (_, n) => backup(`b${n}`, 2 + n * 6));
  const plan = planRetention(backups, [], policy, NOW);
  const keptAges = plan.kept.map((k) => (NOW.getTime() - Date.parse(k.snapshotAt)) / 86_400_000);
  expect(keptAges.filter((a) => a < 7)).toHaveLength(28);
  const daily = plan.kept.filter((k) => k.why.startsWith('the newest of '));
  expect(daily.length).toBeGreaterThanOrEqual(22);
  expect(new Set(daily.map((k) => k.snapshotAt.slice(0, 10))).size).toBe(daily.length);
  expect(Math.max(...keptAges)).toBeLessThan(30);
  expect(plan.kept.length + plan.deleted.length).toBe(160);
  expect(plan.deleted.filter((d) => d.reason === 'older than 30 days').length).toBeGreaterThan(0);
  expect(plan.kept[0]).toMatchObject({ id: 'b0', why: 'the newest backup' });
});

test('the newest good backup stays however old; keepLast keeps more', () => {
  const old = [backup('a', 24 * 60), backup('b', 24 * 61), backup('c', 24 * 62)];
  expect(planRetention(old, [], policy, NOW).kept.map((k) => k.id)).toEqual(['a']);
  expect(planRetention(old, [], { ...policy, keepLast: 2 }, NOW).kept.map((k) => k.id)).toEqual(['a', 'b']);
  expect(planRetention([], [], policy, NOW)).toEqual({ kept: [], deleted: [], incomplete: [] });
});

test('a dump that never got its manifest goes once older than incompleteAfterHours', () => {
  const plan = planRetention(
    [],
    [
      { key: 'postgres/orders/x/dump.pgdump', size: 5, modified: at(30) },
      { key: 'postgres/orders/y/dump.pgdump', size: 5, modified: at(2) },
    ],
    policy,
    NOW,
  );
  expect(plan.incomplete).toEqual([{ key: 'postgres/orders/x/dump.pgdump', bytes: 5, modified: at(30) }]);
});
