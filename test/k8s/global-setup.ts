/**
 * One simulated cluster for the whole k8s tier (a cluster per file would cost a start each on
 * two cores); each test file works in its own namespace. The kubeconfig path reaches test files
 * through process.env (jest globals do not), as RUNBOOKS_TEST_KUBECONFIG.
 */
import { kubeconfigEnv, listClusters, startCluster, stopCluster } from './cluster';
import temporalSetup from '../support/global-setup';

declare global {
  var __k8sTestCluster: string | undefined;
}

/** Set it to tell apart the clusters of two checkouts sharing one cache. */
const prefix = process.env.RUNBOOKS_K8S_CLUSTER ?? 'runbooks-test';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Each run names its cluster after jest's pid, so two runs in one checkout do not stop each
 * other's cluster; a run that was killed (no teardown) left one whose pid is gone: delete it.
 */
function stopLeftoverClusters(): void {
  const ours = new RegExp(`^${prefix}-(\\d+)$`);
  for (const name of listClusters()) {
    const pid = Number(ours.exec(name)?.[1]);
    if (pid && !alive(pid)) stopCluster(name);
  }
}

export default async function globalSetup(): Promise<void> {
  // Runbook tests run real runs: dist/ and a Temporal dev server, as the main tier has them.
  await temporalSetup();
  if (process.env[kubeconfigEnv]) return; // an outer runner started a cluster; it also stops it
  stopLeftoverClusters();
  const name = `${prefix}-${process.pid}`;
  try {
    const { kubeconfig, elapsedMs } = startCluster({ name, nodes: 2 });
    console.log(
      `\nk8s test cluster '${name}' up in ${Math.round(elapsedMs / 1000)}s (build included); kubeconfig ${kubeconfig}`,
    );
    process.env[kubeconfigEnv] = kubeconfig;
    globalThis.__k8sTestCluster = name;
  } catch (err) {
    // jest runs no globalTeardown when globalSetup throws; the script already cleans up after
    // its own failures, this covers ours.
    stopCluster(name);
    throw err;
  }
}
