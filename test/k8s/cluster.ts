/**
 * The simulated cluster for the Kubernetes test tier, driven through scripts/k8s/cluster.sh so
 * the tests, CI and developers (`scripts/k8s/cluster.sh start dev --nodes 3`) share one recipe.
 * Used by globalSetup/globalTeardown and by the tests themselves (kubectl, polling).
 */
import {
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  KubeConfig,
  type V1Deployment,
  type V1ReplicaSet,
} from '@kubernetes/client-node';
import { execFile, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { waitFor as poll } from '../support/wait';

const repoRoot = resolve(__dirname, '../..');
const clusterScript = resolve(repoRoot, 'scripts/k8s/cluster.sh');
const execFileAsync = promisify(execFile);

/** The env var through which globalSetup hands the kubeconfig path to test files. */
export const kubeconfigEnv = 'RUNBOOKS_TEST_KUBECONFIG';

export interface StartClusterInput {
  /** kwokctl cluster name, a DNS label. */
  name: string;
  /** Fake nodes to create, all with InternalIP 127.0.0.1. @default 1 */
  nodes?: number;
  /** Manifests to apply once the nodes are Ready; their Deployments are waited for. */
  manifests?: string[];
}

export interface StartClusterResult {
  kubeconfig: string;
  elapsedMs: number;
}

/**
 * Builds the control plane if its stamp is stale (a cold build takes tens of minutes), then
 * starts the cluster. Progress goes to stderr; on failure the script deletes what it started.
 */
export function startCluster(input: StartClusterInput): StartClusterResult {
  const args = ['start', input.name, '--nodes', String(input.nodes ?? 1)];
  for (const manifest of input.manifests ?? []) args.push('--manifest', manifest);
  const started = Date.now();
  const run = spawnSync('bash', [clusterScript, ...args], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
  if (run.status !== 0) {
    throw new Error(
      `scripts/k8s/cluster.sh ${args.join(' ')} failed (${run.error?.message ?? `exit ${run.status ?? run.signal}`}); see its output above`,
    );
  }
  const kubeconfig = run.stdout.trim().split('\n').pop() ?? '';
  if (!kubeconfig) throw new Error('scripts/k8s/cluster.sh start printed no kubeconfig path');
  return { kubeconfig, elapsedMs: Date.now() - started };
}

/** Deletes the cluster; does nothing when it is not running, so it is safe to call twice. */
export function stopCluster(name: string): void {
  const run = spawnSync('bash', [clusterScript, 'stop', name], {
    cwd: repoRoot,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (run.status !== 0)
    throw new Error(`scripts/k8s/cluster.sh stop ${name} failed (exit ${run.status ?? run.signal})`);
}

/** Names of the clusters cluster.sh has started and not stopped (in this checkout's cache). */
export function listClusters(): string[] {
  const run = spawnSync('bash', [clusterScript, 'list'], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`scripts/k8s/cluster.sh list failed (exit ${run.status ?? run.signal})`);
  return run.stdout.split('\n').filter(Boolean);
}

/** The kubeconfig globalSetup wrote; test files fail loudly when run outside the k8s tier. */
/** Typed API clients on the test cluster, as the tests read its state. */
export function testApis(): { apps: AppsV1Api; core: CoreV1Api; batch: BatchV1Api } {
  const kc = new KubeConfig();
  kc.loadFromFile(testKubeconfig());
  return { apps: kc.makeApiClient(AppsV1Api), core: kc.makeApiClient(CoreV1Api), batch: kc.makeApiClient(BatchV1Api) };
}

/** A Deployment `name` (label app=<name>, one container `app`); kwok never pulls the image. */
export function deploymentFixture(name: string, o: { replicas: number; image?: string }): V1Deployment {
  const labels = { app: name };
  return {
    metadata: { name, labels },
    spec: {
      replicas: o.replicas,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: { containers: [{ name: 'app', image: o.image ?? 'registry.example/runbooks/web:1.0.0' }] },
      },
    },
  };
}

/** A ReplicaSet's (or Deployment's) revision number. */
export function revisionOf(o: V1ReplicaSet | V1Deployment): number {
  return Number(o.metadata?.annotations?.['deployment.kubernetes.io/revision']);
}

export function testKubeconfig(): string {
  const path = process.env[kubeconfigEnv];
  if (!path)
    throw new Error(`${kubeconfigEnv} is not set: run these tests with \`npm run test:k8s\` (jest.k8s.config.js)`);
  return path;
}

/** Runs the machine's kubectl against the test cluster and returns its stdout. */
export async function kubectl(args: string[], kubeconfig = testKubeconfig()): Promise<string> {
  try {
    const { stdout } = await execFileAsync('kubectl', ['--kubeconfig', kubeconfig, ...args], { timeout: 150_000 });
    return stdout;
  } catch (err) {
    const e = err as Error & { stderr?: string };
    throw new Error(`kubectl ${args.join(' ')} failed: ${e.stderr?.trim() || e.message}`);
  }
}

export interface WaitForInput<T> {
  /** What is awaited, for the timeout message. */
  what: string;
  read: () => Promise<T>;
  until: (value: T) => boolean;
  /**
   * Real controllers take seconds, a rollout through kwok tens of them; still under this tier's
   * testTimeout (180 s, jest.k8s.config.js).
   * @default 60000
   */
  timeoutMs?: number;
  /** Each read is an API call against a control plane on two cores: not more often than this. @default 250 */
  intervalMs?: number;
}

/**
 * Polls real API state until it matches, with the shared poll (test/support/wait.ts); a timeout
 * reports the last value read (or the read's last error).
 */
export async function waitFor<T>(input: WaitForInput<T>): Promise<T> {
  let last: { value: T } | undefined;
  const matched = await poll(
    input.what,
    async () => {
      const value = await input.read();
      last = { value };
      // Boxed: a matching value may itself be falsy (0 ready replicas, an empty list).
      return input.until(value) && { value };
    },
    {
      timeoutMs: input.timeoutMs ?? 60_000,
      intervalMs: input.intervalMs ?? 250,
      detail: () => (last ? `last value read: ${JSON.stringify(last.value, null, 1)?.slice(0, 2000)}` : 'nothing read'),
    },
  );
  return matched.value;
}
