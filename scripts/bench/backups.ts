/**
 * 9. Backups and restores.
 * (a) Backup: pg:backup:create (pg_dump custom format, the manifest's per-table sums read in the
 *     same snapshot at once, sha256 and copy into a local store) against `pg_dump -Fc` alone on
 *     the same database, in MB/s of database size.
 * (b) Restore: pg:backup:restore (sha256 check of the dump, pg_restore -j 2 into a staging copy,
 *     every table compared with the manifest, rename) against `createdb` plus `pg_restore -j 2`
 *     alone, from the same dump.
 * Data from `pgbench -i -s BENCH_PG_SCALE` on a throwaway local server (test/support/postgres.ts).
 * Target: at least 0.9x the tools' throughput each. The same with `checksums: false` (row counts
 * only) is shown beside, without a target: what the proof costs.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { createBackupAction, type BackupDeps } from '../../src/activities/postgres/backup';
import { createPgConnect, createPgResolve } from '../../src/activities/postgres/client';
import { createRestoreAction } from '../../src/activities/postgres/restore';
import { createRunPgTool } from '../../src/activities/postgres/tools';
import { createSecretResolver } from '../../src/activities/secrets';
import { createLocalStore } from '../../src/activities/storage/local';
import { pgBackupCreate, pgBackupRestore } from '../../src/catalog/postgres/backup';
import { pgBin, startPostgres } from '../../test/support/postgres';
import { fmt, median, type Row, type Section } from './report';

const run = promisify(execFile);

export async function backups(o: { scale: number; reps: number }): Promise<Section> {
  const cluster = await startPostgres();
  const work = mkdtempSync(join(tmpdir(), 'bench-backups-'));
  const bin = pgBin();
  const conn = ['-h', '127.0.0.1', '-p', String(cluster.primary.port), '-U', 'postgres'];
  const sql = async (text: string, dbname = 'postgres'): Promise<Array<Record<string, unknown>>> => {
    const c = new Client({ host: '127.0.0.1', port: cluster.primary.port, user: 'postgres', database: dbname });
    await c.connect();
    try {
      return (await c.query(text)).rows as Array<Record<string, unknown>>;
    } finally {
      await c.end();
    }
  };
  try {
    await run(join(bin, 'pgbench'), ['-i', '-s', String(o.scale), '-q', ...conn, 'postgres'], {
      maxBuffer: 16 << 20,
    });
    const [size] = await sql(`SELECT pg_database_size('postgres')::float8 AS b`);
    const mb = Number(size?.b) / 1e6;
    const resolve = createPgResolve({
      databases: {
        orders: {
          host: '127.0.0.1',
          port: cluster.primary.port,
          database: 'postgres',
          user: 'postgres',
          application_name: 'bench',
        },
      },
      secrets: createSecretResolver({ env: {} }),
    });
    const store = createLocalStore('bench', join(work, 'store'));
    const deps: BackupDeps = {
      connect: createPgConnect({ resolve }),
      resolve,
      runTool: createRunPgTool({ binDir: bin }),
      openStore: async () => store,
      progress: () => ({ heartbeat: () => undefined, signal: undefined }),
      workDir: work,
    };
    const backup = createBackupAction(deps);
    const restore = createRestoreAction(deps);
    const ctx = (n: number) => ({
      workflowId: 'bench',
      runId: 'r',
      stepId: `b${n}`,
      runbookId: 'bench',
      idempotencyKey: `bench/b${n}`,
      dryRun: false,
    });
    const timed = async (fn: () => Promise<unknown>): Promise<number> => {
      const t = performance.now();
      await fn();
      return (performance.now() - t) / 1000;
    };

    const bareDump = join(work, 'bare.pgdump');
    const dumpBare: number[] = [];
    const dumpProduct: number[] = [];
    const dumpCounts: number[] = [];
    const restoreCounts: number[] = [];
    const restoreBare: number[] = [];
    const restoreProduct: number[] = [];
    // Alternating, so drift of the machine falls on both sides alike.
    for (let n = 0; n < o.reps; n++) {
      dumpBare.push(
        await timed(() => run(join(bin, 'pg_dump'), ['--format=custom', `--file=${bareDump}`, ...conn, 'postgres'])),
      );
      dumpProduct.push(
        await timed(() =>
          backup(pgBackupCreate.input.parse({ database: 'orders', store: 'bench', id: `rep${n}` }), ctx(n)),
        ),
      );
      dumpCounts.push(
        await timed(() =>
          backup(
            pgBackupCreate.input.parse({ database: 'orders', store: 'bench', id: `counts${n}`, checksums: false }),
            ctx(50 + n),
          ),
        ),
      );
    }
    for (let n = 0; n < o.reps; n++) {
      restoreBare.push(
        await timed(async () => {
          await run(join(bin, 'createdb'), [...conn, '-T', 'template0', `bare_${n}`]);
          await run(join(bin, 'pg_restore'), ['--jobs=2', '--no-owner', ...conn, `--dbname=bare_${n}`, bareDump]);
        }),
      );
      restoreProduct.push(
        await timed(() =>
          restore(
            pgBackupRestore.input.parse({
              database: 'orders',
              store: 'bench',
              backup: `rep${n}`,
              into: `copy_${n}`,
              jobs: 2,
              scratch: true,
            }),
            ctx(100 + n),
          ),
        ),
      );
      restoreCounts.push(
        await timed(() =>
          restore(
            pgBackupRestore.input.parse({
              database: 'orders',
              store: 'bench',
              backup: `counts${n}`,
              into: `counts_${n}`,
              jobs: 2,
              scratch: true,
            }),
            ctx(150 + n),
          ),
        ),
      );
      await sql(`DROP DATABASE bare_${n}`);
      await sql(`DROP DATABASE copy_${n}`);
      await sql(`DROP DATABASE counts_${n}`);
    }
    const row = (metric: string, bare: number[], product: number[], target = true): Row => {
      const b = mb / median(bare);
      const p = mb / median(product);
      return {
        metric,
        baseline: `${fmt(b)} MB/s`,
        product: `${fmt(p)} MB/s`,
        ratio: p / b,
        ...(target ? { target: 0.9, atLeast: true } : {}),
      };
    };
    return {
      title: '9. Backups and restores',
      about:
        `A ${fmt(mb)} MB database (pgbench scale ${o.scale}), median of ${o.reps}: pg:backup:create (dump, per-table ` +
        'sums in the same snapshot, sha256, copy into a local store) against pg_dump -Fc alone; pg:backup:restore ' +
        '(sha256 check, pg_restore -j 2 into a staging copy, every table compared with the manifest, rename) against ' +
        'createdb plus pg_restore -j 2 alone. Throughput in MB of database per second; higher is better.',
      rows: [
        row('backup throughput', dumpBare, dumpProduct),
        row('restore throughput', restoreBare, restoreProduct),
        row('backup throughput, rows only (checksums: false)', dumpBare, dumpCounts, false),
        row('restore throughput, rows only', restoreBare, restoreCounts, false),
      ],
      notes: [
        `seconds: pg_dump ${fmt(median(dumpBare), 2)}, pg:backup:create ${fmt(median(dumpProduct), 2)}, ` +
          `pg_restore ${fmt(median(restoreBare), 2)}, pg:backup:restore ${fmt(median(restoreProduct), 2)}; ` +
          `rows only: ${fmt(median(dumpCounts), 2)} and ${fmt(median(restoreCounts), 2)}`,
        'Where the time goes (2 cores): the row sums add about 0.6 s of CPU per 2 million rows beside ' +
          'pg_dump’s own two processes, and the restore reads every table once more to prove it; ' +
          'rows only shows the cost of the rest (snapshot, locks, sha256, the copy into the store).',
      ],
    };
  } finally {
    await cluster.stop();
    rmSync(work, { recursive: true, force: true });
  }
}
