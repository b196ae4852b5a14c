/**
 * A Redis backup's manifest (`manifest.json` next to its `dump.rdb`): what the snapshot holds,
 * so a restore can check what it put back, and which versions made the file and its digests.
 */
import { z } from 'zod';
import { FAILURE } from '../../shared/failures';
import { permanent } from '../errors';
import type { BackupStore } from '../storage/store';
import { DIGEST_ALGORITHM } from './digest';

export const MANIFEST_FORMAT = 'durable-runbooks/redis-backup@1';
/** A manifest is small: a line per database. */
export const MANIFEST_MAX_BYTES = 1024 * 1024;

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);

export const redisBackupManifest = z.object({
  format: z.literal(MANIFEST_FORMAT),
  server: z.string(),
  createdAt: z.string(),
  /** The database the backed-up server is configured with (the default one to restore). */
  db: z.number().int().min(0),
  source: z.object({ version: z.string() }),
  rdb: z.object({ key: z.string(), sha256: hex64, size: z.number().int().min(0) }),
  digest: z.object({
    algorithm: z.literal(DIGEST_ALGORITHM),
    /** The scratch redis-server's version: DUMP payloads, so digests, depend on it. */
    redisVersion: z.string(),
    value: hex64,
  }),
  keys: z.number().int().min(0),
  databases: z.array(
    z.object({
      db: z.number().int().min(0),
      keys: z.number().int().min(0),
      volatileKeys: z.number().int().min(0),
      digest: hex64,
      persistentDigest: hex64,
    }),
  ),
});
export type RedisBackupManifest = z.infer<typeof redisBackupManifest>;

/** The manifest at `key`, checked; InvalidInput when it is not one. */
export async function readManifest(store: BackupStore, key: string): Promise<RedisBackupManifest> {
  const { body } = await store.getBytes(key, MANIFEST_MAX_BYTES);
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    json = undefined;
  }
  const m = redisBackupManifest.safeParse(json);
  if (!m.success) throw permanent(`${key} in store ${store.name} is not a Redis backup manifest`, FAILURE.InvalidInput);
  return m.data;
}
