/**
 * A scratch cluster's `restore_command` (run by PostgreSQL as `node pitr-restore-command.js
 * <socket> %f %p`): asks the restoring worker (pitr-fetch.ts) for a WAL file and moves it into
 * place. Its exit status is what PostgreSQL acts on:
 *   0    the file is at %p, checked against its sha256;
 *   1    not in the archive: the normal end of the WAL (or a history file that does not exist);
 *   201  anything else (a file that does not check, the store or the worker unreachable): above
 *        125, so PostgreSQL aborts recovery instead of taking it for the end of the WAL and
 *        promoting early at the wrong point.
 * No imports beyond Node's: it starts once per segment.
 */
import { copyFile, rename, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { resolve } from 'node:path';

export const EXIT_RESTORED = 0;
export const EXIT_NOT_FOUND = 1;
export const EXIT_ABORT_RECOVERY = 201;

function ask(socket: string, file: string): Promise<{ status: number; body: string }> {
  return new Promise((done, fail) => {
    const req = request({ socketPath: socket, path: `/wal/${encodeURIComponent(file)}`, timeout: 600_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => done({ status: res.statusCode ?? 0, body }));
      res.on('error', fail);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', fail);
    req.end();
  });
}

async function main(argv: string[]): Promise<number> {
  const [socket, file, target] = argv;
  if (!socket || !file || !target) {
    console.error('usage: pitr-restore-command <socket> %f %p');
    return EXIT_ABORT_RECOVERY;
  }
  const r = await ask(socket, file);
  if (r.status === 404) return EXIT_NOT_FOUND;
  if (r.status !== 200) {
    console.error(`restore_command: ${file}: ${r.body}`);
    return EXIT_ABORT_RECOVERY;
  }
  const { path } = JSON.parse(r.body) as { path: string };
  const to = resolve(process.cwd(), target);
  try {
    await rename(path, to);
  } catch {
    await copyFile(path, to);
    await rm(path, { force: true });
  }
  return EXIT_RESTORED;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(`restore_command: ${(err as Error)?.message ?? String(err)}`);
      process.exit(EXIT_ABORT_RECOVERY);
    },
  );
}
