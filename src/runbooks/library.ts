/** The runbook library: every YAML file under a folder, loaded and validated together. */
import { loadFileSet } from '../files/yaml-file';
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
  const set = loadFileSet(dir, { load: loadRunbook, idOf: (r) => r.runbook.id, noun: 'runbook' });
  const runbooks = new Map([...set.items].map(([id, r]) => [id, r.runbook]));
  const schedules = [...set.items.values()].flatMap((r) => r.schedules);
  const problems = set.problems;
  return { dir, runbooks, files: set.files, schedules, ...(problems.length > 0 ? { problems } : {}) };
}
