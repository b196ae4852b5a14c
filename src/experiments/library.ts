/**
 * The experiment library: every YAML file under `experiments/`, loaded together. Tolerant like
 * the runbook library: a broken file is reported with its problems and left out, never taking
 * the worker or the API down with it; ids are unique across files.
 */
import { existsSync } from 'node:fs';
import { loadFileSet } from '../files/yaml-file';
import { formatProblem, type FileProblem } from '../files/problems';
import type { ExperimentDefinition } from '../shared/experiment';
import { loadExperiment } from './load';

export interface ExperimentLibrary {
  dir: string;
  experiments: ReadonlyMap<string, ExperimentDefinition>;
  /** Where each experiment came from, relative to the working directory. */
  files: ReadonlyMap<string, string>;
  problems: readonly FileProblem[];
}

/** Every valid experiment under `dir` (none when it does not exist), and the problems of the rest. */
export function loadExperimentLibrary(dir: string): ExperimentLibrary {
  if (!existsSync(dir)) return { dir, experiments: new Map(), files: new Map(), problems: [] };
  const set = loadFileSet(dir, { load: loadExperiment, idOf: (x) => x.id, noun: 'experiment' });
  return { dir, experiments: set.items, files: set.files, problems: set.problems };
}

/** Loads the library, logging each invalid file with file:line:column; never throws for a bad file. */
export function loadExperimentsForProcess(dir: string, log: (line: string) => void): ExperimentLibrary {
  const lib = loadExperimentLibrary(dir);
  if (lib.problems.length > 0) {
    const files = new Set(lib.problems.map((p) => p.file)).size;
    log(`${files} experiment file(s) did not load and are left out:`);
    for (const p of lib.problems) log(`  ${formatProblem(p)}`);
  }
  return lib;
}
