/**
 * `pg:query:smoke`: the declared query in a READ ONLY transaction with its own statement timeout,
 * always rolled back. The query goes through the extended protocol (client.ts), so a text with
 * several statements (`COMMIT; DELETE ...`) is refused rather than run outside the transaction.
 */
import { ApplicationFailure } from '@temporalio/common';
import { FAILURE } from '../../shared/failures';
import type { PgSmokeInput, PgSmokeResult } from '../../catalog/postgres/query';
import { withDatabase, type PgConnect } from './client';

const VALUE_CHARS = 200;

/** A value as text, cut: what a row shows in history, never a whole blob. */
export function cellText(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  const s =
    v instanceof Date
      ? v.toISOString()
      : Buffer.isBuffer(v)
        ? `\\x${v.toString('hex')}`
        : typeof v === 'object'
          ? JSON.stringify(v)
          : String(v);
  return s.length > VALUE_CHARS ? `${s.slice(0, VALUE_CHARS - 1)}…` : s;
}

export function createSmokeAction(connect: PgConnect, now: () => number = () => performance.now()) {
  return (i: PgSmokeInput): Promise<PgSmokeResult> =>
    withDatabase(
      connect,
      i.database,
      async (c) => {
        await c.query('BEGIN TRANSACTION READ ONLY');
        const started = now();
        // Read only, so nothing to keep: rolled back however the query ends.
        const result = await c
          .query(`SELECT set_config('statement_timeout', $1, true)`, [String(i.statementTimeoutMs)])
          .then(() => c.query(i.sql, i.params))
          .finally(() => c.query('ROLLBACK').catch(() => undefined));
        const durationMs = Math.round(now() - started);
        const out: PgSmokeResult = {
          rowCount: result.rows.length,
          columns: result.columns,
          rows: result.rows
            .slice(0, i.maxRows)
            .map((row) => Object.fromEntries(result.columns.map((col, n) => [col, cellText(row[n])]))),
          durationMs,
        };
        const e = i.expectRows;
        if (e && ((e.min !== undefined && out.rowCount < e.min) || (e.max !== undefined && out.rowCount > e.max))) {
          const want =
            e.min !== undefined && e.max !== undefined
              ? `${e.min}..${e.max}`
              : e.min !== undefined
                ? `at least ${e.min}`
                : `at most ${e.max}`;
          throw ApplicationFailure.create({
            message: `smoke query on ${i.database} returned ${out.rowCount} rows, expected ${want}`,
            type: FAILURE.CheckFailed,
            details: [out],
          });
        }
        return out;
      },
      i.dbname ? { dbname: i.dbname } : {},
    );
}
