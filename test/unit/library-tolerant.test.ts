/** One invalid runbook file does not stop a process: the others load, the bad one is reported. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { buildApp } from '../../src/api/app';
import { RunbookLoadError } from '../../src/runbooks/errors';
import { loadLibrary, loadLibraryTolerant } from '../../src/runbooks/library';
import { loadLibraryForProcess } from '../../src/runbooks/report';
import type { RunService } from '../../src/runs/service';

function dirWithOneBadFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'library-'));
  writeFileSync(join(dir, 'good.yaml'), 'id: good\ntitle: Good\nsteps:\n  - id: w\n    wait: 1s\n');
  writeFileSync(join(dir, 'bad.yaml'), 'id: bad\ntitle: Bad\nsteps:\n  - id: w\n    wiat: 1s\n');
  return dir;
}

test('the valid runbooks load; the invalid file is reported with file:line:column; strict loading still refuses', () => {
  const dir = dirWithOneBadFile();
  const lib = loadLibraryTolerant(dir);
  expect([...lib.runbooks.keys()]).toEqual(['good']);
  expect(lib.problems?.[0]).toMatchObject({ file: expect.stringMatching(/bad\.yaml$/), line: 4 });
  expect(() => loadLibrary(dir)).toThrow(RunbookLoadError);
  const lines: string[] = [];
  loadLibraryForProcess(dir, (l) => lines.push(l));
  expect(lines[0]).toMatch(/^1 runbook file\(s\) did not load and are left out/);
  expect(lines[1]).toMatch(/bad\.yaml:4:\d+: /);
});

test('/readyz says ready and names the invalid files; a metric counts their problems', async () => {
  const lib = loadLibraryTolerant(dirWithOneBadFile());
  const app = buildApp({
    runs: { ready: async () => true } as unknown as RunService,
    library: () => lib,
    tokens: [],
    registry: new Registry(),
  });
  const r = await app.inject({ method: 'GET', url: '/readyz' });
  expect(r.statusCode).toBe(200);
  expect(r.json()).toEqual({ status: 'ready', runbookProblems: [expect.stringMatching(/bad\.yaml:4:\d+: /)] });
  const m = await app.inject({ method: 'GET', url: '/metrics' });
  expect(m.body).toMatch(/^runbook_library_problems 1$/m);
});
