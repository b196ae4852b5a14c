/** How a process says which runbook files did not load (it goes on with the others). */
import { formatProblem } from '../files/problems';
import { loadLibraryTolerant, type RunbookLibrary } from './library';

/** Loads the library, logging each invalid file with file:line:column; never throws for a bad file. */
export function loadLibraryForProcess(dir: string, log: (line: string) => void): RunbookLibrary {
  const lib = loadLibraryTolerant(dir);
  const problems = lib.problems ?? [];
  if (problems.length > 0) {
    const files = new Set(problems.map((p) => p.file)).size;
    log(
      `${files} runbook file(s) did not load and are left out (the others run; runs in flight keep their definition):`,
    );
    for (const p of problems) log(`  ${formatProblem(p)}`);
  }
  return lib;
}
