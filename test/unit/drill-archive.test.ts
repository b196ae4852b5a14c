/** Drill reports kept in a local backup store: written once per drill (a retry changes nothing), the earlier ones read back newest first, a damaged one shown as such. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { drReportArchive } from '../../src/catalog/recovery';
import { createArchiveAction } from '../../src/activities/recovery/archive';
import { createLocalStore } from '../../src/activities/storage/local';
import type { StepContext } from '../../src/shared/activity-types';

const dir = mkdtempSync(join(tmpdir(), 'drill-archive-'));
const store = createLocalStore('drills', dir);
const archive = createArchiveAction({ openStore: async () => store });
const ctx = (workflowId: string): StepContext => ({
  workflowId,
  runId: 'r',
  stepId: 'archive',
  runbookId: 'dr-failover:orders',
  idempotencyKey: `${workflowId}/archive`,
  dryRun: false,
});
const drill = (startedAt: string, rto: number) =>
  drReportArchive.input.parse({
    store: 'drills',
    plan: 'orders',
    report: { startedAt, outcome: 'succeeded', rto: { seconds: rto }, rpo: { seconds: 0, rows: 0 } },
    markdown: `# drill ${startedAt}`,
    svg: '<svg/>',
  });

test('each drill is kept once and compared with the ones before, newest first', async () => {
  const a = await archive(drill('2026-09-01T10:00:00.000Z', 40), ctx('dr-drill-orders-a'));
  expect(a).toEqual({ changed: true, key: 'drills/orders/20260901100000-dr-drill-orders-a/', previous: [] });
  expect(await archive(drill('2026-09-01T10:00:00.000Z', 40), ctx('dr-drill-orders-a'))).toMatchObject({
    changed: false,
  });
  await archive(drill('2026-10-01T10:00:00.000Z', 35), ctx('dr-drill-orders-b'));
  // A report that no longer checks (damaged on disk) is listed as unreadable, not dropped.
  writeFileSync(join(dir, 'objects', 'drills/orders/20261001100000-dr-drill-orders-b/report.json'), '{}x');
  const c = await archive(drill('2026-12-01T10:00:00.000Z', 30), ctx('dr-drill-orders-c'));
  expect(c.previous).toEqual([
    {
      key: 'drills/orders/20261001100000-dr-drill-orders-b/',
      startedAt: '',
      outcome: 'unreadable',
      rtoSeconds: null,
      rpoSeconds: null,
      rpoRows: null,
    },
    {
      key: 'drills/orders/20260901100000-dr-drill-orders-a/',
      startedAt: '2026-09-01T10:00:00.000Z',
      outcome: 'succeeded',
      rtoSeconds: 40,
      rpoSeconds: 0,
      rpoRows: 0,
    },
  ]);
});
