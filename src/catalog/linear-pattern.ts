/**
 * A regular expression a runbook gives an action (a body to match, log lines to keep): matched in
 * linear time (src/shared/linear-regex.ts), so a pattern and a large answer cannot stall a
 * worker. What needs backtracking is refused when the runbook loads (or, when templated, when
 * the step runs).
 */
import { z } from 'zod';
import { checkLinearRegex } from '../shared/linear-regex';

export function linearPattern(description: string) {
  return z
    .string()
    .superRefine((source, ctx) => {
      const problem = checkLinearRegex(source);
      if (problem) ctx.addIssue({ code: 'custom', message: `not a linear-time regular expression: ${problem}` });
    })
    .describe(description);
}
