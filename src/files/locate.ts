/** Maps a field path in a parsed YAML document back to its line and column. */
import type { Document, LineCounter } from 'yaml';
import { isCollection, isNode } from 'yaml';

export function locate(
  doc: Document,
  lines: LineCounter,
  path: ReadonlyArray<PropertyKey>,
): { line: number; column: number } {
  // Walk down as far as the path exists: a missing field is reported at its parent.
  let node: unknown = doc.contents;
  let best = node;
  for (const seg of path) {
    if (!isCollection(node)) break;
    const next: unknown = node.get(typeof seg === 'number' ? seg : String(seg), true);
    if (next === undefined) {
      // Point at the key itself when it exists with a null value, else at the parent.
      break;
    }
    node = next;
    best = next;
  }
  const offset = isNode(best) && best.range ? best.range[0] : 0;
  const pos = lines.linePos(offset);
  return { line: pos.line, column: pos.col };
}
