/** `npm run build` step: bundles the workflow code once, so worker start skips webpack. */
import { writeFileSync } from 'node:fs';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { bundlePath } from './bundle';
import { workflowBundleOptions } from './bundle-options';

async function main(): Promise<void> {
  const { code } = await bundleWorkflowCode({ ...workflowBundleOptions(), logger: new DefaultLogger('WARN') });
  writeFileSync(bundlePath(), code);
  console.log(`workflow bundle: ${bundlePath()} (${Math.round(code.length / 1024)} KiB)`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
