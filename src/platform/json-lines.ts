/**
 * An append-only file of JSON lines, rotated at a size cap (the previous file kept as `.1`):
 * the alert journal and the audit log. Appends of one process are serialised, so rotation never
 * loses a line; a torn or foreign line (a crash mid-write, a hand edit) is skipped on reading,
 * never breaks it.
 */
import { appendFile, mkdir, readFile, rename, stat } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface JsonLines<T> {
  append(entry: T): Promise<void>;
  /** The newest entries first, at most `limit`. */
  newest(limit: number): Promise<T[]>;
}

export function createJsonLines<T>(path: string, maxBytes = 10 * 1024 * 1024): JsonLines<T> {
  let ready: Promise<unknown> | undefined;
  let tail: Promise<void> = Promise.resolve();

  async function write(entry: T): Promise<void> {
    ready ??= mkdir(dirname(path), { recursive: true });
    await ready;
    const size = await stat(path).then(
      (s) => s.size,
      () => 0,
    );
    if (size > maxBytes) await rename(path, `${path}.1`);
    await appendFile(path, `${JSON.stringify(entry)}\n`, 'utf8');
  }

  return {
    append(entry) {
      const next = tail.then(() => write(entry));
      tail = next.catch(() => undefined);
      return next;
    },
    async newest(limit) {
      await tail;
      const text = await readFile(path, 'utf8').catch(() => '');
      const out: T[] = [];
      const lines = text.split('\n');
      for (let i = lines.length - 1; i >= 0 && out.length < limit; i--) {
        const line = lines[i] as string;
        if (line === '') continue;
        try {
          out.push(JSON.parse(line) as T);
        } catch {
          // a torn line: skipped
        }
      }
      return out;
    },
  };
}
