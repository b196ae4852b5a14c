/**
 * Where the product's overhead goes (not part of `npm run bench`): the per-step, approval and
 * memory measurements again for variants of the workflow bundle: the bare workflows inside the
 * product's bundle, an approval wait with a deadline timer, and the product with calls stubbed
 * out (setCurrentDetails, upsertSearchAttributes, activity summaries) or with its stateless
 * shared modules preloaded (bundleWorkflowCode `preloadModules`: one instance per V8 context
 * instead of one per run).
 *
 *   npx tsc -p tsconfig.build.json && node dist/scripts/bench/investigate.js
 */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { RUNBOOK_WORKFLOW } from '../../src/shared/constants';
import { approve, startWaiting } from './approval';
import { noopRun, signedInput } from './definitions';
import { cleanupAll, installSignalHandlers, ownCpuMs, setUp, sleep, type BenchEnv } from './harness';
import { fmt, median } from './report';
import { perRun, runChild } from './waiting-memory';
import { createBenchWorker, Readiness, runWorkers, type Variant } from './workers';

type Stub = 'details' | 'upsert' | 'summary';
interface Case {
  name: string;
  variant: Variant;
  bundle: string;
  bareType?: string;
  steps: boolean;
}

const quiet = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: (m: string) => console.error(m),
};
const SHARED = ['template', 'expression', 'duration', 'canonical', 'constants', 'messages', 'coordination'].map((m) =>
  require.resolve(`../../src/shared/${m}`),
);

/** A copy of @temporalio/workflow with some calls made no-ops, aliased in for one bundle. */
function shim(stubs: Stub[]): string {
  return [
    `const real = require(${JSON.stringify(require.resolve('@temporalio/workflow'))});`,
    'const out = Object.assign({}, real);',
    ...(stubs.includes('details') ? ['out.setCurrentDetails = () => undefined;'] : []),
    ...(stubs.includes('upsert') ? ['out.upsertSearchAttributes = () => undefined;'] : []),
    ...(stubs.includes('summary')
      ? [
          'out.proxyActivities = (o) => { const { summary: _s, ...rest } = o || {}; return real.proxyActivities(rest); };',
        ]
      : []),
    'module.exports = out;',
  ].join('\n');
}

async function bundle(
  env: BenchEnv,
  name: string,
  o: { entry: string; stubs?: Stub[]; preload?: string[] },
): Promise<string> {
  const shimFile = join(env.tmp, `shim-${name}.js`);
  if (o.stubs) writeFileSync(shimFile, shim(o.stubs));
  const { code } = await bundleWorkflowCode({
    workflowsPath: o.entry,
    logger: quiet,
    ...(o.preload ? { preloadModules: o.preload } : {}),
    ...(o.stubs
      ? {
          webpackConfigHook: (c) => ({
            ...c,
            resolve: { ...c.resolve, alias: { ...(c.resolve?.alias as object), '@temporalio/workflow$': shimFile } },
          }),
        }
      : {}),
  });
  const file = join(env.tmp, `variant-${name}.js`);
  writeFileSync(file, code);
  return file;
}

async function cases(env: BenchEnv): Promise<Case[]> {
  const product = require.resolve('../../src/workflows');
  return [
    { name: 'bare', variant: 'baseline', bundle: env.bundles.baseline, steps: true },
    {
      name: 'bare, in the product bundle',
      variant: 'baseline',
      bundle: await bundle(env, 'combined', { entry: require.resolve('./combined-workflows') }),
      steps: true,
    },
    {
      name: 'bare, approval with 1 h deadline',
      variant: 'baseline',
      bundle: env.bundles.baseline,
      bareType: 'bareApprovalDeadlineWorkflow',
      steps: false,
    },
    { name: 'product', variant: 'product', bundle: env.bundles.product, steps: true },
    {
      name: 'product, no setCurrentDetails',
      variant: 'product',
      bundle: await bundle(env, 'details', { entry: product, stubs: ['details'] }),
      steps: true,
    },
    {
      name: 'product, no upsertSearchAttributes',
      variant: 'product',
      bundle: await bundle(env, 'upsert', { entry: product, stubs: ['upsert'] }),
      steps: true,
    },
    {
      name: 'product, no activity summary',
      variant: 'product',
      bundle: await bundle(env, 'summary', { entry: product, stubs: ['summary'] }),
      steps: true,
    },
    {
      name: 'product, all three stubbed',
      variant: 'product',
      bundle: await bundle(env, 'all', { entry: product, stubs: ['details', 'upsert', 'summary'] }),
      steps: true,
    },
    {
      name: 'product, shared modules preloaded',
      variant: 'product',
      bundle: await bundle(env, 'preload', { entry: product, preload: SHARED }),
      steps: true,
    },
  ];
}

