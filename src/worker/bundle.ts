/**
 * The workflow bundle. `npm run build` writes it once (dist/workflow-bundle.js) so a worker
 * starts without running webpack; without it (tests, development) the worker bundles at start.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../platform/project-root';
import { workflowBundleOptions } from './bundle-options';

export function bundlePath(): string {
  return join(projectRoot(), 'dist/workflow-bundle.js');
}

/** Worker options for the workflow code: the prebuilt bundle when there is one. */
export function workflowCodeOptions():
  { workflowBundle: { codePath: string } } | { workflowsPath: string; bundlerOptions: { preloadModules?: string[] } } {
  const prebuilt = bundlePath();
  if (existsSync(prebuilt) && !process.env.RUNBOOKS_BUNDLE_AT_START) return { workflowBundle: { codePath: prebuilt } };
  const { workflowsPath, preloadModules } = workflowBundleOptions();
  return { workflowsPath, bundlerOptions: { ...(preloadModules ? { preloadModules } : {}) } };
}
