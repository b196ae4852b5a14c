/**
 * A scratch cluster's configuration, written over the base backup's: the source's own
 * postgresql.conf, postgresql.auto.conf and pg_hba.conf are kept beside as `*.source` and not
 * used. The source's files name its sockets, certificates, preload libraries, archive_command
 * and memory sizes, none of which fit a throwaway copy on the worker (and a copy that archived
 * into the source's archive would corrupt it: `archive_mode = off`). `hot_standby = off`: the
 * copy takes no connections until recovery has ended, so nobody reads a half-recovered state,
 * and the source's max_connections and friends need not be matched.
 */
import { chown, rename, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { confValue, recoveryTargetTime } from './pitr-layout';
import type { OsUser } from './pitr-spawn';
import type { ScratchPaths } from './pitr-scratch';

export interface ScratchConfig {
  port: number;
  /** listen_addresses. @default 127.0.0.1 */
  listen?: string;
  /** The restore_command line (the fetch helper); absent once recovery is over. */
  restoreCommand?: string;
  /** The target (ISO 8601); absent: recover to the end of the archive. */
  targetTime?: string;
}

export function postgresqlConf(p: ScratchPaths, c: ScratchConfig): string {
  return [
    '# Written by durable-runbooks pg:pitr:restore for a scratch cluster; the source is in *.source.',
    `listen_addresses = ${confValue(c.listen ?? LOOPBACK)}`,
    `port = ${c.port}`,
    `unix_socket_directories = ${confValue(p.sock)}`,
    `hot_standby = off`,
    `archive_mode = off`,
    `shared_preload_libraries = ''`,
    `ssl = off`,
    `lc_messages = 'C'`,
    `logging_collector = off`,
    `log_line_prefix = '%m [%p] '`,
    ...(c.restoreCommand
      ? [
          `restore_command = ${confValue(c.restoreCommand)}`,
          `recovery_target_action = 'promote'`,
          `recovery_target_timeline = 'latest'`,
          ...(c.targetTime ? [`recovery_target_time = ${confValue(recoveryTargetTime(c.targetTime))}`] : []),
        ]
      : []),
    '',
  ].join('\n');
}

const LOOPBACK = '127.0.0.1';

// Our own socket (its folder the server user's alone) trusts; TCP takes the source's passwords,
// so a workflow connects as the source database's configured user. A DR site's copy (listening
// beyond loopback) is the application's new primary: any client address, passwords still asked.
const hbaOf = (listen: string): string =>
  ['local all all trust', `host all all ${listen === LOOPBACK ? '127.0.0.1/32' : '0.0.0.0/0'} scram-sha-256`, ''].join(
    '\n',
  );

async function put(path: string, text: string, as: OsUser | undefined): Promise<void> {
  await writeFile(path, text, { mode: 0o600 });
  if (as) await chown(path, as.uid, as.gid);
}

/** Sets the source's files aside and writes ours, then recovery.signal (standby.signal removed). */
export async function writeScratchConfig(p: ScratchPaths, c: ScratchConfig, as: OsUser | undefined): Promise<void> {
  for (const f of ['postgresql.conf', 'postgresql.auto.conf', 'pg_hba.conf'])
    if (existsSync(join(p.data, f)) && !existsSync(join(p.data, `${f}.source`)))
      await rename(join(p.data, f), join(p.data, `${f}.source`));
  await put(join(p.data, 'postgresql.conf'), postgresqlConf(p, c), as);
  await put(join(p.data, 'postgresql.auto.conf'), '', as);
  await put(join(p.data, 'pg_hba.conf'), hbaOf(c.listen ?? LOOPBACK), as);
  if (!existsSync(join(p.data, 'pg_ident.conf'))) await put(join(p.data, 'pg_ident.conf'), '', as);
  await rm(join(p.data, 'standby.signal'), { force: true });
  if (c.restoreCommand) await put(join(p.data, 'recovery.signal'), '', as);
}
