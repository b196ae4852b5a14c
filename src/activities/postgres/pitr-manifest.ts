/**
 * A base backup's manifest: `pitr/<database>/base/<id>/manifest.json`, written last, so a
 * folder without one is a base backup that never finished and nothing restores from it. It
 * records what recovery needs to know before it starts: the server it came from, where in the
 * WAL it starts and ends (from backup_label and backup_manifest), when it is consistent (a
 * target before that cannot be reached), and the sha256 of each file.
 */
import { z } from 'zod';
import { FAILURE } from '../../shared/failures';
import { permanent } from '../errors';
import type { BackupStore } from '../storage/store';
import { basePrefixOf } from './pitr-layout';

export const BASE_MANIFEST_FORMAT = 'durable-runbooks/pg-basebackup@1';
export const BASE_MANIFEST_FILE = 'manifest.json';
const MAX_BYTES = 1024 * 1024;

const file = z.object({ key: z.string(), size: z.number(), sha256: z.string().regex(/^[0-9a-f]{64}$/) });

const baseManifest = z.object({
  format: z.literal(BASE_MANIFEST_FORMAT),
  id: z.string(),
  database: z.string(),
  /** The source database's own name (`current_database()`): what a scratch cluster connects to by default. */
  dbname: z.string(),
  systemIdentifier: z.string(),
  serverVersion: z.string(),
  serverVersionNum: z.number(),
  /** The bootstrap superuser (OID 10): who the worker is on a scratch cluster's private socket. */
  superuser: z.string(),
  walSegmentSize: z.number(),
  timeline: z.number(),
  startLsn: z.string(),
  endLsn: z.string(),
  checkpointLsn: z.string(),
  startWal: z.string(),
  /** The WAL (store key prefix) this backup's recovery reads. */
  walPrefix: z.string(),
  /** Segments start..end that were in the archive when the backup finished. */
  requiredWal: z.array(z.string()),
  startedAt: z.string(),
  /** At or after the backup's end: the earliest time it can be recovered to. */
  consistentAt: z.string(),
  finishedAt: z.string(),
  compressed: z.boolean(),
  base: file,
  backupManifest: file,
});
export type BaseManifest = z.infer<typeof baseManifest>;

export function parseBaseManifest(body: Buffer, key: string): BaseManifest {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    throw permanent(`${key} is not a base backup manifest (not JSON)`, FAILURE.IntegrityFailed);
  }
  const r = baseManifest.safeParse(json);
  if (!r.success) throw permanent(`${key} is not a base backup manifest: ${r.error.message}`, FAILURE.IntegrityFailed);
  return r.data;
}

export async function readBaseManifest(store: BackupStore, key: string): Promise<BaseManifest> {
  const { body } = await store.getBytes(key, MAX_BYTES);
  return parseBaseManifest(body, key);
}

/** Complete base backups under the root, and the manifests that do not check (reported, never used). */
export async function listBaseBackups(
  store: BackupStore,
  root: string,
): Promise<{ backups: Array<BaseManifest & { manifestKey: string }>; unreadable: string[] }> {
  const prefix = basePrefixOf(root);
  const keys = (await store.list(prefix))
    .map((o) => o.key)
    .filter((k) => k.endsWith(`/${BASE_MANIFEST_FILE}`) && k.slice(prefix.length).split('/').length === 2);
  const backups: Array<BaseManifest & { manifestKey: string }> = [];
  const unreadable: string[] = [];
  for (const k of keys) {
    const m = await readBaseManifest(store, k).catch((err: unknown) => {
      if ((err as { type?: unknown }).type === FAILURE.IntegrityFailed) return undefined;
      throw err;
    });
    if (m) backups.push({ ...m, manifestKey: k });
    else unreadable.push(k);
  }
  return { backups, unreadable };
}
