/**
 * The standalone API process (`node dist/src/api/main.js`, as deployed behind a load balancer),
 * on a fixed port so a restarted one answers where the old one did.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { projectRoot } from '../../src/platform/project-root';
import { waitFor } from './crash-processes';
import { TEST_KEYS_ENV } from './signing';

export interface ApiProcess {
  url: string;
  output(): string;
  /** Its exit code once it has exited (null while running, or when a signal ended it). */
  exitCode(): number | null;
  /** Hard kill: requests in flight lose their connection. */
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

export async function startApiProcess(o: {
  address: string;
  port: number;
  env: Record<string, string>;
  /**
   * What to wait for: `ready` (/readyz answers 200) or `alive` (/healthz answers 200: listening,
   * Temporal perhaps not reached yet). @default 'ready'
   */
  until?: 'ready' | 'alive';
}): Promise<ApiProcess> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(TEMPORAL_|RUNBOOK)/.test(k)));
  const child: ChildProcess = spawn(process.execPath, ['dist/src/api/main.js'], {
    cwd: projectRoot(),
    env: {
      ...inherited,
      TEMPORAL_ADDRESS: o.address,
      RUNBOOKS_API_PORT: String(o.port),
      RUNBOOKS_API_HOST: '127.0.0.1',
      RUNBOOK_SIGNING_KEYS: TEST_KEYS_ENV,
      ...o.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (d: Buffer): void => {
    out = (out + d.toString()).slice(-50_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${o.port}`;
  const end = async (signal: NodeJS.Signals): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  try {
    await waitFor(
      `the API process on ${url}`,
      async () => {
        if (child.exitCode !== null) throw new Error(`the API exited (${child.exitCode}):\n${out}`);
        return (
          (await fetch(`${url}/${o.until === 'alive' ? 'healthz' : 'readyz'}`).catch(() => undefined))?.ok === true
        );
      },
      { timeoutMs: 30_000, detail: () => out },
    );
  } catch (err) {
    await end('SIGKILL');
    throw err;
  }
  return {
    url,
    output: () => out,
    exitCode: () => child.exitCode,
    kill9: () => end('SIGKILL'),
    stop: () => end('SIGTERM'),
  };
}
