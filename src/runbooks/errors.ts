/** Load errors that point at the place to fix: file, line, column and field path. */
export interface RunbookProblem {
  file: string;
  line: number;
  column: number;
  /** Field path in the file, e.g. `steps[2].with.url`. */
  field: string;
  message: string;
}

export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? String(seg) : `.${String(seg)}`;
  }
  return out || '(file)';
}

export class RunbookLoadError extends Error {
  constructor(readonly problems: RunbookProblem[]) {
    super(problems.map((p) => `${p.file}:${p.line}:${p.column}: ${p.field}: ${p.message}`).join('\n'));
    this.name = 'RunbookLoadError';
  }
}
