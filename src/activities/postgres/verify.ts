/**
 * The restore's proof, taken while pg_restore is still at work: `pg_restore -j --verbose` says
 * `finished item <id> TABLE DATA <table>` once a table's rows are committed, and from then on
 * they are what they will be (what follows, indexes, constraints, triggers, only reads them), so
 * that table is summed at once, beside the loading of the others and the building of indexes,
 * rather than all of them after pg_restore exits. What it could not sum early (a serial
 * restore says no such line; a table name found in two schemas is ambiguous) is summed in
 * `finish`, after pg_restore exited 0, with a fresh list of the copy's tables, so a table the
 * manifest does not name is still seen.
 */
import type { PgClient } from './client';
import { applyChecksumSettings, listTables, sumTable, type RowHash, type TableRef, type TableSum } from './manifest';

const FINISHED_DATA = /^pg_restore: finished item \d+ TABLE DATA (.+)$/;

export interface RestoreVerifierOptions {
  /** A connection to the staging copy. */
  connect: () => Promise<PgClient>;
  checksums: boolean;
  /** How the manifest hashed a table's rows (a table it does not name: `text`, it differs anyway). */
  hashOf?: (t: TableRef) => RowHash;
  /** Told each table summed, early or late. */
  onTable?: (checked: number) => void;
  /** An early sum failed: stop pg_restore (the same error is thrown by `finish`). */
  onError: (err: unknown) => void;
}

export interface RestoreVerifier {
  /** Each stderr line of pg_restore --verbose. */
  line(text: string): void;
  /** After pg_restore exited 0: the sums of every table of the copy. */
  finish(): Promise<TableSum[]>;
  /** Closes its connection (any end of the restore). */
  close(): Promise<void>;
}

const keyOf = (t: TableRef): string => `${t.schema}.${t.name}`;

export function createRestoreVerifier(o: RestoreVerifierOptions): RestoreVerifier {
  let client: Promise<PgClient> | undefined;
  // Listed at the first finished data item: every table exists by then (pre-data runs first).
  let early: Promise<TableRef[]> | undefined;
  let queue: Promise<void> = Promise.resolve();
  let failure: { err: unknown } | undefined;
  const done = new Map<string, TableSum>();

  const conn = (): Promise<PgClient> => {
    client ??= o.connect().then(async (c) => {
      await applyChecksumSettings(c);
      return c;
    });
    return client;
  };
  const sum = async (t: TableRef): Promise<TableSum> => {
    const had = done.get(keyOf(t));
    if (had) return had;
    const s = await sumTable(await conn(), t, o.checksums, o.hashOf?.(t) ?? 'text');
    done.set(keyOf(t), s);
    o.onTable?.(done.size);
    return s;
  };
  // One table at a time on one connection (each sum already runs on parallel workers).
  const enqueue = (job: () => Promise<void>): void => {
    queue = queue.then(async () => {
      if (failure) return;
      try {
        await job();
      } catch (err) {
        failure = { err };
        o.onError(err);
      }
    });
  };

  return {
    line(text) {
      const m = FINISHED_DATA.exec(text);
      if (!m?.[1] || failure) return;
      const name = m[1];
      enqueue(async () => {
        early ??= conn().then(listTables);
        const matches = (await early).filter((t) => t.name === name);
        // Only the table name is said: in two schemas it is summed at the end, from the full list.
        if (matches.length === 1 && matches[0]) await sum(matches[0]);
      });
    },

    async finish() {
      await queue;
      if (failure) throw failure.err;
      const all = await listTables(await conn());
      const out: TableSum[] = [];
      for (const t of all) out.push(await sum(t));
      return out;
    },

    async close() {
      const c = await client?.catch(() => undefined);
      await c?.end().catch(() => undefined);
    },
  };
}
