/**
 * The byte plumbing both stores share: hashing while copying, throttled progress, receiving an
 * object into a local file that appears only once its bytes are checked, and the integrity
 * failure. Kept apart from either backend so a local and an S3 read are checked the same way.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { constants } from 'node:fs';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Transform, Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { FAILURE } from '../../shared/failures';
import { permanent } from '../errors';
import type { TransferOptions } from './store';

/** How many bytes pass between two progress reports (heartbeats need a few, not one per chunk). */
export const PROGRESS_EVERY_BYTES = 4 * 1024 * 1024;

export interface Digest {
  size: number;
  /** Hex sha256. */
  sha256: string;
}

export const sha256Hex = (body: Buffer): string => createHash('sha256').update(body).digest('hex');

/**
 * A pass-through that hashes and counts what flows through it, telling `onProgress` every
 * ~4 MB and once at the end (so a caller always sees the full size).
 */
export function hashingTap(onProgress?: (bytes: number) => void): { tap: Transform; digest: () => Digest } {
  const hash = createHash('sha256');
  let size = 0;
  let reported = 0;
  let sha256: string | undefined;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      size += chunk.length;
      if (onProgress && size - reported >= PROGRESS_EVERY_BYTES) {
        reported = size;
        onProgress(size);
      }
      done(null, chunk);
    },
    flush(done) {
      sha256 = hash.digest('hex');
      onProgress?.(size);
      done();
    },
  });
  return {
    tap,
    digest: () => {
      if (sha256 === undefined) throw new Error('hashingTap: the stream has not ended');
      return { size, sha256 };
    },
  };
}

/** Copies `source` into `sink` through a hashing tap; the pipeline honours the abort signal. */
export async function copyHashing(source: Readable, sink: Writable, o: TransferOptions = {}): Promise<Digest> {
  const { tap, digest } = hashingTap(o.onProgress);
  try {
    await pipeline(source, tap, sink, o.signal ? { signal: o.signal } : {});
  } catch (err) {
    throw abortReason(o.signal) ?? err;
  }
  return digest();
}

/** The sha256 and size of a local file (`onProgress` told 0 as it goes: nothing has moved yet, but heartbeats go on). */
export async function hashFile(path: string, o: TransferOptions = {}): Promise<Digest> {
  const { tap, digest } = hashingTap();
  let read = 0;
  const count = new Transform({
    transform(chunk: Buffer, _enc, done) {
      const before = read;
      read += chunk.length;
      if (o.onProgress && Math.floor(read / PROGRESS_EVERY_BYTES) > Math.floor(before / PROGRESS_EVERY_BYTES))
        o.onProgress(0);
      done(null, chunk);
    },
  });
  try {
    await pipeline(createReadStream(path), count, tap, discard(), o.signal ? { signal: o.signal } : {});
  } catch (err) {
    throw abortReason(o.signal) ?? err;
  }
  return digest();
}

/**
 * Streams `source` to `path`, checking the bytes against `expected` before the file appears:
 * they go to a temp file beside it, fsynced, and renamed onto `path` only when size and sha256
 * match. On a mismatch, an abort or any error the temp file is removed (a restore can never
 * pick up a partial or corrupted file), an existing file at `path` is left alone, and a mismatch
 * throws IntegrityFailed naming the key and both digests.
 */
export async function receiveChecked(
  source: Readable,
  path: string,
  expected: Digest,
  what: string,
  o: TransferOptions = {},
): Promise<Digest> {
  const temp = tempPathFor(path);
  let file: FileHandle;
  try {
    file = await open(temp, 'wx');
  } catch (err) {
    if (isAbsent(err)) throw permanent(`no directory to write ${path} in`, FAILURE.InvalidInput);
    throw err;
  }
  let kept = false;
  try {
    const actual = await copyHashing(source, fileSink(file), o);
    checkDigest(what, expected, actual);
    await file.sync();
    await file.close();
    await rename(temp, path);
    kept = true;
    return actual;
  } finally {
    if (!kept) {
      await file.close().catch(() => undefined);
      await rm(temp, { force: true });
    }
  }
}

/** Collects a stream whole, refusing (InvalidInput) one longer than `maxBytes`. */
export async function readBounded(source: Readable, maxBytes: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of source as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) {
      source.destroy();
      throw permanent(`${what} is larger than ${maxBytes} bytes`, FAILURE.InvalidInput);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Throws IntegrityFailed when the bytes read differ from the record. */
export function checkDigest(what: string, expected: Digest, actual: Digest): void {
  if (expected.size === actual.size && expected.sha256 === actual.sha256) return;
  throw permanent(
    `${what} failed its integrity check: recorded ${expected.size} bytes, sha256 ${expected.sha256}; ` +
      `read ${actual.size} bytes, sha256 ${actual.sha256}. Nothing was kept from it`,
    FAILURE.IntegrityFailed,
  );
}

/** A hidden name in the same directory (so the rename is atomic); never a valid key (keys do not start with `.`). */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.partial`);
}

/** The abort's own reason (a CancelledFailure in an activity) rather than the stream's AbortError. */
export function abortReason(signal: AbortSignal | undefined): unknown {
  return signal?.aborted ? (signal.reason ?? new Error('aborted')) : undefined;
}

/**
 * A writable over an open file that leaves it open (to fsync, then close): a FileHandle's own
 * write stream with `autoClose: false` never emits 'close', so a pipeline into it never ends.
 */
export function fileSink(file: FileHandle): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      void (async () => {
        // A write may take fewer bytes than given; go on from where it stopped.
        for (let at = 0; at < chunk.length;) at += (await file.write(chunk, at, chunk.length - at)).bytesWritten;
      })().then(() => done(), done);
    },
  });
}

const discard = (): Writable => new Writable({ write: (_c, _e, done) => done() });

/** The file to store, open; NotFound when there is none, InvalidInput when it is not a regular file. */
export async function openSource(path: string): Promise<FileHandle> {
  let file: FileHandle;
  try {
    file = await open(path, constants.O_RDONLY);
  } catch (err) {
    if (isAbsent(err)) throw permanent(`no file ${path} to store`, FAILURE.NotFound);
    throw err;
  }
  if (!(await file.stat()).isFile()) {
    await file.close();
    throw permanent(`${path} is not a regular file`, FAILURE.InvalidInput);
  }
  return file;
}

export const isAbsent = (err: unknown): boolean => hasCode(err, 'ENOENT', 'ENOTDIR');

export function hasCode(err: unknown, ...codes: string[]): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && codes.includes(code);
}
