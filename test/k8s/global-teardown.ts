/** Deletes the tier's cluster, whatever the tests did; kwokctl stops etcd and the components. */
import { stopCluster } from './cluster';
import temporalTeardown from '../support/global-teardown';

export default async function globalTeardown(): Promise<void> {
  await temporalTeardown();
  const name = globalThis.__k8sTestCluster;
  if (!name) return; // started by an outer runner, or never started
  if (process.env.RUNBOOKS_K8S_KEEP_CLUSTER === '1') {
    console.log(
      `\nkeeping k8s test cluster '${name}' (RUNBOOKS_K8S_KEEP_CLUSTER=1); stop it with scripts/k8s/cluster.sh stop ${name}`,
    );
    return;
  }
  stopCluster(name);
}
