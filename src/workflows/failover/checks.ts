/**
 * The failover's reads: the assessment (can the primary be reached, how far behind is the
 * standby), the integrity probes (one number each, read before on the primary when it answers
 * and after on the promoted standby), and the smoke queries against the new primary.
 */
import { isCancellation } from '@temporalio/workflow';
import type { FailoverPlanDefinition, FailoverReport } from '../../shared/failover';
import { errorOf, type PlanCaller } from '../backup/common';

const QUICK = { maxAttempts: 2, initialIntervalMs: 1000, backoff: 1 };
const SMOKE = { maxAttempts: 3, initialIntervalMs: 1000, backoff: 2 };

const health = (call: PlanCaller, database: string, id: string) =>
  call('pg:health:read', id, { database, longTransactionSeconds: 300, limit: 20 }, { retry: QUICK, timeoutMs: 15_000 });

export async function assess(
  call: PlanCaller,
  plan: FailoverPlanDefinition,
): Promise<NonNullable<FailoverReport['assessment']>> {
  let primaryReachable = false;
  let primaryError: string | undefined;
  let lagBytes: number | null = null;
  try {
    const p = await health(call, plan.primary, 'assess-primary');
    primaryReachable = true;
    const lags = p.replication.standbys.map((s) => s.lagBytes).filter((b): b is number => b !== null);
    lagBytes = lags.length ? Math.max(...lags) : null;
  } catch (err) {
    if (isCancellation(err)) throw err;
    primaryError = errorOf(err).message;
  }
  const s = await health(call, plan.standby, 'assess-standby');
  return {
    primaryReachable,
    ...(primaryError ? { primaryError } : {}),
    standbyInRecovery: s.inRecovery,
    lagBytes,
    replayDelaySeconds: s.replication.standby?.replayDelaySeconds ?? null,
  };
}

/** Each probe's number on one database; null where it could not be read (with why). */
export async function probe(
  call: PlanCaller,
  plan: FailoverPlanDefinition,
  database: string,
  when: 'before' | 'after',
): Promise<Array<{ value: number | null; error?: string }>> {
  const out: Array<{ value: number | null; error?: string }> = [];
  for (const [i, q] of plan.integrity.entries()) {
    try {
      const r = await call(
        'pg:query:smoke',
        `integrity-${when}-${i}`,
        { database, sql: q.sql, params: [] },
        { retry: QUICK },
      );
      const first = r.rows[0] ? Object.values(r.rows[0])[0] : null;
      const n = first === null || first === undefined ? NaN : Number(first);
      out.push(Number.isFinite(n) ? { value: n } : { value: null, error: `${q.name} did not answer a number` });
    } catch (err) {
      if (isCancellation(err)) throw err;
      out.push({ value: null, error: errorOf(err).message });
    }
  }
  return out;
}

export async function smoke(call: PlanCaller, plan: FailoverPlanDefinition): Promise<FailoverReport['smoke']> {
  const out: FailoverReport['smoke'] = [];
  for (const [i, q] of plan.smoke.entries()) {
    try {
      const r = await call(
        'pg:query:smoke',
        `smoke-${i}`,
        { database: plan.standby, sql: q.sql, params: [], ...(q.expectRows ? { expectRows: q.expectRows } : {}) },
        { retry: SMOKE },
      );
      out.push({ name: q.name, ok: true, rows: r.rowCount });
    } catch (err) {
      if (isCancellation(err)) throw err;
      out.push({ name: q.name, ok: false, error: errorOf(err).message });
    }
  }
  return out;
}
