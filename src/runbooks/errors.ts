/** Load errors that point at the place to fix: file, line, column and field path. */
import { formatProblem, type FileProblem } from '../files/problems';

export type RunbookProblem = FileProblem;

export class RunbookLoadError extends Error {
  constructor(readonly problems: RunbookProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'RunbookLoadError';
  }
}
