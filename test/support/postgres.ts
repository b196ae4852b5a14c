/**
 * Throwaway PostgreSQL (Debian's, installed by `bash scripts/setup.sh --test`): a primary on a
 * free loopback port, WAL archived into its temp dir, and optionally a streaming standby made by
 * `pg_basebackup -R`. The servers run as the `postgres` user (initdb refuses root), with trust
 * authentication on loopback; `stop()` stops both and removes the dir, `kill()` crashes the
 * primary (`pg_ctl -m immediate`) for failover tests.
 */
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../src/platform/ports';

const run = promisify(execFile);
const INSTALL = 'run `bash scripts/setup.sh --test` (as root; it installs Debian postgresql and postgresql-client)';

export interface PgServer {
  host: '127.0.0.1';
  port: number;
  data: string;
  log: () => string;
}

export interface PgCluster {
  dir: string;
  archiveDir: string;
  primary: PgServer;
  standby?: PgServer & { slot: string; applicationName: string };
  /** Stops both servers (fast, else immediate) and removes the temp dir. */
  stop(): Promise<void>;
  /** Crashes the primary: `pg_ctl -m immediate stop` (no shutdown checkpoint). */
  kill(): Promise<void>;
}

/** The newest /usr/lib/postgresql/<major>/bin holding initdb. */
export function pgBin(): string {
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root)
    ? readdirSync(root)
        .filter((m) => existsSync(join(root, m, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (!majors[0]) throw new Error(`PostgreSQL is not installed (no ${root}/*/bin/initdb): ${INSTALL}`);
  return join(root, majors[0], 'bin');
}

async function asPostgres(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  try {
    const r = await run('runuser', ['-u', 'postgres', '--', cmd, ...args], {
      env: { ...process.env, ...env },
      timeout: 120_000,
    });
    return r.stdout;
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

const readLog = (file: string) => () => (existsSync(file) ? readFileSync(file, 'utf8').slice(-20_000) : '');

async function pgCtl(bin: string, data: string, action: 'start' | 'stop', extra: string[]): Promise<void> {
  await asPostgres(join(bin, 'pg_ctl'), ['-D', data, '-w', '-t', '60', ...extra, action]);
}

async function stopServer(bin: string, data: string): Promise<void> {
  if (!existsSync(join(data, 'postmaster.pid'))) return;
  try {
    await pgCtl(bin, data, 'stop', ['-m', 'fast']);
  } catch {
    await pgCtl(bin, data, 'stop', ['-m', 'immediate']).catch(() => undefined);
  }
}

export interface StartOptions {
  standby?: boolean;
  /**
   * The primary's archive_command (with PostgreSQL's %p and %f), instead of copying into
   * `archiveDir`: e.g. the product's wal-archive.js into a backup store.
   */
  archiveCommand?: string;
  /** The standby synchronous (`synchronous_standby_names`): a commit returns once the standby has it. */
  synchronous?: boolean;
}

export async function startPostgres(o: StartOptions = {}): Promise<PgCluster> {
  const bin = pgBin();
  const dir = mkdtempSync(join(tmpdir(), 'pg-'));
  chmodSync(dir, 0o755);
  const sock = join(dir, 'sock');
  const archiveDir = join(dir, 'archive');
  mkdirSync(sock);
  mkdirSync(archiveDir);
  await run('chown', ['-R', 'postgres:postgres', dir]);
  const primaryData = join(dir, 'primary');
  const primaryLog = join(dir, 'primary.log');
  const standbyData = join(dir, 'standby');
  const standbyLog = join(dir, 'standby.log');
  const started: string[] = [];

  const stop = async (): Promise<void> => {
    for (const data of [...started].reverse()) await stopServer(bin, data);
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    const port = await freePort();
    await asPostgres(join(bin, 'initdb'), [
      ...['-D', primaryData, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8'],
    ]);
    const conf = [
      `listen_addresses = '127.0.0.1'`,
      `unix_socket_directories = '${sock}'`,
      `max_wal_senders = 10`,
      `wal_keep_size = '128MB'`,
      `archive_mode = on`,
      `archive_command = '${(o.archiveCommand ?? `test ! -f ${archiveDir}/%f && cp %p ${archiveDir}/%f`).replace(/'/g, "''")}'`,
      `fsync = off`, // a throwaway cluster: speed over durability across an OS crash
    ].join('\n');
    await asPostgres('sh', ['-c', `printf '%s\\n' "$0" >> ${join(primaryData, 'postgresql.conf')}`, conf]);
    await pgCtl(bin, primaryData, 'start', ['-l', primaryLog, '-o', `-p ${port}`]);
    started.push(primaryData);
    const primary: PgServer = { host: '127.0.0.1', port, data: primaryData, log: readLog(primaryLog) };

    let standby: PgCluster['standby'];
    if (o.standby) {
      const slot = 'standby1';
      const applicationName = 'standby1';
      const sPort = await freePort();
      await asPostgres('pg_basebackup', [
        ...['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-D', standbyData],
        ...['-R', '-X', 'stream', '-c', 'fast', '-C', '-S', slot],
        // -R writes primary_conninfo from this connection string: application_name names the standby.
        ...['-d', `application_name=${applicationName}`],
      ]);
      await asPostgres('sh', [
        '-c',
        `printf '%s\\n' "$0" >> ${join(standbyData, 'postgresql.auto.conf')}`,
        `archive_mode = off`,
      ]);
      await pgCtl(bin, standbyData, 'start', ['-l', standbyLog, '-o', `-p ${sPort}`]);
      started.push(standbyData);
      if (o.synchronous)
        await asPostgres(join(bin, 'psql'), [
          ...['-h', sock, '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-v', 'ON_ERROR_STOP=1'],
          ...[
            '-c',
            `ALTER SYSTEM SET synchronous_standby_names = '${applicationName}'`,
            '-c',
            'SELECT pg_reload_conf()',
          ],
        ]);
      standby = {
        host: '127.0.0.1',
        port: sPort,
        data: standbyData,
        log: readLog(standbyLog),
        slot,
        applicationName,
      };
    }
    return {
      dir,
      archiveDir,
      primary,
      ...(standby ? { standby } : {}),
      stop,
      kill: () => pgCtl(bin, primaryData, 'stop', ['-m', 'immediate']),
    };
  } catch (err) {
    const logs = [primaryLog, standbyLog].map((f) => readLog(f)()).join('\n');
    await stop();
    throw new Error(`${(err as Error).message}\n${logs}`);
  }
}
