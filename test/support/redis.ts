/**
 * A real redis-server (Debian's `redis-server`, installed by `bash scripts/setup.sh --test`) on a
 * free loopback port, as a child process with its own temp dir. No persistence is configured
 * (`--save ""`, `--appendonly no`), so a test starts empty; `stop({ save: true })` writes one
 * snapshot into the dir, so `start()` again (same port, same dir) comes back with the data, as a
 * restarted production Redis would.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/platform/ports';
import { stopChild } from '../../src/platform/processes';
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

export async function startRedis(): Promise<RedisServer> {
  const bin = redisBinary();
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'redis-'));
  const args = [
    ...['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--dbfilename', 'dump.rdb'],
    ...['--save', '', '--appendonly', 'no', '--daemonize', 'no', '--loglevel', 'warning'],
  ];
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
        return (await command(port, 'PING')) === '+PONG';
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
