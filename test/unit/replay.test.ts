/**
 * Committed histories of representative runs replay against the current workflow code: a change
 * that would break determinism for runs in flight fails here, before it reaches a worker.
 * Recorded by scripts/record-histories.ts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { createWorkerMetrics } from '../../src/worker/metrics';
import { workerSinks } from '../../src/worker/events';
import { workflowBundle } from '../support/temporal';
import { withSigningKeys } from '../../src/worker/signing-bundle';
import { RECORDING_KEYS } from '../support/signing';

const dir = join(__dirname, '../histories');
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort();

beforeAll(() => {
  Runtime.install({ logger: new DefaultLogger('WARN'), shutdownSignals: [] });
});

test('there are histories to replay', () => {
  expect(files.length).toBeGreaterThanOrEqual(5);
});

test.each(files)('%s replays without nondeterminism', async (file) => {
  const history = historyFromJSON(JSON.parse(readFileSync(join(dir, file), 'utf8')));
  // With the worker's sinks, as in production (without them replay logs about unknown sinks).
  await Worker.runReplayHistory(
    // With the key the histories were recorded with: signed runs verify their start on replay.
    {
      workflowBundle: { code: withSigningKeys((await workflowBundle()).code, RECORDING_KEYS) },
      sinks: workerSinks(createWorkerMetrics()),
    },
    history,
    // The id it ran under (scripts/record-histories.ts): signed starts are bound to it. Runbook
    // runs ran as `replay-<name>`; incidents and postmortems under their file's name.
    file.replace(/^runbook-/, 'replay-').replace(/\.json$/, ''),
  );
});
