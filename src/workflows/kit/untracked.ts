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
import { condition } from '@temporalio/workflow';
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
    if (ours || shownNowhere(store.promiseToStack.get(child))) forget(store, child);
  }
  return p;
}

/**
 * A trace of a promise made by V8's own `then` with no workflow frame under it: the SDK's query
 * drops it (it "is not sure where this comes from"), so keeping it only costs its string.
 */
function shownNowhere(stack: unknown): boolean {
  const formatted = (stack as { formatted?: unknown } | undefined)?.formatted;
  return typeof formatted === 'string' && formatted.trim() === 'at Promise.then (<anonymous>)';
}

/**
 * `condition`, untracked, and more: a wait with a timeout makes a dozen promises inside the SDK
 * (its cancellation scope, the timer, the race) whose traces `untracked` cannot reach, since
 * they hang off the SDK's promises, not ours. Of those made during the call one leaf keeps its
 * trace, so the Stack Trace query still names the wait; the rest are forgotten. An open incident
 * waits on four of these at once: their traces were a third of its heap.
 */
export function quietCondition(fn: () => boolean): Promise<void>;
export function quietCondition(fn: () => boolean, timeoutMs: number): Promise<boolean>;
export function quietCondition(fn: () => boolean, timeoutMs?: number): Promise<boolean | void> {
  const store = (maybeGetActivator() as { promiseStackStore?: PromiseStackStore } | undefined)?.promiseStackStore;
  if (!store) return timeoutMs === undefined ? condition(fn) : condition(fn, timeoutMs);
  const before = new Set(store.childToParent.keys());
  const p: Promise<boolean | void> = timeoutMs === undefined ? condition(fn) : condition(fn, timeoutMs);
  const made = [...store.childToParent.keys()].filter((k) => !before.has(k));
  const parents = new Set<Promise<unknown>>();
  for (const k of made) for (const parent of store.childToParent.get(k) ?? []) parents.add(parent);
  // The innermost: the last made (the await in the SDK's scope, under `condition` and its caller),
  // not the first (`condition`'s own promise, which `untracked` forgets below).
  const kept = made.filter((k) => k !== p && !parents.has(k)).pop();
  for (const k of made) if (k !== kept) forget(store, k);
  return untracked(p);
}

function forget(store: PromiseStackStore, p: Promise<unknown>): void {
  store.childToParent.delete(p);
  store.promiseToStack.delete(p);
}
