/**
 * Where a scratch cluster's restore_command gets WAL: a small HTTP server on a Unix socket inside
 * the scratch folder (reachable by the server's OS user and root only), run by the restore
 * activity itself. The store, its credentials and the sha256 check stay in the worker: each file
 * is fetched with `getFile` (checked against its recorded sha256 and size) into the scratch
 * folder and handed over by path. If the worker dies, the socket goes with it and the helper
 * (pitr-restore-command.ts) makes recovery abort rather than end early, so a dead worker never
 * leaves a cluster that promoted at the wrong point.
 */
import { chown } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { FAILURE } from '../../shared/failures';
import type { BackupStore } from '../storage/store';
import { isWalFileName } from './pitr-layout';
import type { OsUser } from './pitr-spawn';

export interface FetchLog {
  served: number;
  lastServed?: string;
  /** Asked for but not in the archive (normal for the next segment and higher timelines' history). */
  missing: string[];
  /** Files that would not check: recovery was made to abort on them. */
  failures: Array<{ file: string; type: string; message: string }>;
}

export interface FetchServer {
  log: FetchLog;
  close(): Promise<void>;
}

export async function startFetchServer(o: {
  store: BackupStore;
  walPrefix: string;
  socket: string;
  stageDir: string;
  as: OsUser | undefined;
  signal?: AbortSignal;
}): Promise<FetchServer> {
  const log: FetchLog = { served: 0, missing: [], failures: [] };
  const server: Server = createServer((req, res) => {
    const file = /^\/wal\/([^/]+)$/.exec(req.url ?? '')?.[1];
    const answer = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (req.method !== 'GET' || !file || !isWalFileName(file)) return answer(400, { error: 'bad request' });
    const key = `${o.walPrefix}${file}`;
    const path = join(o.stageDir, file);
    void (async () => {
      try {
        if (o.signal?.aborted) return answer(503, { error: 'cancelled' });
        if (!(await o.store.head(key))) {
          log.missing.push(file);
          return answer(404, { error: `${key} is not in the archive` });
        }
        await o.store.getFile(key, path);
        if (o.as) await chown(path, o.as.uid, o.as.gid);
        log.served++;
        log.lastServed = file;
        answer(200, { path });
      } catch (err) {
        await rm(path, { force: true });
        const type = String((err as { type?: unknown }).type ?? 'Error');
        const message = (err as Error).message ?? String(err);
        if (type === FAILURE.IntegrityFailed) log.failures.push({ file, type, message });
        answer(500, { error: message, type });
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.socket, () => resolve());
  });
  if (o.as) await chown(o.socket, o.as.uid, o.as.gid);
  return {
    log,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
