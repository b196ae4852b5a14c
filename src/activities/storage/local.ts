/**
 * A backup store in a local directory (a mounted volume): bytes under `<root>/objects/<key>`, and
 * beside them, under `<root>/.meta/<key>.json`, the record `{ size, sha256, modified }` written
 * when they were. The record is what makes an object exist: it is written last, and removed
 * first, so a crash at any point leaves either the whole object or nothing `head`/`list` show.
 *
 * Keys are checked (`isSafeKey`) and their paths must resolve under the root. Symbolic links
 * inside the root are the operator's and are followed; nothing a step names can create one.
 */
import { constants } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, rmdir, stat, type FileHandle } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { FAILURE } from '../../shared/failures';
import { permanent } from '../errors';
import {
  checkDigest,
  copyHashing,
  fileSink,
  hasCode,
  hashFile,
  isAbsent,
  openSource,
  receiveChecked,
  sha256Hex,
  tempPathFor,
  type Digest,
} from './hash';
import { isSafeKey, type BackupStore, type StoredObject, type TransferOptions } from './store';

interface Paths {
  data: string;
  record: string;
}

type ObjectRecord = Omit<StoredObject, 'key'>;

const DEFAULT_LIMIT = 10_000;

export function createLocalStore(name: string, rootDir: string): BackupStore {
  const root = resolve(rootDir);
  const objects = join(root, 'objects');
  const meta = join(root, '.meta');
  const what = (key: string): string => `object '${key}' in backup store '${name}'`;

  function pathsOf(key: string): Paths {
    if (!isSafeKey(key)) throw permanent(`invalid key '${key}' for backup store '${name}'`, FAILURE.InvalidInput);
    const data = resolve(objects, key);
    const record = resolve(meta, `${key}.json`);
    // isSafeKey already rules out `..`; this holds even if the key rules ever loosen.
    if (!data.startsWith(objects + sep) || !record.startsWith(meta + sep))
      throw permanent(`key '${key}' leaves backup store '${name}'`, FAILURE.InvalidInput);
    return { data, record };
  }

  /** The record, if the object is complete (its record readable and its bytes present). */
  async function readRecord(p: Paths): Promise<ObjectRecord | undefined> {
    let text: string;
    try {
      text = await readFile(p.record, 'utf8');
      await stat(p.data);
    } catch (err) {
      if (isAbsent(err)) return undefined;
      throw err;
    }
    return parseRecord(text);
  }

  async function write(key: string, source: Readable, o: TransferOptions): Promise<StoredObject> {
    const p = pathsOf(key);
    await mkdirFor(key, p);
    const temp = tempPathFor(p.data);
    let file: FileHandle | undefined = await open(temp, 'wx');
    let digest: Digest;
    try {
      digest = await copyHashing(source, fileSink(file), o);
      await file.sync();
      await file.close();
      file = undefined;
    } catch (err) {
      await file?.close().catch(() => undefined);
      await rm(temp, { force: true });
      throw err;
    }
    return commitTemp(key, p, temp, digest);
  }

  /** Puts a complete, fsynced temporary file beside the object in its place, then its record. */
  async function commitTemp(key: string, p: Paths, temp: string, digest: Digest): Promise<StoredObject> {
    try {
      // The old record goes before the new bytes land: in between the object is invisible, never
      // old record over new bytes (which would read back as corrupted).
      await rm(p.record, { force: true });
      await rename(temp, p.data);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
    const record: ObjectRecord = { size: digest.size, sha256: digest.sha256, modified: new Date().toISOString() };
    await writeAtomically(p.record, JSON.stringify(record));
    // The renames are durable only once their directories are.
    await syncDir(dirname(p.data));
    await syncDir(dirname(p.record));
    return { key, ...record };
  }

  async function mkdirFor(key: string, p: Paths): Promise<void> {
    try {
      await mkdir(dirname(p.data), { recursive: true });
      await mkdir(dirname(p.record), { recursive: true });
    } catch (err) {
      // `a/b` where `a` is an object: a directory cannot share a file's name.
      if (hasCode(err, 'EEXIST', 'ENOTDIR'))
        throw permanent(`key '${key}' runs through an existing object in backup store '${name}'`, FAILURE.InvalidInput);
      throw err;
    }
  }

  async function recordOrNotFound(key: string): Promise<{ p: Paths; record: ObjectRecord }> {
    const p = pathsOf(key);
    const record = await readRecord(p);
    if (!record) throw permanent(`no ${what(key)}`, FAILURE.NotFound);
    return { p, record };
  }

  async function openData(key: string, p: Paths): Promise<FileHandle> {
    try {
      return await open(p.data, constants.O_RDONLY);
    } catch (err) {
      // Deleted between reading its record and opening it.
      if (isAbsent(err)) throw permanent(`no ${what(key)}`, FAILURE.NotFound);
      throw err;
    }
  }

  /** Every key under `objects/` that could start with the prefix, walking only directories that could hold one. */
  async function keysUnder(prefix: string): Promise<string[]> {
    const out: string[] = [];
    const walk = async (dir: string, rel: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (err) {
        if (isAbsent(err)) return;
        throw err;
      }
      for (const e of entries) {
        const key = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory()) {
          const asDir = `${key}/`;
          if (asDir.startsWith(prefix) || prefix.startsWith(asDir)) await walk(join(dir, e.name), key);
        } else if (e.isFile() && key.startsWith(prefix) && isSafeKey(key)) out.push(key);
      }
    };
    await walk(objects, '');
    // Code-unit order, which is S3's (UTF-8 binary) order for these ASCII keys; a directory walk alone is not (`a-b` < `a/c`).
    return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /** Removes directories left empty under `base`, from `dir` up. */
  async function pruneEmpty(dir: string, base: string): Promise<void> {
    for (let d = dir; d.startsWith(base + sep); d = dirname(d)) {
      try {
        await rmdir(d);
      } catch {
        return; // not empty (or already gone): stop climbing
      }
    }
  }

  return {
    name,
    kind: 'local',

    async putFile(key, path, o = {}) {
      pathsOf(key);
      const source = await openSource(path);
      try {
        return await write(key, source.createReadStream(), o);
      } finally {
        await source.close().catch(() => undefined);
      }
    },

    async stage(key) {
      const p = pathsOf(key);
      await mkdirFor(key, p);
      // Beside the object (so the commit is a rename) under a name no key can have.
      const temp = tempPathFor(p.data);
      const discard = (): Promise<void> => rm(temp, { force: true });
      return {
        path: temp,
        discard,
        async commit(o = {}) {
          try {
            const digest = await hashFile(temp, o);
            const file = await open(temp, constants.O_RDONLY);
            try {
              await file.sync();
            } finally {
              await file.close();
            }
            return await commitTemp(key, p, temp, digest);
          } catch (err) {
            await discard();
            if (isAbsent(err)) throw permanent(`nothing was written to ${temp} to store`, FAILURE.NotFound);
            throw err;
          }
        },
      };
    },

    putBytes(key, body) {
      return write(key, Readable.from([body]), {});
    },

    async getFile(key, path, o = {}) {
      const { p, record } = await recordOrNotFound(key);
      const data = await openData(key, p);
      try {
        await receiveChecked(data.createReadStream(), path, record, what(key), o);
      } finally {
        await data.close().catch(() => undefined);
      }
      return { key, ...record };
    },

    async getBytes(key, maxBytes) {
      const { p, record } = await recordOrNotFound(key);
      if (record.size > maxBytes)
        throw permanent(`${what(key)} is ${record.size} bytes, over the ${maxBytes} asked for`, FAILURE.InvalidInput);
      const data = await openData(key, p);
      try {
        // Grown bytes are corruption, not a big object: hash them as a stream rather than hold them.
        if ((await data.stat()).size !== record.size) checkDigest(what(key), record, await hashFile(p.data));
        const body = await data.readFile();
        checkDigest(what(key), record, { size: body.length, sha256: sha256Hex(body) });
        return { object: { key, ...record }, body };
      } finally {
        await data.close();
      }
    },

    async head(key) {
      const record = await readRecord(pathsOf(key));
      return record && { key, ...record };
    },

    async list(prefix, o = {}) {
      if (!isSafeKey(prefix, { prefix: true }))
        throw permanent(`invalid key prefix '${prefix}' for backup store '${name}'`, FAILURE.InvalidInput);
      const limit = o.limit ?? DEFAULT_LIMIT;
      const out: StoredObject[] = [];
      for (const key of await keysUnder(prefix)) {
        if (out.length >= limit) break;
        const record = await readRecord(pathsOf(key));
        if (record) out.push({ key, ...record });
      }
      return out;
    },

    async delete(key) {
      const p = pathsOf(key);
      const existed = (await readRecord(p)) !== undefined;
      // Record first: from here on the object is gone for head and list, whatever happens next.
      await rm(p.record, { force: true });
      await rm(p.data, { force: true });
      await pruneEmpty(dirname(p.data), objects);
      await pruneEmpty(dirname(p.record), meta);
      return { deleted: existed };
    },
  };
}

function parseRecord(text: string): ObjectRecord | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined; // a torn record cannot happen (it is renamed into place); an edited one is not ours
  }
  const r = v as Partial<ObjectRecord> | null;
  if (
    typeof r?.size !== 'number' ||
    typeof r.sha256 !== 'string' ||
    !/^[0-9a-f]{64}$/.test(r.sha256) ||
    typeof r.modified !== 'string'
  )
    return undefined;
  return { size: r.size, sha256: r.sha256, modified: r.modified };
}

async function writeAtomically(path: string, text: string): Promise<void> {
  const temp = tempPathFor(path);
  const file = await open(temp, 'wx');
  try {
    await file.writeFile(text);
    await file.sync();
    await file.close();
    await rename(temp, path);
  } catch (err) {
    await file.close().catch(() => undefined);
    await rm(temp, { force: true });
    throw err;
  }
}

async function syncDir(dir: string): Promise<void> {
  const d = await open(dir, constants.O_RDONLY);
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}