async function main(): Promise<void> {
  installSignalHandlers();
  const env = await setUp();
  const runs = Number(process.env.BENCH_RUNS ?? 10);
  const all = await cases(env);
  const readiness = new Readiness();
  const queues = all.map(() => `bench-investigate-${randomUUID()}`);
  const workers = await Promise.all(
    all.map((c, i) =>
      createBenchWorker({ connection: env.connection, taskQueue: queues[i] as string, codePath: c.bundle, readiness }),
    ),
  );
  const cpu = all.map(() => ({ 1: [] as number[], 20: [] as number[] }));
  const lat = all.map(() => ({ 1: [] as number[], 20: [] as number[] }));
  const rt = all.map(() => [] as number[]);
  await runWorkers(workers, async () => {
    for (let r = 0; r < runs + 2; r++) {
      for (const [i, c] of all.entries()) {
        const taskQueue = queues[i] as string;
        for (const n of c.steps ? ([1, 20] as const) : []) {
          const t0 = performance.now();
          const c0 = ownCpuMs();
          const workflowId = randomUUID();
          const args = c.variant === 'product' ? [signedInput(noopRun(n), workflowId)] : [n];
          await env.client.workflow.execute(c.variant === 'product' ? RUNBOOK_WORKFLOW : 'bareStepsWorkflow', {
            taskQueue,
            workflowId,
            args,
          });
          if (r >= 2) {
            (cpu[i] as Record<1 | 20, number[]>)[n].push(ownCpuMs() - c0);
            (lat[i] as Record<1 | 20, number[]>)[n].push(performance.now() - t0);
          }
        }
        const h = await startWaiting(env, c.variant, taskQueue, readiness, c.bareType ? { bareType: c.bareType } : {});
        await sleep(100);
        const t0 = performance.now();
        await approve(h, c.variant);
        if (r >= 2) (rt[i] as number[]).push(performance.now() - t0);
        await h.result();
      }
    }
  });
  const avg = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  console.log(`\n${runs} runs per case (after 2 warm-up), cases interleaved\n`);
  console.log(
    '| case | worker CPU per run, N=1 (ms) | worker CPU per added step (ms) | latency per added step (ms) | approval round trip, median (ms) |',
  );
  console.log('|---|---:|---:|---:|---:|');
  for (const [i, c] of all.entries()) {
    const k = cpu[i] as Record<1 | 20, number[]>;
    const l = lat[i] as Record<1 | 20, number[]>;
    const steps = c.steps
      ? [fmt(avg(k[1])), fmt((avg(k[20]) - avg(k[1])) / 19, 2), fmt((median(l[20]) - median(l[1])) / 19, 2)]
      : ['', '', ''];
    console.log(`| ${c.name} | ${steps.join(' | ')} | ${fmt(median(rt[i] as number[]))} |`);
  }
  if (process.env.BENCH_HEAP !== '0') {
    const count = Number(process.env.BENCH_WAITING ?? 300);
    console.log(`\nJS heap per waiting run after GC (${count} runs, workflows in the main thread via debugMode):`);
    for (const c of [all[0], all[1], all[3], all[8]] as Case[]) {
      const m = await runChild(env, c.variant, count, true, c.bundle);
      console.log(`- ${c.name}: ${fmt(perRun(m, 'heapUsed'))} KiB (RSS ${fmt(perRun(m, 'rss'))} KiB)`);
    }
  }
}

main()
  .catch((err: Error) => {
    console.error(err.stack ?? err.message);
    process.exitCode = 1;
  })
  .finally(() => void cleanupAll().then(() => process.exit()));
