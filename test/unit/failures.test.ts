/**
 * The failure vocabulary holds: every type in use is in it, each is thrown the way its line says
 * (retried or not), and the catalog declares only permanent ones as never retried.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CATALOG } from '../../src/catalog';
import { FAILURE } from '../../src/shared/failures';
import { failureRows } from '../../scripts/failure-table';

const src = join(__dirname, '../../src');
const files = (dir: string): string[] =>
  readdirSync(dir).flatMap((f) =>
    statSync(join(dir, f)).isDirectory() ? files(join(dir, f)) : f.endsWith('.ts') ? [join(dir, f)] : [],
  );
const code = files(src).map((f) => ({ f, text: readFileSync(f, 'utf8') }));
const retried = new Map(failureRows().map((r) => [r.type, r.retried]));

test('every type has its line, saying whether it is retried', () => {
  expect([...retried.keys()].sort()).toEqual(Object.keys(FAILURE).sort());
});

test('permanent failures are thrown non-retryable, transient ones retryable', () => {
  const wrong: string[] = [];
  for (const { f, text } of code) {
    for (const m of text.matchAll(/(nonRetryable|permanent|retryable)\([\s\S]{0,400}?FAILURE\.(\w+)\s*[,)]/g)) {
      const says = m[1] !== 'retryable' ? false : true;
      if (retried.get(m[2] as string) !== says) wrong.push(`${f}: ${m[1]}(..., FAILURE.${m[2]})`);
    }
  }
  expect(wrong).toEqual([]);
});

test('the catalog names only permanent failures as never retried', () => {
  for (const e of CATALOG.values()) {
    for (const t of e.nonRetryable)
      expect({ action: e.id, type: t, retried: retried.get(t) }).toEqual({ action: e.id, type: t, retried: false });
  }
});

test('every type of the vocabulary is used, and none is spelled out as a string elsewhere', () => {
  const all = code
    .filter(({ f }) => !f.endsWith('shared/failures.ts'))
    .map(({ text }) => text)
    .join('\n');
  for (const t of Object.keys(FAILURE)) {
    expect({ type: t, used: all.includes(`FAILURE.${t}`) }).toEqual({ type: t, used: true });
    expect({ type: t, literal: new RegExp(`['"\`]${t}['"\`]`).test(all) }).toEqual({ type: t, literal: false });
  }
});
