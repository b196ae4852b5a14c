/**
 * A YAML file a person wrote, parsed with its line numbers: syntax errors and, later, every
 * field a loader refuses become `file:line:column: field: message` problems pointing at the
 * place to fix. Runbooks and experiment files load through it, so both speak the same way.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { locate } from './locate';
import { formatPath, type FileProblem } from './problems';

export interface YamlFile {
  /** The document as plain data; undefined when the YAML itself did not parse. */
  raw: unknown;
  problems: FileProblem[];
  /** Adds a problem at a field path (a missing field is reported at its parent). */
  report(path: ReadonlyArray<PropertyKey>, message: string): void;
}

export function parseYamlFile(text: string, file: string): YamlFile {
  const lines = new LineCounter();
  const doc: Document = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const problems: FileProblem[] = [];
  const report = (path: ReadonlyArray<PropertyKey>, message: string): void => {
    problems.push({ file, ...locate(doc, lines, path), field: formatPath(path), message });
  };
  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      // With prettyErrors off the yaml library leaves linePos unset; map the offset ourselves.
      const pos = e.linePos?.[0] ?? lines.linePos(e.pos[0]);
      problems.push({
        file,
        line: pos.line,
        column: pos.col,
        field: '(yaml)',
        message: e.message.split('\n')[0] as string,
      });
    }
    return { raw: undefined, problems, report };
  }
  // Aliases bounded: a "billion laughs" file must not exhaust the loader.
  return { raw: doc.toJS({ maxAliasCount: 100 }), problems, report };
}

/** Every .yaml and .yml file under a folder and its subfolders, in a stable order. */
export function yamlFilesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory() ? yamlFilesUnder(join(dir, e.name)) : /\.ya?ml$/.test(e.name) ? [join(dir, e.name)] : [],
    )
    .sort();
}

/** Many files of one kind, loaded together: each valid one by its id, the problems of the rest. */
export interface FileSet<T> {
  items: Map<string, T>;
  /** Where each came from, relative to the working directory. */
  files: Map<string, string>;
  problems: FileProblem[];
}

/**
 * Loads every YAML file under `dir` with `load`, tolerant: a file that does not load (its
 * loader throws an error carrying `problems`) is reported and left out, and an id used twice is
 * a problem of the second file. One broken file never stops the rest.
 */
export function loadFileSet<T>(
  dir: string,
  o: { load: (text: string, file: string) => T; idOf: (t: T) => string; noun: string },
): FileSet<T> {
  const set: FileSet<T> = { items: new Map(), files: new Map(), problems: [] };
  for (const path of yamlFilesUnder(dir)) {
    const file = relative(process.cwd(), path) || path;
    try {
      const item = o.load(readFileSync(path, 'utf8'), file);
      const id = o.idOf(item);
      const other = set.files.get(id);
      if (other) {
        set.problems.push({
          file,
          line: 1,
          column: 1,
          field: 'id',
          message: `${o.noun} id '${id}' is also used by ${other}`,
        });
        continue;
      }
      set.items.set(id, item);
      set.files.set(id, file);
    } catch (err) {
      const problems = (err as { problems?: unknown }).problems;
      if (!Array.isArray(problems)) throw err;
      set.problems.push(...(problems as FileProblem[]));
    }
  }
  return set;
}
