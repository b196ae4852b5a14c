/**
 * Every test file, once its tests are done (passed or failed), leaves a mark for the suite's end
 * checks (test/suite-end), which wait for all of them before they look (test/support/sequencer.js).
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function markName(testPath: string): string {
  return `${createHash('sha256').update(testPath).digest('hex').slice(0, 32)}.done`;
}

afterAll(() => {
  const dir = process.env.RUNBOOKS_SUITE_MARKS;
  const path = expect.getState().testPath;
  if (dir && path && !path.includes('/test/suite-end/')) writeFileSync(join(dir, markName(path)), path);
});
