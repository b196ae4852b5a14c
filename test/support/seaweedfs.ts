/**
 * A real S3-compatible store: SeaweedFS's `weed server -s3` (master, volume, filer and the S3
 * gateway in one process), built from the Go module proxy by `bash scripts/seaweedfs/build.sh`
 * into .cache/seaweedfs/bin, on free loopback ports with its own temp data directory. Two
 * identities: an admin (read, list, write) and a reader (read, list), so tests can see a write
 * refused. Facts from ../shared/notes/cluster-and-data.md §8: with no identity configured it
 * would allow anonymous access (so one always is); `-volume.preStopSeconds=0` makes SIGTERM
 * take a fraction of a second instead of ~27 s; the iceberg and lance listeners are turned off;
 * after a restart over old data, reads fail for ~15 s until the volume re-registers, so
 * readiness is a caller's probe (an S3 call), not a port answering.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/platform/ports';
import { stopChild } from '../../src/platform/processes';
import { projectRoot } from '../../src/platform/project-root';
import { waitFor } from './wait';

const INSTALL = 'run `bash scripts/seaweedfs/build.sh` (it builds SeaweedFS with Go into .cache/seaweedfs/bin)';

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface SeaweedS3 {
  /** The S3 endpoint, `http://127.0.0.1:<port>` (path-style addressing). */
  endpoint: string;
  admin: S3Credentials;
  reader: S3Credentials;
  /** Its data directory (kept across `restart`). */
  dir: string;
  output(): string;
  /** Stops it (SIGTERM) and starts it again over the same data; `ready` is probed again. */
  restart(): Promise<void>;
  /** Stops it and removes its data. */
  dispose(): Promise<void>;
}

export function weedBinary(): string {
  const bin = join(process.env.RUNBOOKS_SEAWEEDFS_BIN_DIR ?? join(projectRoot(), '.cache/seaweedfs/bin'), 'weed');
  if (!existsSync(bin)) throw new Error(`SeaweedFS is not built (no ${bin}): ${INSTALL}`);
  return bin;
}

/**
 * Starts it and waits until `ready` (an S3 call with the admin credentials, e.g. ListBuckets or
 * a canary GET) succeeds.
 */
export async function startSeaweedS3(ready: (s3: SeaweedS3) => Promise<unknown>): Promise<SeaweedS3> {
  const bin = weedBinary();
  const dir = mkdtempSync(join(tmpdir(), 'seaweedfs-'));
  const data = join(dir, 'data');
  mkdirSync(data);
  const admin = { accessKeyId: 'runbooks-admin', secretAccessKey: 'runbooks-admin-secret' };
  const reader = { accessKeyId: 'runbooks-reader', secretAccessKey: 'runbooks-reader-secret' };
  const config = join(dir, 's3.json');
  writeFileSync(
    config,
    JSON.stringify({
      identities: [
        {
          name: 'admin',
          credentials: [{ accessKey: admin.accessKeyId, secretKey: admin.secretAccessKey }],
          actions: ['Admin', 'Read', 'List', 'Tagging', 'Write'],
        },
        {
          name: 'reader',
          credentials: [{ accessKey: reader.accessKeyId, secretKey: reader.secretAccessKey }],
          actions: ['Read', 'List'],
        },
      ],
    }),
  );
  // Each port's gRPC twin is port + 10000: pick ports that leave room for it.
  const port = async (): Promise<number> => {
    for (;;) {
      const p = await freePort();
      if (p + 10000 < 65536) return p;
    }
  };
  const [master, volume, filer, s3Port] = [await port(), await port(), await port(), await port()];
  const args = [
    'server',
    `-dir=${data}`,
    ...['-ip=127.0.0.1', '-ip.bind=127.0.0.1'],
    ...[`-master.port=${master}`, `-volume.port=${volume}`, `-filer.port=${filer}`],
    ...['-s3', `-s3.port=${s3Port}`, `-s3.config=${config}`, '-s3.port.iceberg=0', '-s3.port.lance=0'],
    ...['-volume.max=8', '-master.volumeSizeLimitMB=64', '-volume.preStopSeconds=0'],
  ];
  let out = '';
  let child: ChildProcess | undefined;
  const launch = (): void => {
    const c = spawn(bin, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    c.on('error', (e) => (out += `\n${e.message}`));
    c.stdout?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
    c.stderr?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
    child = c;
  };
  const store: SeaweedS3 = {
    endpoint: `http://127.0.0.1:${s3Port}`,
    admin,
    reader,
    dir,
    output: () => out,
    restart: async () => {
      if (child) await stopChild(child);
      launch();
      await untilReady();
    },
    dispose: async () => {
      if (child) await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  const untilReady = (): Promise<unknown> =>
    waitFor(
      `SeaweedFS's S3 gateway on ${store.endpoint} answering`,
      async () => {
        if (child && child.exitCode !== null) throw new Error(`weed exited (${child.exitCode}):\n${out}`);
        await ready(store);
        return true;
      },
      // A first start answers in ~2 s; one over old data takes up to ~17 s to serve reads.
      { timeoutMs: 45_000, intervalMs: 250, detail: () => out.slice(-3000) },
    );
  launch();
  try {
    await untilReady();
  } catch (err) {
    await store.dispose();
    throw err;
  }
  return store;
}
