/**
 * The failure vocabulary (src/shared/failures.ts) as a Markdown table for docs/actions.md, read
 * from the TSDoc of each entry, so the one source stays the code's own comments.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ts from 'typescript';
import { FAILURE } from '../src/shared/failures';
import { projectRoot } from '../src/platform/project-root';

export function failureRows(): Array<{ type: string; retried: boolean; when: string }> {
  const path = join(projectRoot(), 'src/shared/failures.ts');
  const file = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.ES2022, true);
  const rows: Array<{ type: string; retried: boolean; when: string }> = [];
  const visit = (node: ts.Node): void => {
    if (ts.isPropertyAssignment(node) && ts.isIdentifier(node.name) && node.name.text in FAILURE) {
      const doc = ts
        .getJSDocCommentsAndTags(node)
        .map((d) => (typeof d.comment === 'string' ? d.comment : ''))
        .join(' ')
        .trim();
      const m = /^(Retried|Not retried)\.\s*(.*)$/s.exec(doc);
      if (!m)
        throw new Error(`src/shared/failures.ts: ${node.name.text} needs TSDoc starting "Retried." or "Not retried."`);
      rows.push({ type: node.name.text, retried: m[1] === 'Retried', when: (m[2] as string).replace(/\s+/g, ' ') });
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  const missing = Object.keys(FAILURE).filter((k) => !rows.some((r) => r.type === k));
  if (missing.length) throw new Error(`failure types without TSDoc: ${missing.join(', ')}`);
  return rows;
}

export function failureTable(): string {
  return [
    '## Failure types',
    '',
    '<!-- Generated from the TSDoc of src/shared/failures.ts. -->',
    '',
    'Every failure type the product throws, one vocabulary for actions, runs, the API and the CLI. A step',
    "retries the ones marked retried (within its `retry` policy); a runbook's `retry.nonRetryable` can",
    'stop more. Failures raised by Temporal itself keep its names (`TimeoutFailure`, ...) and network',
    'errors keep their code (`ECONNREFUSED`, ...); both are retried.',
    '',
    '| type | retried | when |',
    '|---|---|---|',
    ...failureRows().map((r) => `| \`${r.type}\` | ${r.retried ? 'yes' : 'no'} | ${r.when} |`),
    '',
  ].join('\n');
}
