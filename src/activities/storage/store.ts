/**
 * Where backups live: one interface over a local directory and an S3-compatible bucket, so the
 * backup, restore and retention code never knows which. Every object carries the sha256 and size
 * of its bytes, recorded when it was written and checked whenever it is read back: a corrupted or
 * truncated backup fails as IntegrityFailed instead of being restored.
 *
 * Keys are relative paths of safe characters (`orders/2026-12-01T02-00-00Z-ab12/dump.pgdump`):
 * no leading slash, no `.` or `..` segment, so a key can never leave the local store's directory
 * or the bucket's prefix.
 */
export interface StoredObject {
  key: string;
  size: number;
  /** Hex sha256 of the bytes, recorded when they were written. */
  sha256: string;
  /** When it was written (ISO 8601). */
  modified: string;
}

export interface TransferOptions {
  /** Told the bytes moved so far (for heartbeats); called at most every few MB. */
  onProgress?: (bytes: number) => void;
  /** Stops the transfer (the activity was cancelled); the partial object or file is removed. */
  signal?: AbortSignal;
}

export interface StagedObject {
  /** Where to write the bytes (the file need not exist yet). */
  path: string;
  /** Makes the file the object (replacing any at the key), as putFile does; the file is gone after. */
  commit(o?: TransferOptions): Promise<StoredObject>;
  /** Removes the file without storing anything (idempotent; also after a failed commit). */
  discard(): Promise<void>;
}

export interface BackupStore {
  /** Its configuration name and kind, for messages and reports. */
  readonly name: string;
  readonly kind: 'local' | 's3';
  /**
   * Writes a local file under the key (replacing any object there), recording its sha256 and
   * size. An object is visible to `head`/`list` only once complete: a crash mid-write leaves nothing.
   */
  putFile(key: string, path: string, o?: TransferOptions): Promise<StoredObject>;
  /**
   * A local file to write an object into (pg_dump's --file), made the object by `commit`, which
   * hashes it and records its sha256 and size: a local store's file is already in place beside
   * the object (one read to hash, a rename; no copy), an S3 store's is a temporary file sent by
   * `putFile`. Until `commit` the file is invisible to head and list; `discard` removes it.
   * Both real kinds have it; a store without it (a test's fake) is staged through a temporary
   * file and `putFile` (`stageObject` in stage.ts).
   */
  stage?(key: string): Promise<StagedObject>;
  /** Writes small bytes (a manifest) the same way. */
  putBytes(key: string, body: Buffer): Promise<StoredObject>;
  /**
   * Copies the object to a local file, checking its bytes against the recorded size and sha256:
   * on a mismatch the file is removed and it throws IntegrityFailed. NotFound when absent.
   */
  getFile(key: string, path: string, o?: TransferOptions): Promise<StoredObject>;
  /** Reads a small object whole (checked the same way); InvalidInput when over `maxBytes`. */
  getBytes(key: string, maxBytes: number): Promise<{ object: StoredObject; body: Buffer }>;
  /** The object's record, or undefined when there is none. */
  head(key: string): Promise<StoredObject | undefined>;
  /** Every complete object whose key starts with the prefix, in key order (at most `limit`, default 10,000). */
  list(prefix: string, o?: { limit?: number }): Promise<StoredObject[]>;
  /** Removes the object; `deleted: false` when it was already gone (idempotent). */
  delete(key: string): Promise<{ deleted: boolean }>;
}

/** Opens a configured store by its name (`backupStores.<name>`); UnknownTarget when there is none. */
export type OpenStore = (name: string) => Promise<BackupStore>;

const KEY = /^[A-Za-z0-9][A-Za-z0-9._=+-]*(\/[A-Za-z0-9][A-Za-z0-9._=+-]*)*$/;

/** Whether a key is a safe relative path (see the file comment); a prefix may end with `/` or be empty. */
export function isSafeKey(key: string, o: { prefix?: boolean } = {}): boolean {
  if (o.prefix && key === '') return true;
  const k = o.prefix && key.endsWith('/') ? key.slice(0, -1) : key;
  return k.length <= 900 && KEY.test(k) && !k.split('/').some((s) => s === '.' || s === '..');
}
