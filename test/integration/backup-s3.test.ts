/**
 * Backups and their retention in a real S3-compatible store (SeaweedFS's gateway,
 * test/support/seaweedfs.ts) from a real PostgreSQL: three backups land as objects with their
 * sha256, a restore from S3 is proved against its manifest, and pg:backup:prune deletes what
 * the policy says and reports it, the bucket then holding only what was kept.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { CreateBucketCommand, ListBucketsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { ApplicationFailure } from '@temporalio/common';
import { pgBackupCreate, pgBackupList, pgBackupPrune, pgBackupRestore } from '../../src/catalog/postgres/backup';
import { createBackupAction, createListAction, type BackupDeps } from '../../src/activities/postgres/backup';
import { createRestoreAction } from '../../src/activities/postgres/restore';
import { createPruneAction } from '../../src/activities/postgres/retention';
import { createS3Store, s3Api } from '../../src/activities/storage/s3';
import { backupDeps, stepContext } from '../support/backup-deps';
import { pgBin, startPostgres, type PgCluster } from '../support/postgres';
import { startSeaweedS3, type SeaweedS3 } from '../support/seaweedfs';

const run = promisify(execFile);
const BUCKET = 'pg-backups';
let cluster: PgCluster;
let weed: SeaweedS3;
let admin: S3Client;
let deps: BackupDeps;
const ctx = stepContext('wf-s3', 'pg');
const where = { database: 'orders', store: 'offsite' };

beforeAll(async () => {
  cluster = await startPostgres();
  await run(join(pgBin(), 'pgbench'), [
    ...['-i', '-s', '1', '-q', '-h', '127.0.0.1', '-p', String(cluster.primary.port), '-U', 'postgres'],
    'postgres',
  ]);
  weed = await startSeaweedS3((s) =>
    new S3Client({ endpoint: s.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: s.admin }).send(
      new ListBucketsCommand({}),
    ),
  );
  admin = new S3Client({ endpoint: weed.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: weed.admin });
  await admin.send(new CreateBucketCommand({ Bucket: BUCKET }));
  const store = createS3Store('offsite', { client: s3Api(admin), bucket: BUCKET, prefix: 'prod/' });
  deps = backupDeps({ port: cluster.primary.port, store });
}, 120_000);

afterAll(async () => {
  admin?.destroy();
  await weed?.dispose();
  await cluster?.stop();
});

const keys = async (): Promise<string[]> =>
  ((await admin.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'prod/postgres/' }))).Contents ?? [])
    .map((o) => o.Key as string)
    .sort();

test('backups in S3 restore proved, and retention deletes what the policy says and reports it', async () => {
  for (const id of ['b1', 'b2', 'b3'])
    await createBackupAction(deps)(pgBackupCreate.input.parse({ ...where, id }), ctx(`backup-${id}`));
  const listed = await createListAction(deps)(pgBackupList.input.parse(where));
  expect(listed.backups.map((b) => b.id)).toEqual(['b3', 'b2', 'b1']);
  expect(await keys()).toHaveLength(6);

  const restored = await createRestoreAction(deps)(
    pgBackupRestore.input.parse({ ...where, backup: 'b1', into: 'from_s3', scratch: true }),
    ctx('restore'),
  );
  expect(restored).toMatchObject({ verified: true, tables: 4, rows: 100_000 + 1 + 10 });

  // Keep only the newest, whatever its age: the other two go, objects and all.
  const pruned = await createPruneAction(deps)(
    pgBackupPrune.input.parse({ ...where, keepAllDays: 0, keepDailyDays: 0, keepLast: 1 }),
  );
  expect(pruned.kept.map((k) => k.id)).toEqual(['b3']);
  expect(pruned.deleted.map((d) => d.id).sort()).toEqual(['b1', 'b2']);
  expect(pruned.bytesFreed).toBeGreaterThan(0);
  expect(await keys()).toEqual(['prod/postgres/orders/b3/dump.pgdump', 'prod/postgres/orders/b3/manifest.json']);
  // Asked again: nothing left to delete.
  expect(
    (
      await createPruneAction(deps)(
        pgBackupPrune.input.parse({ ...where, keepAllDays: 0, keepDailyDays: 0, keepLast: 1 }),
      )
    ).changed,
  ).toBe(false);
  // A restore of a pruned backup is refused, not attempted.
  const err = await createRestoreAction(deps)(
    pgBackupRestore.input.parse({ ...where, backup: 'b1', into: 'gone', scratch: true }),
    ctx('restore-gone'),
  ).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  expect((err as ApplicationFailure).type).toBe('NotFound');
}, 120_000);
