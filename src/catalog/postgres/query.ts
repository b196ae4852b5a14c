/** `pg:query:smoke`: a declared read-only query, its row count and first rows, optionally checked. */
import { z } from 'zod';
import type { CatalogEntry } from '../types';
import { database, NON_RETRYABLE } from './common';

const smokeInput = z
  .object({
    database,
    dbname: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'a plain PostgreSQL database name')
      .optional()
      .describe(
        'Another database on the same server, as the same user: a restored copy (pg:backup:restore `into`) to check.',
      ),
    sql: z.string().min(1).max(10_000).describe('One read-only query; it runs in a READ ONLY transaction.'),
    params: z
      .array(z.union([z.string(), z.number(), z.boolean(), z.null()]))
      .max(100)
      .default([])
      .describe('Values for $1, $2, ...'),
    expectRows: z
      .object({ min: z.number().int().min(0).optional(), max: z.number().int().min(0).optional() })
      .strict()
      .refine((e) => e.min === undefined || e.max === undefined || e.min <= e.max, { message: 'min above max' })
      .optional()
      .describe('Fail (CheckFailed, retried) unless the row count is within these bounds.'),
    statementTimeoutMs: z.number().int().min(1).max(300_000).default(10_000),
    maxRows: z.number().int().min(0).max(20).default(5).describe('How many of the first rows to return.'),
  })
  .strict();

const smokeOutput = z.object({
  rowCount: z.number(),
  columns: z.array(z.string()),
  rows: z
    .array(z.record(z.string(), z.string().nullable()))
    .describe('The first maxRows rows, each value as text cut to 200 characters (null stays null).'),
  durationMs: z.number(),
});
export type PgSmokeInput = z.infer<typeof smokeInput>;
export type PgSmokeResult = z.infer<typeof smokeOutput>;

export const pgQuerySmoke: CatalogEntry<typeof smokeInput, typeof smokeOutput, 'pg:query:smoke'> = {
  id: 'pg:query:smoke',
  description:
    'Run a declared smoke query in a READ ONLY transaction with a statement timeout: the row count and the first ' +
    'rows (at most 20, values as text cut to 200 characters). With expectRows, a count outside min..max fails ' +
    '(CheckFailed, retried, so a verify step can wait for it); a query that writes fails (InvalidInput).',
  input: smokeInput,
  output: smokeOutput,
  mutating: false,
  nonRetryable: NON_RETRYABLE,
  describe: (i) => `run a smoke query on database ${i.database}`,
  example: {
    needs: 'postgres',
    with: { database: 'orders', sql: 'SELECT 1 AS ok', expectRows: { min: 1 } },
  },
};
