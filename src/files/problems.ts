/**
 * Problems in a file a person wrote (runbooks, configuration, and later experiment files), told
 * the one way: `file:line:column: field: message`, so every loader points at the place to fix.
 */
export interface FileProblem {
  file: string;
  line: number;
  column: number;
  /** Field path in the file, e.g. `steps[2].with.url`. */
  field: string;
  message: string;
}

/** A field path as people read it: `steps[2].with.url`; the file itself is `(file)`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? String(seg) : `.${String(seg)}`;
  }
  return out || '(file)';
}

export function formatProblem(p: FileProblem): string {
  return `${p.file}:${p.line}:${p.column}: ${p.field}: ${p.message}`;
}
