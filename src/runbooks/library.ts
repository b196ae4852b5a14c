/** The runbook library: every YAML file under a folder, loaded and validated together. */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { RunbookDefinition } from '../shared/model';
import { RunbookLoadError, type RunbookProblem } from './errors';
import { loadRunbook } from './load';
import type { ScheduleDef } from '../shared/schedule';

export interface RunbookLibrary {
  dir: string;
  runbooks: ReadonlyMap<string, RunbookDefinition>;
  /** Where each runbook came from, relative to the working directory. */
  files: ReadonlyMap<string, string>;
  /** Every runbook's schedules, in file order. */
  schedules: readonly ScheduleDef[];
  /** Files that did not load (tolerant loads only): reported, their runbooks left out. */
  problems?: readonly RunbookProblem[];
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory() ? yamlFiles(join(dir, e.name)) : /\.ya?ml$/.test(e.name) ? [join(dir, e.name)] : [],
    )
    .sort();
}

/** Loads every runbook; throws one RunbookLoadError with the problems of all invalid files. */
export function loadLibrary(dir: string): RunbookLibrary {
  const lib = loadLibraryTolerant(dir);
  if (lib.problems && lib.problems.length > 0) throw new RunbookLoadError([...lib.problems]);
  return lib;
}

/**
 * Loads every valid runbook and reports the invalid files instead of failing: one broken file
 * must not stop a worker or the API (runs in flight would stall). Runs in flight of a runbook
 * that no longer loads keep the definition pinned in their history.
 */
export function loadLibraryTolerant(dir: string): RunbookLibrary {
  const runbooks = new Map<string, RunbookDefinition>();
  const files = new Map<string, string>();
  const problems: RunbookProblem[] = [];
  const schedules: ScheduleDef[] = [];
  for (const path of yamlFiles(dir)) {
    const file = relative(process.cwd(), path) || path;
    try {
      const { runbook: rb, schedules: own } = loadRunbook(readFileSync(path, 'utf8'), file);
      const other = files.get(rb.id);
      if (other) {
        problems.push({
          file,
          line: 1,
          column: 1,
          field: 'id',
          message: `runbook id '${rb.id}' is also used by ${other}`,
        });
        continue;
      }
      runbooks.set(rb.id, rb);
      files.set(rb.id, file);
      schedules.push(...own);
    } catch (err) {
      if (err instanceof RunbookLoadError) problems.push(...err.problems);
      else throw err;
    }
  }
  return { dir, runbooks, files, schedules, ...(problems.length > 0 ? { problems } : {}) };
}
