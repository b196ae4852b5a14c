/**
 * A backup's manifest: what the dump holds, so a restore can be proved rather than hoped for.
 * Per table a row count and a checksum, taken in the very snapshot pg_dump dumps (the backup
 * exports it, pg_dump imports it with --snapshot), so a restored copy must match exactly.
 *
 * The checksum is the exact sum over rows of a 64-bit row hash: it does not depend on row
 * order (a restore need not keep physical order), it is one streaming aggregate (no sort, no
 * memory per row), and it changes when any row does. The hash is PostgreSQL's own, the family
 * hash partitioning stores rows by, so it stays the same across versions and platforms, and
 * needs no crypto (md5 is refused on FIPS servers). Two kinds, recorded per table (`hash`):
 * - `record`: hash_record_extended(ROW(columns), 0) (PostgreSQL 14 and later), each column
 *   hashed by its type's own hash function, no text made: 0.7 s for 2 million pgbench rows
 *   against 1.4 s for `text` on one core (benchmark 9 runs beside pg_dump on two cores, where
 *   every core-second counts);
 * - `text`: hashtextextended(row as text, 0), for a table with a column type that has no hash
 *   function (json, point, tsvector, ...) or an older server; row text depends on output
 *   settings, so both sides set them (CHECKSUM_SETTINGS) before reading.
 * Manifests before `hash` existed (format @1) are all `text`. It is not a defence against
 * someone forging rows, only a proof that a copy is whole: the dump's own sha256 guards the
 * file. The row is its columns by name, not `r.*` (an inheritance child's column order differs
 * after a restore); the copy has the source's encoding.
 */
import { z } from 'zod';
import { FAILURE } from '../../shared/failures';
import { permanent } from '../errors';
import { records, type PgClient } from './client';

/** @2 added each table's `hash`; @1 manifests (every table `text`) are still read. */
export const MANIFEST_FORMAT = 'durable-runbooks/pg-backup@2';
const MANIFEST_FORMATS = ['durable-runbooks/pg-backup@1', MANIFEST_FORMAT] as const;

export const ROW_HASHES = ['record', 'text'] as const;
export type RowHash = (typeof ROW_HASHES)[number];

export const tableSum = z.object({
  schema: z.string(),
  name: z.string(),
  rows: z.number(),
  /** Decimal text (a sum of 64-bit values passes 2^53); null when the backup counted rows only. */
  checksum: z.string().nullable(),
  /** How each row was hashed (absent: `text`, as every @1 manifest). */
  hash: z.enum(ROW_HASHES).optional(),
});
export type TableSum = z.infer<typeof tableSum>;

export const manifestSchema = z.object({
  format: z.enum(MANIFEST_FORMATS),
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$/),
  /** The database's configuration name, and its name on the server. */
  database: z.string().regex(/^[a-z][a-z0-9-]*$/),
  dbname: z.string(),
  serverVersion: z.string(),
  serverVersionNum: z.number(),
  /** The source database's encoding: the restore creates its copy with the same. */
  encoding: z
    .string()
    .regex(/^[A-Z0-9_]{1,20}$/)
    .optional(),
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
  "SET lc_monetary = 'C'",
  // regclass and other names print schema-qualified, the same on both sides.
  "SET search_path = 'pg_catalog'",
  // Row security would hide rows silently: fail loudly instead (42501) when a policy applies.
  'SET row_security = off',
];

// Ordinary tables users made: not the catalogs, not TOAST, not tables an extension owns (pg_dump
// leaves those to CREATE EXTENSION), not partitioned parents (their rows are their partitions'),
// not temporary tables (other sessions', unreadable) nor unlogged ones (not durable, unreadable
// on a standby, and pg_dump leaves their data out there).
const TABLES = `SELECT n.nspname AS schema, c.relname AS name
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind = 'r' AND c.relpersistence = 'p' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
    AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
  ORDER BY 1, 2`;

export const quoteIdent = (s: string): string => `"${s.replace(/"/g, '""')}"`;

export interface TableRef {
  schema: string;
  name: string;
}

/** The user tables to sum, in order. */
export async function listTables(c: PgClient): Promise<TableRef[]> {
  return records(await c.query(TABLES)).map((r) => ({ schema: String(r.schema), name: String(r.name) }));
}

