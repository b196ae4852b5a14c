/** Helpers for tests that need Temporal: the shared server, one bundle per file, unique queues. */
import { randomUUID } from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { statusQuery } from '../../src/shared/messages';
import { workflowBundleOptions } from '../../src/worker/bundle-options';
import type { RunStatus } from '../../src/shared/status';
import { closedChannelGuardPlugin } from './closed-channel-guard';
import { waitFor } from './wait';
import { bundleWorkflowCode, DefaultLogger, Runtime, type WorkflowBundleWithSourceMap } from '@temporalio/worker';

export function testAddress(): string {
  const a = process.env.TEMPORAL_TEST_ADDRESS;
  if (!a)
    throw new Error(
      'TEMPORAL_TEST_ADDRESS is not set: run the tests with `npm test` (its global setup starts Temporal)',
    );
  return a;
}

let runtimeInstalled = false;
/** A runtime that logs warnings only; once per test file (jest gives each file its own modules). */
export function installQuietRuntime(): void {
  if (runtimeInstalled) return;
  Runtime.install({ logger: new DefaultLogger('WARN'), shutdownSignals: [] });
  runtimeInstalled = true;
}

export async function connectTestEnv(): Promise<TestWorkflowEnvironment> {
  installQuietRuntime();
  return TestWorkflowEnvironment.createFromExistingServer({
    address: testAddress(),
    namespace: 'default',
    plugins: [closedChannelGuardPlugin],
  });
}

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
/** The workflow bundle (as the build makes it), built once per test file. */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ ...workflowBundleOptions(), logger: quietLogger });
  return bundle;
}

const noop = (): void => undefined;
const quietLogger = {
  log: noop,
  trace: noop,
  debug: noop,
  info: noop,
  warn: noop,
  error: (m: string) => console.error(m),
};

export function uniqueQueue(prefix = 'test'): string {
  return `${prefix}-${randomUUID()}`;
}

/**
 * Waits (with {@link waitFor}: bounded, no fixed sleeps) until the run's status query answers a
 * status that satisfies `pred`, and returns it. A query that fails (the run not yet started, no
 * worker yet) counts as not yet; a timeout names the predicate and the last status seen.
 */
export async function waitForStatus(
  handle: { readonly workflowId?: string; query: (q: typeof statusQuery) => Promise<RunStatus> },
  pred: (s: RunStatus) => boolean,
): Promise<RunStatus> {
  let last: RunStatus | undefined;
  return waitFor(
    `run ${handle.workflowId ?? '(unnamed)'} to reach a status where ${pred.toString()}`,
    async () => {
      last = await handle.query(statusQuery);
      return pred(last) && last;
    },
    {
      detail: () =>
        last
          ? `last status: phase ${last.phase}, steps ${last.steps.map((st) => `${st.id}=${st.state}`).join(' ')}`
          : 'no status answered',
    },
  );
}
