/**
 * DR failover for a primary without a streaming standby, recovered from its WAL archive: a
 * primary archiving through the product's wal-archive.js into a local store, a base backup by
 * a runbook step (pg:basebackup:create), a writer committing rows one at a time, one segment
 * closed and archived under that load, more rows after it, then the primary killed (-9). The
 * failover recovers the base backup and the archive to its end into a new cluster on the
 * worker's host, on the port of the standby site's database entry, where the application's
 * user logs in with its password; the rows lost are exactly the unarchived tail, measured here
 * against the writer's acknowledged commits, and the report bounds them by the archive's last
 * commit.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Client as PgClient, type ClientConfig } from 'pg';
import { databaseConfig } from '../../src/config/databases-schema';
import { failoverPlanConfig } from '../../src/config/failover-plans-schema';
import { projectRoot } from '../../src/platform/project-root';
import { freePort } from '../../src/platform/ports';
import { workflowKind } from '../../src/runs/kinds';
import { signStart } from '../../src/runs/sign';
import type { FailoverReport } from '../../src/shared/failover';
import { failoverMarkdown } from '../../src/shared/failover-report';
import { decideApprovalUpdate, statusQuery } from '../../src/shared/messages';
import { buildOnce } from '../support/build';
import { pgBin, startPostgres, type PgCluster } from '../support/postgres';
import { createTestWorker, libraryOf, runbookFromYaml } from '../support/runbook-worker';
import { signedDecision, TEST_KEYS } from '../support/signing';
import { connectTestEnv } from '../support/temporal';
import { waitFor } from '../support/wait';

const run = promisify(execFile);
const ARCHIVE_JS = join(projectRoot(), 'dist/src/worker/wal-archive.js');
const APP_PASSWORD = 'app-secret-for-the-dr-site';

let env: TestWorkflowEnvironment;
let primary: PgCluster;
let dir: string;
let storeDir: string;
let workDir: string;

async function sql<T = Record<string, unknown>>(c: ClientConfig, text: string): Promise<T[]> {
  const client = new PgClient(c);
  await client.connect();
  try {
    return (await client.query(text)).rows as T[];
  } finally {
    await client.end();
  }
}
const onPrimary = () => ({ host: '127.0.0.1', port: primary.primary.port, user: 'postgres', database: 'postgres' });

beforeAll(async () => {
  buildOnce();
  env = await connectTestEnv();
  dir = mkdtempSync(join(tmpdir(), 'failover-pitr-'));
  chmodSync(dir, 0o755);
  storeDir = join(dir, 'store');
  workDir = join(dir, 'work');
  mkdirSync(storeDir);
  mkdirSync(workDir);
  const configFile = join(dir, 'runbooks.yaml');
  writeFileSync(configFile, 'backupStores:\n  wal:\n    kind: local\n    path: store\n');
  // The archive command runs as the server's OS user; the store is its to write.
  await run('chown', ['-R', 'postgres:postgres', storeDir]);
  primary = await startPostgres({
    archiveCommand: `${process.execPath} ${ARCHIVE_JS} --config ${configFile} --store wal --database orders %p %f`,
  });
  await sql(onPrimary(), `CREATE ROLE app LOGIN PASSWORD '${APP_PASSWORD}'`);
  await sql(onPrimary(), 'CREATE TABLE events (id bigint PRIMARY KEY, at timestamptz DEFAULT clock_timestamp())');
  await sql(onPrimary(), 'GRANT SELECT, INSERT ON events TO app');
}, 180_000);

afterAll(async () => {
  // The recovered cluster is the DR site's primary: the test stops it (pg:scratch:remove would too).
  const data = join(workDir ?? '/nonexistent', 'pitr/dr-orders/data');
  if (existsSync(join(data, 'postmaster.pid')))
    await run('runuser', ['-u', 'postgres', '--', join(pgBin(), 'pg_ctl'), '-D', data, 'stop', '-m', 'immediate']);
  await primary?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('no standby: the primary killed under writes is recovered from its WAL archive onto the DR site, the unarchived tail lost and bounded', async () => {
  const sitePort = await freePort();
  const databases = {
    orders: databaseConfig.parse({
      host: '127.0.0.1',
      port: primary.primary.port,
      database: 'postgres',
      user: 'postgres',
    }),
    // The application's entry for the DR site: nothing listens there until the failover recovers it.
    'orders-dr': databaseConfig.parse({
      host: '127.0.0.1',
      port: sitePort,
      database: 'postgres',
      user: 'app',
      passwordSecret: 'app-pw',
    }),
  };
  const plan = failoverPlanConfig.parse({
    primary: 'orders',
    standby: 'orders-dr',
    approvers: ['bob'],
    restore: { pitr: { store: 'wal' }, timeout: '10m' },
    smoke: [{ name: 'events', sql: 'SELECT id FROM events ORDER BY id DESC LIMIT 1', expectRows: { min: 1 } }],
    integrity: [{ name: 'events', sql: 'SELECT count(*) FROM events' }],
  });
  const baseBackup = runbookFromYaml(`
id: base-backup
title: Take a base backup of orders
steps:
  - id: base
    action: pg:basebackup:create
    with: { database: orders, store: wal }
`);
  const library = libraryOf(baseBackup);
  const tw = await createTestWorker(env, {
    library,
    env: { RUNBOOK_SECRET_APP_PW: APP_PASSWORD },
    // The application's password goes to the DR site's server only.
    secretBindings: { 'app-pw': [`postgres://127.0.0.1:${sitePort}`] },
    postgres: { databases, stores: { wal: storeDir }, binDir: pgBin(), workDir },
  });
  const ctx = { library, config: { approverGroups: {}, databases, failoverPlans: { orders: plan } } };
  const start = async (kind: 'runbook' | 'dr-failover', target: string) => {
    const p = workflowKind(kind).prepare(ctx, {
      target,
      params: {},
      trigger: { source: 'api', requestedBy: 'alice' },
    });
    const workflowId = `${p.workflowIdPrefix}-${Date.now()}`;
    return env.client.workflow.start(p.workflowType, {
      taskQueue: tw.taskQueue,
      workflowId,
      args: [{ ...(p.input as object), signed: signStart(TEST_KEYS, p.intent, { workflowId }) }],
    });
  };

  await tw.worker.runUntil(async () => {
    await (await start('runbook', 'base-backup')).result();

    // The writer: one row per commit, each acknowledged id kept.
    const writer = new PgClient(onPrimary());
    writer.on('error', () => undefined);
    await writer.connect();
    const acked: number[] = [];
    const load = (async () => {
      for (let id = 1; ; id++) {
        try {
          await writer.query('INSERT INTO events (id) VALUES ($1)', [id]);
          acked.push(id);
        } catch {
          return;
        }
      }
    })();
    await waitFor('rows committed', () => acked.length > 300);
    // Everything acknowledged before the switch is in a closed segment the archive holds.
    const safe = acked.length;
    const [sw] = await sql<{ seg: string }>(onPrimary(), 'SELECT pg_walfile_name(pg_switch_wal()) AS seg');
    await waitFor('the closed segment archived', () =>
      existsSync(join(storeDir, '.meta/pitr/orders/wal', `${sw!.seg}.json`)),
    );
    await waitFor('more rows, in a segment not archived yet', () => acked.length > safe + 300);
    const killedAt = Date.now();
    process.kill(Number(readFileSync(join(primary.primary.data, 'postmaster.pid'), 'utf8').split('\n')[0]), 'SIGKILL');
    await load;
    await writer.end().catch(() => undefined);

    const h = await start('dr-failover', 'orders');
    await waitFor('the approval gate', async () => (await h.query(statusQuery)).pendingApprovals.length > 0);
    const gate = (await h.query(statusQuery)).pendingApprovals[0];
    // The approvers see what will be made: a cluster recovered to the archive's end, on the site's port.
    expect(gate?.guards).toEqual([
      {
        stepId: 'recover',
        action: 'pg:pitr:restore',
        inputs: {
          database: 'orders',
          store: 'wal',
          targetTime: 'latest',
          backup: 'auto',
          name: 'dr-orders',
          port: sitePort,
          listen: '127.0.0.1',
        },
      },
    ]);
    await h.executeUpdate(decideApprovalUpdate, {
      args: [await signedDecision(h, { stepId: 'failover', decision: 'approve', actor: 'bob' })],
    });
    const r: FailoverReport = await h.result();

    expect(r.outcome).toBe('succeeded');
    expect(r.promoted).toBeUndefined();
    expect(r.recovered).toMatchObject({ cluster: 'dr-orders', targetTime: 'latest', endedAtArchiveEnd: true });
    expect(r.recovered?.segmentsRestored).toBeGreaterThan(0);
    expect(r.smoke).toEqual([{ name: 'events', ok: true, rows: 1 }]);

    // The application's user, with its password, on the site's port: a prefix of what was acknowledged.
    const app = { host: '127.0.0.1', port: sitePort, user: 'app', password: APP_PASSWORD, database: 'postgres' };
    const present = (await sql<{ id: string }>(app, 'SELECT id FROM events ORDER BY id')).map((x) => Number(x.id));
    expect(present).toEqual(acked.slice(0, present.length));
    expect(present.length).toBeGreaterThanOrEqual(safe);
    // The tail after the last archived segment died with the primary.
    const lost = acked.length - present.length;
    expect(lost).toBeGreaterThan(0);
    expect(r.integrity[0]).toMatchObject({ name: 'events', before: null, after: present.length, lost: null });
    // The primary was gone: the report bounds the loss by the archive's last commit.
    expect(r.rpo).toMatchObject({ rows: null, basis: 'wal-archive' });
    const [last] = await sql<{ at: Date }>(app, 'SELECT max(at) AS at FROM events');
    expect(Date.parse(r.recovered!.reachedTime!)).toBeGreaterThanOrEqual(last!.at.getTime());
    // No less than the true gap: writes went on until the kill, after the last recovered commit.
    expect(r.rpo!.seconds!).toBeGreaterThanOrEqual((killedAt - last!.at.getTime()) / 1000 - 0.1);
    expect(r.rpo!.seconds!).toBeLessThanOrEqual((Date.parse(r.startedAt) - last!.at.getTime()) / 1000 + 0.1);
    // The new primary takes the application's writes; without the password it is refused.
    await sql(app, 'INSERT INTO events (id) VALUES (1000000)');
    await expect(sql({ ...app, password: 'wrong' }, 'SELECT 1')).rejects.toThrow(/password authentication failed/);
    const md = failoverMarkdown(r);
    expect(md).toContain('- recovered: cluster dr-orders from base backup');
    expect(md).toContain('RPO from: the last commit recovered from the WAL archive');
  });
}, 300_000);