export const relName = (t: TableRef): string => `${quoteIdent(t.schema)}.${quoteIdent(t.name)}`;

const COLUMNS = `SELECT attname FROM pg_attribute
  WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attname`;

/** Fixes the output settings (CHECKSUM_SETTINGS) on a connection, once, before it sums tables. */
export async function applyChecksumSettings(c: PgClient): Promise<void> {
  for (const s of CHECKSUM_SETTINGS) await c.query(s);
}

/**
 * One table's rows and checksum (null when `checksums` is false), on a connection with the
 * settings applied, its rows hashed as `hash` says (the manifest's, on a copy being proved).
 */
export async function sumTable(
  c: PgClient,
  t: TableRef,
  checksums: boolean,
  hash: RowHash = 'text',
): Promise<TableSum> {
  const rel = relName(t);
  let sum = 'NULL';
  if (checksums) {
    const cols = records(await c.query(COLUMNS, [rel])).map((r) => `r.${quoteIdent(String(r.attname))}`);
    const h =
      hash === 'record'
        ? cols.length
          ? `hash_record_extended(ROW(${cols.join(', ')}), 0)`
          : '0'
        : `hashtextextended(${cols.length ? `ROW(${cols.join(', ')})::text` : `''`}, 0)`;
    // sum(bigint) is exact (a numeric result, added up in 128 bits): the same number as summing
    // each hash as numeric, which @1 manifests did, at a third of the cost.
    sum = `coalesce(sum(${h}), 0)::text`;
  }
  const [r] = records(await c.query(`SELECT count(*)::bigint::text AS rows, ${sum} AS checksum FROM ${rel} AS r`));
  const checksum = r?.checksum === null || r?.checksum === undefined ? null : String(r.checksum);
  return { ...t, rows: Number(r?.rows ?? 0), checksum, ...(checksums ? { hash } : {}) };
}

/** undefined_function: no extended hash for a column's type, or no hash_record_extended (before 14). */
const NO_HASH_FUNCTION = '42883';

/**
 * Every user table's rows and checksum, on a connection already in the snapshot to read (a
 * transaction: each `record` try is in a savepoint, so a type without a hash function falls
 * back to `text` for that table without losing the snapshot).
 */
export async function sumTables(
  c: PgClient,
  onTable?: (done: number, of: number) => void,
  tables?: TableRef[],
  o: { checksums?: boolean } = {},
): Promise<TableSum[]> {
  const checksums = o.checksums ?? true;
  await applyChecksumSettings(c);
  const list = tables ?? (await listTables(c));
  const out: TableSum[] = [];
  for (const t of list) {
    out.push(checksums ? await sumBest(c, t) : await sumTable(c, t, false));
    onTable?.(out.length, list.length);
  }
  return out;
}

async function sumBest(c: PgClient, t: TableRef): Promise<TableSum> {
  await c.query('SAVEPOINT row_hash');
  try {
    const s = await sumTable(c, t, true, 'record');
    await c.query('RELEASE SAVEPOINT row_hash');
    return s;
  } catch (err) {
    if ((err as { code?: string }).code !== NO_HASH_FUNCTION) throw err;
    await c.query('ROLLBACK TO SAVEPOINT row_hash');
    return sumTable(c, t, true, 'text');
  }
}

export interface TableDifference {
  table: string;
  expected: { rows: number; checksum: string | null } | null;
  actual: { rows: number; checksum: string | null } | null;
}

/** Tables whose rows or checksum differ (where both have one), or that are missing on either side. */
export function compareTables(expected: TableSum[], actual: TableSum[]): TableDifference[] {
  const key = (t: TableSum): string => `${t.schema}.${t.name}`;
  const want = new Map(expected.map((t) => [key(t), t]));
  const have = new Map(actual.map((t) => [key(t), t]));
  const out: TableDifference[] = [];
  for (const name of [...new Set([...want.keys(), ...have.keys()])].sort()) {
    const w = want.get(name);
    const h = have.get(name);
    if (w && h && w.rows === h.rows && (w.checksum === null || h.checksum === null || w.checksum === h.checksum))
      continue;
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
