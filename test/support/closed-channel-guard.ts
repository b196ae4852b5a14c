/**
 * A test file's Temporal connection closes in `afterAll` (`env.teardown()`). The SDK's gRPC
 * retry interceptor retries a failed call from a timer; a timer set just before the close fires
 * after it, and grpc-js throws "Channel has been shut down" from inside that timer: an uncaught
 * exception that fails the whole file after all its tests passed (CI, about one run in three:
 * a query that a test raced against a timer of its own and then left in flight). Below the
 * retry interceptor, this guard turns that throw into the call ending CANCELLED (not retried)
 * and names the call in a warning, so the test that left it can be found: give a bounded call
 * a deadline of its own (`connection.withDeadline`), never a race.
 */
import { InterceptingCall, Metadata, status, type Interceptor } from '@grpc/grpc-js';
import { defaultGrpcRetryOptions, makeGrpcRetryInterceptor, type ConnectionPlugin } from '@temporalio/client';

/** What an interceptor passes a call on to (grpc-js does not export its name). */
type NextCallee = ConstructorParameters<typeof InterceptingCall>[0];

const closedChannelGuard: Interceptor = (options, nextCall) => {
  try {
    return new InterceptingCall(nextCall(options));
  } catch (err) {
    if (!/has been shut down/.test((err as Error).message)) throw err;
    const method = options.method_definition.path;
    console.warn(`[test support] a ${method} call was retried after the test closed its connection: ended CANCELLED`);
    return new InterceptingCall(endedCall());
  }
};

/** A call that never reaches a channel: it ends CANCELLED as soon as it is started. */
function endedCall(): NextCallee {
  const nothing = (): void => undefined;
  return {
    start: (_metadata: Metadata, listener?: { onReceiveStatus?: (s: object) => void }) =>
      queueMicrotask(() =>
        listener?.onReceiveStatus?.({ code: status.CANCELLED, details: 'connection closed', metadata: new Metadata() }),
      ),
    sendMessageWithContext: nothing,
    sendMessage: nothing,
    startRead: nothing,
    halfClose: nothing,
    cancelWithStatus: nothing,
    getPeer: () => 'closed',
    getAuthContext: () => null,
  } as unknown as NextCallee;
}

/** The SDK's default retries, with the guard under them (as a connection plugin). */
export const closedChannelGuardPlugin: ConnectionPlugin = {
  name: 'test-closed-channel-guard',
  configureConnection: (options) => ({
    ...options,
    interceptors: [makeGrpcRetryInterceptor(defaultGrpcRetryOptions()), closedChannelGuard],
  }),
};
