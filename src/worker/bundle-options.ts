/**
 * Options for bundling the workflow code, shared by the build, the worker and the tests so all
 * run the same bundle. Workflow-side modules are preloaded once per reusable V8 context rather
 * than evaluated again for every run: a waiting run then holds only its own state, not its own
 * copy of every module (BENCHMARKS.md, section 3). Only modules without per-run state may be
 * preloaded (a module-level value would leak between runs): workflow-safe code keeps its state
 * in instances made by the workflow function (the kit's recorders, the interpreter's RunState),
 * and module-level values are constants, tables and stateless proxies (activities, sinks).
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { BundleOptions } from '@temporalio/worker';

/** Every module under a folder (compiled .js or source .ts), as paths webpack resolves. */
function modulesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return modulesUnder(path);
    return /\.(js|ts)$/.test(e.name) && !/\.d\.ts$/.test(e.name) ? [path] : [];
  });
}

export function workflowBundleOptions(): Pick<BundleOptions, 'workflowsPath' | 'preloadModules'> {
  const workflowsPath = require.resolve('../workflows');
  return {
    workflowsPath,
    preloadModules: [...modulesUnder(join(__dirname, '../shared')), ...modulesUnder(dirname(workflowsPath))],
  };
}
