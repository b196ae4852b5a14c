/**
 * 4. Worker cold start: from spawning `node dist/src/worker/main.js` until a run started before
 * the spawn has finished (so the worker has polled and run it), with the prebuilt bundle
 * (dist/workflow-bundle.js) against bundling at start (RUNBOOKS_BUNDLE_AT_START=1).
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../src/platform/project-root';
import { stopChild } from '../../src/platform/processes';
import { freePort } from '../../src/platform/ports';
import { RUNBOOK_WORKFLOW } from '../../src/shared/constants';
import { bundlePath } from '../../src/worker/bundle';
import { BENCH_KEYS_ENV, emptyRun, signedInput } from './definitions';
import { track, type BenchEnv } from './harness';
import { fmt, median, type Section } from './report';

type Mode = 'prebuilt' | 'bundle-at-start';

function newestMtime(dir: string): number {
  if (!existsSync(dir)) return 0;
  return Math.max(
    0,
    ...readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((f) => statSync(join(dir, f)).mtimeMs),
  );
}

/** `npm run bench` builds it; a direct run with a stale or missing bundle rebuilds it here. */
function ensurePrebuiltBundle(root: string): void {
  const file = bundlePath();
  const sources = Math.max(newestMtime(join(root, 'dist/src/workflows')), newestMtime(join(root, 'dist/src/shared')));
  if (existsSync(file) && statSync(file).mtimeMs >= sources) return;
  console.log('bench: dist/workflow-bundle.js missing or older than dist/src; building it');
  execFileSync(process.execPath, [join(root, 'dist/src/worker/build-bundle.js')], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

async function startOnce(env: BenchEnv, mode: Mode, configFile: string): Promise<{ readyMs: number; logMs: number }> {
  const root = projectRoot();
  const taskQueue = `bench-cold-${randomUUID()}`;
  const handle = await env.client.workflow.start(RUNBOOK_WORKFLOW, {
    taskQueue,
    workflowId: `${taskQueue}-run`,
    args: [signedInput(emptyRun(), `${taskQueue}-run`)],
  });
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: env.server.address,
    RUNBOOKS_TASK_QUEUE: taskQueue,
    RUNBOOKS_WORKER_METRICS_PORT: String(await freePort()),
    RUNBOOKS_CONFIG: configFile,
    RUNBOOK_SIGNING_KEYS: BENCH_KEYS_ENV,
  };
  delete childEnv.RUNBOOKS_BUNDLE_AT_START;
  if (mode === 'bundle-at-start') childEnv.RUNBOOKS_BUNDLE_AT_START = '1';
  const t0 = performance.now();
  const child = track(
    spawn(process.execPath, [join(root, 'dist/src/worker/main.js')], {
      cwd: root,
      env: childEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  let logMs = NaN;
  let output = '';
  const read = (c: Buffer): void => {
    output += c.toString();
    if (Number.isNaN(logMs) && output.includes('[worker] polling')) logMs = performance.now() - t0;
  };
  child.stdout?.on('data', read);
  child.stderr?.on('data', read);
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      handle.result(),
      new Promise((_, reject) =>
        child.once('exit', (code) => reject(new Error(`worker exited with ${code}: ${output.trim().slice(-500)}`))),
      ),
      new Promise(
        (_, reject) =>
          (timer = setTimeout(
            () => reject(new Error(`worker not ready within 120 s: ${output.trim().slice(-500)}`)),
            120_000,
          )),
      ),
    ]);
    return { readyMs: performance.now() - t0, logMs };
  } finally {
    clearTimeout(timer);
    await stopChild(child, 15_000);
  }
}

export async function coldStart(env: BenchEnv, o: { reps: number }): Promise<Section> {
  const root = projectRoot();
  ensurePrebuiltBundle(root);
  const configFile = join(env.tmp, 'worker-config.yaml');
  writeFileSync(configFile, '# benchmark worker: no tokens, no webhook targets\nworker: {}\n');
  const results: Record<Mode, Array<{ readyMs: number; logMs: number }>> = { prebuilt: [], 'bundle-at-start': [] };
  for (let i = 0; i < o.reps; i++) {
    for (const mode of ['prebuilt', 'bundle-at-start'] as const)
      results[mode].push(await startOnce(env, mode, configFile));
  }
  const med = (m: Mode, k: 'readyMs' | 'logMs'): number => median(results[m].map((r) => r[k])) / 1000;
  const ready = med('prebuilt', 'readyMs');
  return {
    title: '4. Worker cold start',
    about: `From spawning \`node dist/src/worker/main.js\` (TEMPORAL_ADDRESS set, a config with no tokens, free metrics port) until a run started before the spawn has finished on it. Baseline column: bundling the workflow code at start (\`RUNBOOKS_BUNDLE_AT_START=1\`); product column: the prebuilt \`dist/workflow-bundle.js\`. Median of ${o.reps} starts each, alternating.`,
    rows: [
      {
        metric: 'spawn → first run finished (s)',
        baseline: fmt(med('bundle-at-start', 'readyMs'), 2),
        product: fmt(ready, 2),
        ratio: ready / med('bundle-at-start', 'readyMs'),
        target: 3,
        absolute: { value: ready, text: '≤ 3 s (prebuilt)' },
      },
      {
        metric: 'spawn → "[worker] polling" logged (s)',
        baseline: fmt(med('bundle-at-start', 'logMs'), 2),
        product: fmt(med('prebuilt', 'logMs'), 2),
        ratio: med('prebuilt', 'logMs') / med('bundle-at-start', 'logMs'),
      },
    ],
  };
}
