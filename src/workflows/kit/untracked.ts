/**
 * The SDK keeps two stack traces (a formatted one and a structured one) for every pending
 * workflow promise, for the `__stack_trace` query. A run waiting on an approval holds a chain of
 * them (interpreter, step, gate, ladder); they make up most of its heap. Untracking the links
 * of our own chains, as the SDK does for its internal promises, keeps a waiting run small; the
 * innermost wait (the SDK's condition) stays traced, so the query still shows what it waits on.
 */
import { untrackPromise } from '@temporalio/workflow/lib/stack-helpers';

export function untracked<T>(p: Promise<T>): Promise<T> {
  untrackPromise(p);
  return p;
}
