/**
 * The real monitoring stack on loopback for end-to-end tests: Prometheus Alertmanager (Debian
 * `prometheus-alertmanager`, with `amtool`) whose webhook receiver is the product's API, and
 * Prometheus itself (Debian `prometheus`) evaluating a rule and sending to that Alertmanager.
 * Timings are shortened (group wait, intervals, evaluation) so a test sees the chain in seconds.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/platform/ports';
import { waitFor } from './crash-processes';

const INSTALL =
  'install the Debian packages: `npm run setup -- --test` (as root) or `sudo apt-get install prometheus prometheus-alertmanager`';

export function requireBinary(name: string): string {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  const path = r.stdout.trim();
  if (r.status !== 0 || !path) throw new Error(`${name} is not installed: ${INSTALL}`);
  return path;
}

export interface Service {
  url: string;
  dir: string;
  output(): string;
  stop(): Promise<void>;
}

async function startService(
  what: string,
  bin: string,
  args: string[],
  dir: string,
  url: string,
  readyPath: string,
): Promise<Service> {
  const child: ChildProcess = spawn(bin, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  child.stderr?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      `${what} ready at ${url}${readyPath}`,
      async () => {
        if (child.exitCode !== null) throw new Error(`${what} exited (${child.exitCode}):\n${out}`);
        const r = await fetch(`${url}${readyPath}`).catch(() => undefined);
        return r?.ok === true;
      },
      { timeoutMs: 30_000, detail: () => out },
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, dir, output: () => out, stop };
}

export interface Alertmanager extends Service {
  /** Runs amtool against this Alertmanager; throws with its output on failure. */
  amtool(args: string[]): string;
}

/**
 * Alertmanager with one webhook receiver: the product's Alertmanager endpoint, with the bearer
 * token as Alertmanager's `http_config.authorization` sends it.
 */
export async function startAlertmanager(o: {
  webhookUrl: string;
  token: string;
  repeatInterval?: string;
}): Promise<Alertmanager> {
  const bin = requireBinary('prometheus-alertmanager');
  const amtoolBin = requireBinary('amtool');
  const dir = mkdtempSync(join(tmpdir(), 'alertmanager-'));
  const port = await freePort();
  writeFileSync(
    join(dir, 'alertmanager.yml'),
    [
      'route:',
      '  receiver: runbooks',
      "  group_by: ['...']", // one notification per alert: each is its own group
      '  group_wait: 1s',
      '  group_interval: 1s',
      `  repeat_interval: ${o.repeatInterval ?? '1h'}`,
      'receivers:',
      '  - name: runbooks',
      '    webhook_configs:',
      `      - url: ${JSON.stringify(o.webhookUrl)}`,
      '        send_resolved: true',
      '        http_config:',
      '          authorization:',
      '            type: Bearer',
      `            credentials: ${JSON.stringify(o.token)}`,
      '',
    ].join('\n'),
  );
  const url = `http://127.0.0.1:${port}`;
  const svc = await startService(
    'alertmanager',
    bin,
    [
      `--config.file=${join(dir, 'alertmanager.yml')}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=', // no gossip: a single instance
      '--log.level=debug',
    ],
    dir,
    url,
    '/-/ready',
  );
  return {
    ...svc,
    amtool(args) {
      const r = spawnSync(amtoolBin, [...args, `--alertmanager.url=${url}`], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`amtool ${args.join(' ')} failed (${r.status}): ${r.stderr}${r.stdout}`);
      return r.stdout;
    },
  };
}

/** Prometheus scraping one target every second, with one alerting rule, sending to Alertmanager. */
export async function startPrometheus(o: {
  target: string;
  job: string;
  alertmanager: string;
  rule: { alert: string; expr: string; labels: Record<string, string>; annotations: Record<string, string> };
}): Promise<Service> {
  const bin = requireBinary('prometheus');
  const dir = mkdtempSync(join(tmpdir(), 'prometheus-'));
  const port = await freePort();
  writeFileSync(
    join(dir, 'rules.yml'),
    JSON.stringify({
      groups: [
        {
          name: 'runbooks-e2e',
          interval: '1s',
          rules: [
            {
              alert: o.rule.alert,
              expr: o.rule.expr,
              for: '0s',
              labels: o.rule.labels,
              annotations: o.rule.annotations,
            },
          ],
        },
      ],
    }),
  );
  writeFileSync(
    join(dir, 'prometheus.yml'),
    JSON.stringify({
      global: { scrape_interval: '1s', evaluation_interval: '1s', scrape_timeout: '500ms' },
      rule_files: [join(dir, 'rules.yml')],
      alerting: { alertmanagers: [{ static_configs: [{ targets: [o.alertmanager.replace(/^http:\/\//, '')] }] }] },
      scrape_configs: [{ job_name: o.job, static_configs: [{ targets: [o.target.replace(/^http:\/\//, '')] }] }],
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  return startService(
    'prometheus',
    bin,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--rules.alert.resend-delay=1s',
      '--log.level=info',
    ],
    dir,
    url,
    '/-/ready',
  );
}
