/**
 * PostgreSQL's `archive_command`: puts one WAL file into a backup store from the product's
 * configuration, under `pitr/<database>/wal/` (what pg:basebackup:create and pg:pitr:restore
 * read), with its sha256 recorded by the store.
 *
 *   archive_command = 'node /opt/durable-runbooks/dist/src/worker/wal-archive.js
 *       --config /etc/durable-runbooks/config.yaml --store offsite --database orders %p %f'
 *
 * Idempotent as PostgreSQL asks: the archiver retries a file whose earlier attempt may have
 * landed, so the same bytes already there is success, but different bytes under the name is a
 * failure (exit 1, the archiver retries and pg_stat_archiver shows it), never an overwrite: two
 * servers archiving into one prefix, or a restored copy archiving over its source, must be seen.
 * Any failure exits non-zero, so PostgreSQL keeps the file and tries again; nothing is lost.
 * Secrets come from the configuration's secret sources (environment, secretsDir), never argv.
 */
import { dirname, resolve } from 'node:path';
import { createSecretResolver } from '../activities/secrets';
import { hashFile } from '../activities/storage/hash';
import { createOpenStore } from '../activities/storage/open';
import { isWalFileName, pitrPrefixOf, walPrefixOf } from '../activities/postgres/pitr-layout';
import { loadConfig } from '../config/load';

interface Args {
  config: string;
  store: string;
  database: string;
  prefix?: string;
  path: string;
  file: string;
}

const USAGE =
  'usage: wal-archive --config <config.yaml> --store <name> --database <name> [--prefix <pitr/db/>] <%p> <%f>';

export function parseArgs(argv: string[]): Args {
  const named: Record<string, string> = {};
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith('--')) {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value\n${USAGE}`);
      named[a.slice(2)] = v;
    } else rest.push(a);
  }
  const [path, file] = rest;
  if (!named.config || !named.store || !named.database || !path || !file || rest.length !== 2) throw new Error(USAGE);
  if (!isWalFileName(file)) throw new Error(`not a WAL file name: ${file}`);
  return {
    config: named.config,
    store: named.store,
    database: named.database,
    ...(named.prefix ? { prefix: named.prefix } : {}),
    path,
    file,
  };
}

export async function archive(a: Args, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const configFile = resolve(a.config);
  // The product's loader, relative paths from the file's folder; no API tokens are needed here.
  const config = loadConfig({ ...env, RUNBOOKS_CONFIG: configFile }, dirname(configFile), { tokens: false });
  const secrets = createSecretResolver({
    env,
    ...(config.secretsDir ? { dir: config.secretsDir } : {}),
    bindings: config.secretBindings,
  });
  const store = await createOpenStore({ stores: config.backupStores, secrets })(a.store);
  const key = `${walPrefixOf(pitrPrefixOf(a.database, a.prefix))}${a.file}`;
  const local = await hashFile(a.path);
  const there = await store.head(key);
  if (there) {
    if (there.sha256 === local.sha256 && there.size === local.size) return `${a.file}: already archived as ${key}`;
    throw new Error(
      `${key} in store ${a.store} holds other bytes (sha256 ${there.sha256}, ours ${local.sha256}): not overwritten. ` +
        'Is another server archiving into this prefix?',
    );
  }
  const put = await store.putFile(key, a.path);
  // The file is complete and not written to while archived; a difference means the copy is wrong.
  if (put.sha256 !== local.sha256 || put.size !== local.size)
    throw new Error(`${key}: stored sha256 ${put.sha256} differs from the file's ${local.sha256}`);
  return `${a.file}: archived as ${key} (${put.size} bytes, sha256 ${put.sha256})`;
}

if (require.main === module) {
  // Group-readable objects in a local store, so a worker in the server's group can restore them.
  process.umask(0o027);
  Promise.resolve()
    .then(() => archive(parseArgs(process.argv.slice(2))))
    .then(
      (said) => {
        if (process.env.WAL_ARCHIVE_VERBOSE) console.error(said);
        process.exit(0);
      },
      (err: unknown) => {
        console.error(`wal-archive: ${(err as Error)?.message ?? String(err)}`);
        process.exit(1);
      },
    );
}
