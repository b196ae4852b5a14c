/**
 * The SDK keeps two stack traces (a formatted one and a structured one) for every pending
 * workflow promise, for the `__stack_trace` query (the Web UI's Stack Trace tab), and V8 makes one
 * more promise for every pending `await` when promise hooks are on. A run waiting on an approval
 * held a chain of them (interpreter, step, gate, ladder: each level's call and its `await`, and
 * the SDK's condition with its timer race): they made up most of its heap.
 *
 * `untracked(call)` forgets, as the SDK's own `untrackPromise` does for its internal promises:
 * - the call, and the `await`s inside every call given before (their promise's parent is that
 *   call): the links of our own chains;
 * - the traces of promises that others wait on: the query shows only leaves (promises no other
 *   pending promise depends on), so those traces are never shown. The graph stays, so which
 *   promises are leaves does not change.
 * The innermost wait keeps its trace, which names the whole chain, so the query still shows what
 * a run waits on. Only the diagnostic store is touched, never a command, so replay is unaffected.
 */
import { maybeGetActivator } from '@temporalio/workflow/lib/global-attributes';

/** The part of the SDK's promise stack store this reads (internal to `@temporalio/workflow`). */
interface PromiseStackStore {
  childToParent: Map<Promise<unknown>, Set<Promise<unknown>>>;
  promiseToStack: Map<Promise<unknown>, unknown>;
}

/** Calls given to `untracked`: an `await` inside one of them is a link of our own chain. */
const links = new WeakSet<Promise<unknown>>();

export function untracked<T>(p: Promise<T>): Promise<T> {
  const store = (maybeGetActivator() as { promiseStackStore?: PromiseStackStore } | undefined)?.promiseStackStore;
  if (!store) return p;
  links.add(p);
  forget(store, p);
  // A few dozen entries per pending branch at most: sweeping them all is cheaper than the traces.
  for (const [child, parents] of store.childToParent) {
    let ours = false;
    for (const parent of parents) {
      if (links.has(parent)) ours = true;
      else store.promiseToStack.delete(parent);
    }
    if (ours) forget(store, child);
  }
  return p;
}

function forget(store: PromiseStackStore, p: Promise<unknown>): void {
  store.childToParent.delete(p);
  store.promiseToStack.delete(p);
}
