/** The digital twin as documented: `npm run twin -- start` with nodes and a manifest, then stop. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { kubectl } from './cluster';

const run = promisify(execFile);
const root = join(__dirname, '..', '..');
const name = `twin-${process.pid}`;

afterAll(async () => {
  await run('npm', ['run', '--silent', 'twin', '--', 'stop', name], { cwd: root }).catch(() => undefined);
});

test('starts a cluster with the asked nodes and the seed manifest rolled out; stop removes it', async () => {
  const { stdout } = await run(
    'npm',
    ['run', '--silent', 'twin', '--', 'start', name, '--nodes', '4', '--manifest', 'deploy/twin/ai-pipeline.yaml'],
    { cwd: root, timeout: 170_000 },
  );
  const kubeconfig = stdout.trim().split('\n').pop() as string;
  expect(kubeconfig).toMatch(new RegExp(`${name}\\.kubeconfig$`));
  const nodes = JSON.parse(await kubectl(['get', 'nodes', '-o', 'json'], kubeconfig)) as {
    items: Array<{ status: { addresses: Array<{ type: string; address: string }> } }>;
  };
  expect(nodes.items).toHaveLength(4);
  expect(
    nodes.items.every((n) => n.status.addresses.some((a) => a.type === 'InternalIP' && a.address === '127.0.0.1')),
  ).toBe(true);
  const deploy = JSON.parse(
    await kubectl(['-n', 'production', 'get', 'deployment', 'ai-pipeline', '-o', 'json'], kubeconfig),
  ) as { status: { availableReplicas: number } };
  expect(deploy.status.availableReplicas).toBe(3);
  await run('npm', ['run', '--silent', 'twin', '--', 'stop', name], { cwd: root });
  const { stdout: left } = await run('npm', ['run', '--silent', 'twin', '--', 'list'], { cwd: root });
  expect(left.split('\n')).not.toContain(name);
});
