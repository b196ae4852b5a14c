/**
 * The test support's guard (test/support/closed-channel-guard.ts): a call whose retry comes due
 * after its connection closed ends CANCELLED instead of throwing from the retry's timer (which
 * failed a whole file after its tests had passed).
 */
import { Connection } from '@temporalio/client';
import { closedChannelGuardPlugin } from '../support/closed-channel-guard';
import { freePort } from '../../src/platform/ports';

test('a retry due after the connection closed ends the call CANCELLED, not as an uncaught throw', async () => {
  const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  // Nothing listens there: the first attempt fails UNAVAILABLE and the SDK schedules a retry.
  const connection = Connection.lazy({ address: `127.0.0.1:${await freePort()}`, plugins: [closedChannelGuardPlugin] });
  const uncaught: unknown[] = [];
  const onUncaught = (err: unknown): void => void uncaught.push(err);
  process.on('uncaughtException', onUncaught);
  try {
    const call = connection.workflowService.getSystemInfo({}).then(
      () => 'answered',
      (err: { code?: number }) => err.code,
    );
    await waitForWarningOrEnd(call, connection);
    expect(await call).toBe(1); // CANCELLED
    expect(uncaught).toEqual([]);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('GetSystemInfo call was retried after the test closed'));
  } finally {
    process.off('uncaughtException', onUncaught);
    warn.mockRestore();
  }
});

/** Closes the connection while the call waits between attempts (before its second one). */
async function waitForWarningOrEnd(call: Promise<unknown>, connection: Connection): Promise<void> {
  let settled = false;
  void call.finally(() => (settled = true));
  // The first attempt fails at once (connection refused): the call is then in its retry backoff.
  await new Promise((r) => setImmediate(r));
  await connection.close();
  expect(settled).toBe(false);
}
