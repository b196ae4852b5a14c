/**
 * A real redis-server (Debian's `redis-server`, installed by `bash scripts/setup.sh --test`) on a
 * free loopback port, as a child process with its own temp dir. No persistence is configured
 * (`--save ""`, `--appendonly no`), so a test starts empty; `stop({ save: true })` writes one
 * snapshot into the dir, so `start()` again (same port, same dir) comes back with the data, as a
 * restarted production Redis would.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/platform/ports';
import { stopChild } from '../../src/platform/processes';
import { permanent } from '../../src/activities/errors';
import type { BackupStore, StoredObject } from '../../src/activities/storage/store';
import { FAILURE } from '../../src/shared/failures';
import { waitFor } from './wait';

const INSTALL =
  'run `bash scripts/setup.sh --test` (as root; it installs Debian redis-server) or `sudo apt-get install redis-server`';

export interface RedisServer {
  port: number;
  url: string;
  dir: string;
  /** Stops the server; with `save`, writes its data to the dir first (SHUTDOWN SAVE). */
  stop(o?: { save?: boolean }): Promise<void>;
  /** Starts it again on the same port and dir; resolves once it answers PING. */
  start(): Promise<void>;
  /** Stops it and removes its dir. */
  dispose(): Promise<void>;
  output(): string;
}

function redisBinary(): string {
  const r = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  const path = r.stdout.trim();
  if (r.status !== 0 || !path) throw new Error(`redis-server is not installed: ${INSTALL}`);
  return path;
}

/** Sends one inline command and resolves with the first reply line ('' if the server closed first). */
function command(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let reply = '';
    socket.once('error', reject);
    socket.on('data', (d: Buffer) => {
      reply += d.toString();
      if (reply.includes('\r\n')) socket.end();
    });
    socket.once('close', () => resolve(reply.split('\r\n')[0] ?? ''));
    socket.write(`${text}\r\n`);
  });
}

export interface StartRedisOptions {
  /** `requirepass`: PING then answers NOAUTH, which counts as up (SHUTDOWN SAVE is not available). */
  password?: string;
  /** A replica of this server (`--replicaof 127.0.0.1 <port>`). */
  replicaOf?: number;
  /** More server options, after ours (`['--repl-diskless-sync-delay', '0']`). */
  args?: string[];
}

export async function startRedis(o: StartRedisOptions = {}): Promise<RedisServer> {
  const bin = redisBinary();
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'redis-'));
  const args = [
    ...['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--dbfilename', 'dump.rdb'],
    ...['--save', '', '--appendonly', 'no', '--daemonize', 'no', '--loglevel', 'warning'],
    ...(o.password !== undefined ? ['--requirepass', o.password] : []),
    ...(o.replicaOf !== undefined ? ['--replicaof', '127.0.0.1', String(o.replicaOf)] : []),
    ...(o.args ?? []),
  ];
  const up = (reply: string): boolean => reply === '+PONG' || (o.password !== undefined && reply.startsWith('-NOAUTH'));
  let child: ChildProcess | undefined;
  let out = '';

  const start = async (): Promise<void> => {
    const c = spawn(bin, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    c.stdout?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
    c.stderr?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
    await waitFor(
      `redis-server answering PING on 127.0.0.1:${port}`,
      async () => {
        if (c.exitCode !== null) throw new Error(`redis-server exited (${c.exitCode}):\n${out}`);
        return up(await command(port, 'PING'));
      },
      { detail: () => out },
    );
  };

  const stop = async (o: { save?: boolean } = {}): Promise<void> => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    if (o.save) {
      // On success the server closes the connection without a reply; an error reply says why not.
      const reply = await command(port, 'SHUTDOWN SAVE');
      if (reply !== '') throw new Error(`SHUTDOWN SAVE answered ${reply}:\n${out}`);
      await exited;
    } else await stopChild(c);
  };

  try {
    await start();
  } catch (err) {
    await stop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    stop,
    start,
    dispose: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
    output: () => out,
  };
}

/** A BackupStore in memory whose stored bytes a test can damage (`bytes`), checked on read like the real ones. */
export interface MemoryStore extends BackupStore {
  /** The stored bytes by key: change them to simulate corruption behind the store's back. */
  bytes: Map<string, Buffer>;
}

export function memoryBackupStore(name = 'backups'): MemoryStore {
  const bytes = new Map<string, Buffer>();
  const records = new Map<string, StoredObject>();
  const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
  const put = (key: string, body: Buffer): StoredObject => {
    const o = { key, size: body.length, sha256: sha(body), modified: new Date().toISOString() };
    bytes.set(key, Buffer.from(body));
    records.set(key, o);
    return o;
  };
  const get = (key: string): { object: StoredObject; body: Buffer } => {
    const object = records.get(key);
    const body = bytes.get(key);
    if (!object || !body) throw permanent(`no object '${key}' in backup store '${name}'`, FAILURE.NotFound);
    if (body.length !== object.size || sha(body) !== object.sha256)
      throw permanent(`object '${key}' in backup store '${name}' failed its integrity check`, FAILURE.IntegrityFailed);
    return { object, body };
  };
  return {
    name,
    kind: 'local',
    bytes,
    putFile: async (key, path) => put(key, await readFile(path)),
    putBytes: async (key, body) => put(key, body),
    getFile: async (key, path) => {
      const { object, body } = get(key);
      await writeFile(path, body);
      return object;
    },
    getBytes: async (key, maxBytes) => {
      const r = get(key);
      if (r.object.size > maxBytes) throw permanent(`${key} is over ${maxBytes} bytes`, FAILURE.InvalidInput);
      return r;
    },
    head: async (key) => records.get(key),
    list: async (prefix, o = {}) =>
      [...records.values()]
        .filter((r) => r.key.startsWith(prefix))
        .sort((a, b) => (a.key < b.key ? -1 : 1))
        .slice(0, o.limit ?? 10_000),
    delete: async (key) => ({ deleted: records.delete(key) && bytes.delete(key) }),
  };
}
