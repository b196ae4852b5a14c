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

/** One try for the primary: not answering is what a failover is for, and every retry adds to the RTO. */
const ONCE = { maxAttempts: 1, initialIntervalMs: 1000, backoff: 1 };
// Reads run as local activities: no server round trip each, which on the RTO's path adds up.
const health = (call: PlanCaller, database: string, id: string, retry = QUICK) =>
  call(
    'pg:health:read',
    id,
    { database, longTransactionSeconds: 300, limit: 20 },
    { retry, timeoutMs: 15_000, local: true },
  );

export async function assess(
  call: PlanCaller,
  plan: FailoverPlanDefinition,
): Promise<NonNullable<FailoverReport['assessment']>> {
  let primaryReachable = false;
  let primaryError: string | undefined;
  let lagBytes: number | null = null;
  // Both at once: the primary's answer (or silence) and the standby's state.
  const [primary, s] = await Promise.all([
    health(call, plan.primary, 'assess-primary', ONCE).catch((err: unknown) => {
      if (isCancellation(err)) throw err;
      primaryError = errorOf(err).message;
      return undefined;
    }),
    // Restore mode: the standby site's server gets a restore, not a promotion; its state is the restore's to check.
    plan.restore ? Promise.resolve(undefined) : health(call, plan.standby, 'assess-standby'),
  ]);
  if (primary) {
    primaryReachable = true;
    const lags = primary.replication.standbys.map((x) => x.lagBytes).filter((b): b is number => b !== null);
    lagBytes = lags.length ? Math.max(...lags) : null;
  }
  return {
    primaryReachable,
    ...(primaryError ? { primaryError } : {}),
    standbyInRecovery: s?.inRecovery ?? false,
    lagBytes,
    replayDelaySeconds: s?.replication.standby?.replayDelaySeconds ?? null,
  };
}

/** Each probe's number on one database; null where it could not be read (with why). */
export async function probe(
  call: PlanCaller,
  plan: FailoverPlanDefinition,
  database: string,
  when: 'before' | 'after',
): Promise<Array<{ value: number | null; error?: string }>> {
  return Promise.all(
    plan.integrity.map(async (q, i) => {
      try {
        const r = await call(
          'pg:query:smoke',
          `integrity-${when}-${i}`,
          { database, sql: q.sql, params: [] },
          { retry: QUICK, local: true },
        );
        const first = r.rows[0] ? Object.values(r.rows[0])[0] : null;
        const n = first === null || first === undefined ? NaN : Number(first);
        return Number.isFinite(n) ? { value: n } : { value: null, error: `${q.name} did not answer a number` };
      } catch (err) {
        if (isCancellation(err)) throw err;
        return { value: null, error: errorOf(err).message };
      }
    }),
  );
}

export function smoke(call: PlanCaller, plan: FailoverPlanDefinition): Promise<FailoverReport['smoke']> {
  return Promise.all(
    plan.smoke.map(async (q, i) => {
      try {
        const r = await call(
          'pg:query:smoke',
          `smoke-${i}`,
          { database: plan.standby, sql: q.sql, params: [], ...(q.expectRows ? { expectRows: q.expectRows } : {}) },
          { retry: SMOKE, local: true },
        );
        return { name: q.name, ok: true, rows: r.rowCount };
      } catch (err) {
        if (isCancellation(err)) throw err;
        return { name: q.name, ok: false, error: errorOf(err).message };
      }
    }),
  );
}
