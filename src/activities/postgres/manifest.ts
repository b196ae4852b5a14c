/**
 * A backup's manifest: what the dump holds, so a restore can be proved rather than hoped for.
 * Per table a row count and a checksum, taken in the very snapshot pg_dump dumps (the backup
 * exports it, pg_dump imports it with --snapshot), so a restored copy must match exactly.
 *
 * The checksum is the sum over rows of the first 60 bits of md5(row as text), as numeric: it does
 * not depend on row order (a restore need not keep physical order), it is one streaming aggregate
 * (no sort, no memory per row), and it changes when any row's text does. Row text depends on
 * output settings, so both sides set them (CHECKSUM_SETTINGS) before reading.
 */
import { z } from 'zod';
import { FAILURE } from '../../shared/failures';
import { permanent } from '../errors';
import { records, type PgClient } from './client';

export const MANIFEST_FORMAT = 'durable-runbooks/pg-backup@1';

export const tableSum = z.object({
  schema: z.string(),
  name: z.string(),
  rows: z.number(),
  /** Decimal text: a sum of 60-bit values can pass 2^53. */
  checksum: z.string(),
});
export type TableSum = z.infer<typeof tableSum>;

export const manifestSchema = z.object({
  format: z.literal(MANIFEST_FORMAT),
  id: z.string(),
  /** The database's configuration name, and its name on the server. */
  database: z.string(),
  dbname: z.string(),
  serverVersion: z.string(),
  serverVersionNum: z.number(),
  /** When the snapshot was taken: the data is as of this instant (the RPO a restore gives). */
  snapshotAt: z.string(),
  /** The WAL position at the snapshot (null on a standby, which has no current insert position). */
  walLsn: z.string().nullable(),
  startedAt: z.string(),
  finishedAt: z.string(),
  dump: z.object({ key: z.string(), size: z.number(), sha256: z.string(), format: z.literal('custom') }),
  tables: z.array(tableSum),
  totals: z.object({ tables: z.number(), rows: z.number() }),
});
export type BackupManifest = z.infer<typeof manifestSchema>;

/** Settings that fix how rows print, so a checksum means the same on the source and the copy. */
export const CHECKSUM_SETTINGS = [
  // Summing a large table is legitimately long: not our connections' default statement timeout.
  'SET statement_timeout = 0',
  "SET DateStyle = 'ISO, YMD'",
  "SET IntervalStyle = 'postgres'",
  "SET TimeZone = 'UTC'",
  'SET extra_float_digits = 3',
  "SET bytea_output = 'hex'",
];

// Ordinary tables users made: not the catalogs, not TOAST, not tables an extension owns (pg_dump
// leaves those to CREATE EXTENSION), not partitioned parents (their rows are their partitions').
const TABLES = `SELECT n.nspname AS schema, c.relname AS name
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
    AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
  ORDER BY 1, 2`;

export const quoteIdent = (s: string): string => `"${s.replace(/"/g, '""')}"`;

/** Every user table's rows and checksum, on a connection already in the snapshot to read. */
export async function sumTables(c: PgClient, onTable?: (done: number, of: number) => void): Promise<TableSum[]> {
  for (const s of CHECKSUM_SETTINGS) await c.query(s);
  const tables = records(await c.query(TABLES)).map((r) => ({ schema: String(r.schema), name: String(r.name) }));
  const out: TableSum[] = [];
  for (const t of tables) {
    const rel = `${quoteIdent(t.schema)}.${quoteIdent(t.name)}`;
    const [r] = records(
      await c.query(
        `SELECT count(*)::bigint::text AS rows,
          coalesce(sum(('x' || substr(md5(ROW(r.*)::text), 1, 15))::bit(60)::bigint::numeric), 0)::text AS checksum
         FROM ${rel} AS r`,
      ),
    );
    out.push({ ...t, rows: Number(r?.rows ?? 0), checksum: String(r?.checksum ?? '0') });
    onTable?.(out.length, tables.length);
  }
  return out;
}

export interface TableDifference {
  table: string;
  expected: { rows: number; checksum: string } | null;
  actual: { rows: number; checksum: string } | null;
}

/** Tables whose rows or checksum differ, or that are missing on either side. */
export function compareTables(expected: TableSum[], actual: TableSum[]): TableDifference[] {
  const key = (t: TableSum): string => `${t.schema}.${t.name}`;
  const want = new Map(expected.map((t) => [key(t), t]));
  const have = new Map(actual.map((t) => [key(t), t]));
  const out: TableDifference[] = [];
  for (const name of [...new Set([...want.keys(), ...have.keys()])].sort()) {
    const w = want.get(name);
    const h = have.get(name);
    if (w && h && w.rows === h.rows && w.checksum === h.checksum) continue;
    out.push({
      table: name,
      expected: w ? { rows: w.rows, checksum: w.checksum } : null,
      actual: h ? { rows: h.rows, checksum: h.checksum } : null,
    });
  }
  return out;
}

/** Parses a manifest read from a store; a file that is not one fails as IntegrityFailed. */
export function parseManifest(body: Buffer, key: string): BackupManifest {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    throw permanent(`backup manifest ${key} is not JSON`, FAILURE.IntegrityFailed);
  }
  const r = manifestSchema.safeParse(json);
  if (!r.success)
    throw permanent(
      `backup manifest ${key} is not a ${MANIFEST_FORMAT} manifest: ${r.error.issues
        .slice(0, 3)
        .map((i) => `${i.path.join('.')}: ${i.message}`)
        .join('; ')}`,
      FAILURE.IntegrityFailed,
    );
  return r.data;
}
