/**
 * Drill reports kept in a backup store, one folder per drill, written report.json last (a folder
 * without it is a drill whose archiving was interrupted, and is not listed). The earlier reports
 * are read back bounded: the newest `previous` folders, each report at most 1 MiB.
 */
import type { DrReportArchiveInput, DrReportArchiveResult, DrillSummary } from '../../catalog/recovery';
import type { StepContext } from '../../shared/activity-types';
import type { OpenStore } from '../storage/store';

const REPORT_MAX = 1 << 20;

/** `<started>-<workflow id>`: sorts by time, unique per run, within the store's key characters. */
function folderOf(startedAt: string, workflowId: string): string {
  const t = startedAt.replace(/[^0-9]/g, '').slice(0, 14);
  const id = workflowId.replace(/[^A-Za-z0-9._=+-]/g, '-').slice(0, 120);
  return `${t}-${id}`;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function summaryOf(key: string, r: Record<string, unknown>): DrillSummary {
  const rto = (r.rto ?? {}) as Record<string, unknown>;
  const rpo = (r.rpo ?? {}) as Record<string, unknown>;
  return {
    key,
    startedAt: typeof r.startedAt === 'string' ? r.startedAt : '',
    outcome: typeof r.outcome === 'string' ? r.outcome : 'unknown',
    rtoSeconds: num(rto.seconds),
    rpoSeconds: num(rpo.seconds),
    rpoRows: num(rpo.rows),
  };
}

export function createArchiveAction(deps: { openStore: OpenStore }) {
  return async (i: DrReportArchiveInput, ctx: StepContext): Promise<DrReportArchiveResult> => {
    const store = await deps.openStore(i.store);
    const base = `drills/${i.plan}/`;
    const startedAt = typeof i.report.startedAt === 'string' ? i.report.startedAt : new Date().toISOString();
    const key = `${base}${folderOf(startedAt, ctx.workflowId)}/`;
    // Read first: a retry that finds its report has nothing to write.
    const done = await store.head(`${key}report.json`);
    if (!done) {
      await store.putBytes(`${key}report.md`, Buffer.from(i.markdown));
      await store.putBytes(`${key}timeline.svg`, Buffer.from(i.svg));
      await store.putBytes(`${key}report.json`, Buffer.from(JSON.stringify(i.report, null, 2)));
    }
    const folders = (await store.list(base))
      .filter((o) => o.key.endsWith('/report.json') && o.key !== `${key}report.json`)
      .map((o) => o.key.slice(0, -'report.json'.length))
      .sort()
      .reverse()
      .slice(0, i.previous);
    const previous: DrillSummary[] = [];
    for (const f of folders) {
      try {
        const { body } = await store.getBytes(`${f}report.json`, REPORT_MAX);
        previous.push(summaryOf(f, JSON.parse(body.toString('utf8')) as Record<string, unknown>));
      } catch {
        // A report that does not read is shown as such, not silently left out.
        previous.push({
          key: f,
          startedAt: '',
          outcome: 'unreadable',
          rtoSeconds: null,
          rpoSeconds: null,
          rpoRows: null,
        });
      }
    }
    return { changed: !done, key, previous };
  };
}
