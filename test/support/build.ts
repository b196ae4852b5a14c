/** Builds dist/ (tsc + workflow bundle) once per test run, for tests that run the real processes. */
import { execFileSync } from 'node:child_process';
import { projectRoot } from '../../src/platform/project-root';

export function buildOnce(): void {
  if (process.env.RUNBOOKS_TEST_BUILT === '1') return;
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: projectRoot(), stdio: ['ignore', 'ignore', 'inherit'] });
  process.env.RUNBOOKS_TEST_BUILT = '1';
}
