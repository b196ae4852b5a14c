/**
 * One Temporal dev server for the whole test run (starting one per file is too costly on two
 * cores). Started here with our own timeout; tests connect with createFromExistingServer.
 * The address reaches test files through process.env (jest globals do not).
 */
import { startDevServer, type DevServer } from '../../src/devserver/server';
import { freePort } from '../../src/platform/ports';
import { temporalCliPath } from '../../src/devserver/cli';
import { buildOnce } from './build';

declare global {
  var __temporalDevServer: DevServer | undefined;
}

export default async function globalSetup(): Promise<void> {
  // Tests that run the real processes (npm start, the CLI) need dist/; build it once, here.
  buildOnce();
  if (process.env.TEMPORAL_TEST_ADDRESS) return; // an outer runner already started one
  try {
    temporalCliPath();
  } catch (err) {
    throw new Error(
      `${(err as Error).message}\n(npm test runs the setup in pretest; run \`npm test\` rather than jest directly)`,
    );
  }
  const port = await freePort();
  const server = await startDevServer({ port, startTimeoutMs: 90_000, stdio: 'ignore', logLevel: 'error' });
  globalThis.__temporalDevServer = server;
  process.env.TEMPORAL_TEST_ADDRESS = server.address;
}
