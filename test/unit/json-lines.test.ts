/** The append-only JSON lines file under the alert journal and the audit log. */
import { appendFileSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createJsonLines } from '../../src/platform/json-lines';

test('newest first, a torn line skipped, rotated at its cap without losing a line', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'jsonl-')), 'sub', 'log.jsonl');
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
});
