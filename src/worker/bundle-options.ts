/**
 * Options for bundling the workflow code, shared by the build, the worker and the tests so all
 * run the same bundle. Stateless shared modules are preloaded once per reusable V8 context rather
 * than evaluated again for every run: less heap per waiting run (BENCHMARKS.md). Only modules
 * without per-run state may be listed (a module-level value would leak between runs).
 */
import type { BundleOptions } from '@temporalio/worker';

const STATELESS_SHARED = ['template', 'expression', 'duration', 'canonical', 'constants', 'messages', 'coordination'];

export function workflowBundleOptions(): Pick<BundleOptions, 'workflowsPath' | 'preloadModules'> {
  return {
    workflowsPath: require.resolve('../workflows'),
    preloadModules: STATELESS_SHARED.map((m) => require.resolve(`../shared/${m}`)),
  };
}
