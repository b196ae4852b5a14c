/** The append-only JSON lines file under the alert journal and the audit log. */
import { appendFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createJsonLines, JsonLinesWriteError, type JsonLinesFs } from '../../src/platform/json-lines';

const tmp = () => mkdtempSync(join(tmpdir(), 'jsonl-'));
const diskFull = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });

test('newest first, a torn line skipped, rotated at its cap without losing a line', async () => {
  const path = join(tmp(), 'sub', 'log.jsonl');
  const log = createJsonLines<{ n: number }>(path, 200);
  await log.append({ n: 1 });
  appendFileSync(path, '{"n": 2, "tor'); // a crash mid-write
  appendFileSync(path, '\n');
  await log.append({ n: 3 });
  expect(await log.newest(10)).toEqual([{ n: 3 }, { n: 1 }]);
  await Promise.all(Array.from({ length: 30 }, (_, i) => log.append({ n: 100 + i })));
  expect(existsSync(`${path}.1`)).toBe(true);
  const kept = await log.newest(1000);
  expect(kept[0]).toEqual({ n: 129 });
  // Reading goes on into the rotated file: nothing between the two is lost.
  const ns = kept.map((e) => e.n).filter((n) => n >= 100);
  expect(ns).toEqual(Array.from({ length: ns.length }, (_, i) => 129 - i));
  expect(ns.length).toBeGreaterThan(10);
});

test('a torn last line (a crash, a disk that filled mid-line) does not swallow the next entry', async () => {
  const path = join(tmp(), 'log.jsonl');
  writeFileSync(path, '{"n":1}\n{"n":2,"torn');
  const log = createJsonLines<{ n: number }>(path);
  await log.append({ n: 3 });
  expect(readFileSync(path, 'utf8')).toBe('{"n":1}\n{"n":2,"torn\n{"n":3}\n');
  expect(await log.newest(10)).toEqual([{ n: 3 }, { n: 1 }]);
});

test('foreign lines (not JSON, or JSON that is no entry) in the middle are skipped', async () => {
  const path = join(tmp(), 'log.jsonl');
  writeFileSync(path, '{"n":1}\nnot json\n42\n["x"]\nnull\n\n{"n":2}\n');
  expect(await createJsonLines<{ n: number }>(path).newest(10)).toEqual([{ n: 2 }, { n: 1 }]);
});

test('a write that fails rejects with a JsonLinesWriteError; the next one tries again, on a line of its own', async () => {
  const path = join(tmp(), 'log.jsonl');
  let full = true;
  // A disk that fills in the middle of a line: half of it is written, then ENOSPC.
  const fs: JsonLinesFs = {
    ...fsp,
    appendFile: async (p, data, o) => {
      if (!full) return fsp.appendFile(p, data, o);
      await fsp.appendFile(p, String(data).slice(0, 5), o);
      throw diskFull();
    },
  };
  const log = createJsonLines<{ n: number }>(path, 10 * 1024 * 1024, fs);
  const err = await log.append({ n: 1 }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(JsonLinesWriteError);
  expect(err).toMatchObject({ code: 'ENOSPC', path, message: expect.stringContaining('no space left on device') });
  full = false;
  await log.append({ n: 2 });
  expect(readFileSync(path, 'utf8')).toBe('{"n":\n{"n":2}\n');
  expect(await log.newest(10)).toEqual([{ n: 2 }]);
});

test('a folder that cannot be made (a file in the way) fails each write, and reading finds nothing', async () => {
  const blocker = join(tmp(), 'blocker');
  writeFileSync(blocker, 'a file, not a folder');
  const log = createJsonLines<{ n: number }>(join(blocker, 'sub', 'log.jsonl'));
  await expect(log.append({ n: 1 })).rejects.toMatchObject({ name: 'JsonLinesWriteError' });
  await expect(log.append({ n: 2 })).rejects.toMatchObject({ name: 'JsonLinesWriteError' });
  expect(await log.newest(10)).toEqual([]);
});
