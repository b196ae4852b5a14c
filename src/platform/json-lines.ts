/**
 * An append-only file of JSON lines, rotated at a size cap (the previous file kept as `.1`):
 * the alert journal and the audit log. Appends of one process are serialised, so rotation never
 * loses a line. A torn or foreign line (a crash mid-write, a disk that filled mid-line, a hand
 * edit) is skipped on reading, never breaks it; and the next append starts on a line of its own,
 * so a torn tail cannot swallow it.
 *
 * A write that fails (disk full, read-only, no such folder) rejects with JsonLinesWriteError, so
 * callers can answer "retry later" rather than fail; the next append tries again from scratch.
 */
import * as nodeFs from 'node:fs/promises';
import { dirname } from 'node:path';

export interface JsonLines<T> {
  append(entry: T): Promise<void>;
  /** The newest entries first, at most `limit` (from the rotated file too when needed). */
  newest(limit: number): Promise<T[]>;
}

/** The file operations used: node:fs/promises in production, a failing one in tests. */
export type JsonLinesFs = Pick<typeof nodeFs, 'appendFile' | 'mkdir' | 'open' | 'readFile' | 'rename' | 'stat'>;

/** An entry that could not be written; `code` is the system's (ENOSPC, EROFS, EACCES...). */
export class JsonLinesWriteError extends Error {
  override name = 'JsonLinesWriteError';
  constructor(
    readonly path: string,
    readonly code: string,
    cause: unknown,
  ) {
    super(`cannot write ${path}: ${(cause as Error)?.message ?? String(cause)}`, { cause });
  }
}

export function createJsonLines<T>(path: string, maxBytes = 10 * 1024 * 1024, fs: JsonLinesFs = nodeFs): JsonLines<T> {
  let ready: Promise<unknown> | undefined;
  let tail: Promise<void> = Promise.resolve();
  // Whether the file is known to end with a newline (unknown at start and after a failed write).
  let atLineStart = false;

  async function endsWithNewline(): Promise<boolean> {
    const handle = await fs.open(path, 'r').catch(() => undefined);
    if (!handle) return true; // no file yet
    try {
      const { size } = await handle.stat();
      if (size === 0) return true;
      const { buffer } = await handle.read(Buffer.alloc(1), 0, 1, size - 1);
      return buffer[0] === 0x0a;
    } finally {
      await handle.close();
    }
  }

  async function write(entry: T): Promise<void> {
    const line = `${JSON.stringify(entry)}\n`;
    try {
      ready ??= fs.mkdir(dirname(path), { recursive: true });
      await ready;
      const size = await fs.stat(path).then(
        (s) => s.size,
        () => 0,
      );
      if (size > maxBytes) {
        await fs.rename(path, `${path}.1`);
        atLineStart = true;
      }
      if (!atLineStart) atLineStart = await endsWithNewline();
      await fs.appendFile(path, atLineStart ? line : `\n${line}`, 'utf8');
      atLineStart = true;
    } catch (err) {
      // Try everything again next time: the folder may be back, the disk may have room.
      ready = undefined;
      atLineStart = false;
      throw new JsonLinesWriteError(path, String((err as { code?: unknown }).code ?? 'EIO'), err);
    }
  }

  async function read(file: string, limit: number, out: T[]): Promise<void> {
    const text = await fs.readFile(file, 'utf8').catch(() => '');
    const lines = text.split('\n');
    for (let i = lines.length - 1; i >= 0 && out.length < limit; i--) {
      const line = lines[i] as string;
      if (line === '') continue;
      try {
        const v: unknown = JSON.parse(line);
        // A foreign line that happens to be JSON (a number, a list) is no entry either.
        if (v !== null && typeof v === 'object' && !Array.isArray(v)) out.push(v as T);
      } catch {
        // a torn line: skipped
      }
    }
  }

  return {
    append(entry) {
      const next = tail.then(() => write(entry));
      tail = next.catch(() => undefined);
      return next;
    },
    async newest(limit) {
      await tail;
      const out: T[] = [];
      await read(path, limit, out);
      if (out.length < limit) await read(`${path}.1`, limit, out);
      return out;
    },
  };
}
