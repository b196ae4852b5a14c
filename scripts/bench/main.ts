/**
 * `npm run bench`: the product's overheads as ratios against plain-Temporal baselines measured
 * in the same run on the same (own) dev server. Prints each table as it is done and writes
 * BENCHMARKS.md. A MISS is reported, never an exit code; only a benchmark that could not run is.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { temporalCliPath } from '../../src/devserver/cli';
import { projectRoot } from '../../src/platform/project-root';
import { alertIngestion } from './alerts';
import { backups } from './backups';
import { failover } from './failover';
import { scheduleLateness } from './schedule-lateness';
import { approvalRoundTrip } from './approval';
import { channels } from './channels';
import { openIncidents } from './incidents';
import { coldStart } from './cold-start';
import { cleanupAll, installSignalHandlers, setUp, wasInterrupted, type BenchEnv } from './harness';
import { machineInfo, renderReport, renderSection, type Section } from './report';
import { stepOverhead } from './step-overhead';
import { waitingMemory } from './waiting-memory';

const num = (name: string, fallback: number): number => {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : fallback;
};

const settings = {
  runs: num('BENCH_RUNS', 20),
  warmup: num('BENCH_WARMUP', 3),
  waiting: num('BENCH_WAITING', 1000),
  coldReps: num('BENCH_COLD_REPS', 3),
  alertSamples: num('BENCH_ALERT_SAMPLES', 300),
  storm: num('BENCH_STORM', 10_000),
  schedules: num('BENCH_SCHEDULES', 50),
  incidents: num('BENCH_INCIDENTS', 1000),
  pgScale: num('BENCH_PG_SCALE', 20),
  pgReps: num('BENCH_PG_REPS', 3),
  failoverReps: num('BENCH_FAILOVER_REPS', 3),
  only: process.env.BENCH_ONLY?.split(',')
    .map((s) => s.trim())
    .filter(Boolean),
};

const benchmarks: Array<{ key: string; title: string; run: (env: BenchEnv) => Promise<Section> }> = [
  {
    key: 'steps',
    title: '1. Per-step overhead',
    run: (env) => stepOverhead(env, { sizes: [1, 5, 20], runs: settings.runs, warmup: settings.warmup }),
  },
  {
    key: 'approval',
    title: '2. Approval round trip',
    run: (env) => approvalRoundTrip(env, { runs: settings.runs, warmup: settings.warmup }),
  },
  {
    key: 'memory',
    title: '3. Runs waiting on approvals',
    run: (env) => waitingMemory(env, { count: settings.waiting, heapPass: process.env.BENCH_HEAP !== '0' }),
  },
  { key: 'cold', title: '4. Worker cold start', run: (env) => coldStart(env, { reps: settings.coldReps }) },
  {
    key: 'alerts',
    title: '5. Alert ingestion',
    run: (env) => alertIngestion(env, { samples: settings.alertSamples, stormSize: settings.storm }),
  },
  {
    key: 'schedules',
    title: '6. Schedule lateness',
    run: (env) => scheduleLateness(env, { count: settings.schedules }),
  },
  {
    key: 'channels',
    title: '7. Channels',
    run: (env) => channels(env, { runs: settings.runs, warmup: settings.warmup }),
  },
  {
    key: 'incidents',
    title: '8. Open incidents',
    run: (env) => openIncidents(env, { count: settings.incidents, heapPass: process.env.BENCH_HEAP !== '0' }),
  },
  {
    key: 'backups',
    title: '9. Backups and restores',
    run: () => backups({ scale: settings.pgScale, reps: settings.pgReps }),
  },
  {
    key: 'failover',
    title: '10. DR failover',
    run: (env) => failover(env, { reps: settings.failoverReps }),
  },
];

async function main(): Promise<number> {
  installSignalHandlers();
  const started = performance.now();
  const env = await setUp();
  console.log(`bench: Temporal dev server on ${env.server.address}; bundles in ${env.tmp}\n`);
  const sections: Section[] = [];
  let failed = 0;
  for (const b of benchmarks.filter((x) => !settings.only || settings.only.includes(x.key))) {
    if (wasInterrupted()) return 130;
    const t0 = performance.now();
    console.log(`bench: ${b.title}...`);
    let section: Section;
    try {
      section = await b.run(env);
    } catch (err) {
      failed++;
      section = { title: b.title, about: `**Could not run**: ${(err as Error).message}`, rows: [] };
    }
    section.notes = [...(section.notes ?? []), `took ${Math.round((performance.now() - t0) / 1000)} s`];
    sections.push(section);
    console.log(`\n${renderSection(section)}`);
  }
  if (wasInterrupted()) return 130;
  const report = renderReport({
    sections,
    machine: machineInfo(temporalCliPath()),
    settings: `BENCH_RUNS=${settings.runs} BENCH_WARMUP=${settings.warmup} BENCH_WAITING=${settings.waiting} BENCH_COLD_REPS=${settings.coldReps} BENCH_ALERT_SAMPLES=${settings.alertSamples} BENCH_STORM=${settings.storm} BENCH_SCHEDULES=${settings.schedules} BENCH_INCIDENTS=${settings.incidents}`,
    seconds: (performance.now() - started) / 1000,
  });
  if (settings.only) {
    console.log('bench: BENCH_ONLY set, BENCHMARKS.md left as it was');
  } else {
    writeFileSync(join(projectRoot(), 'BENCHMARKS.md'), report);
    console.log(`bench: wrote ${join(projectRoot(), 'BENCHMARKS.md')}`);
  }
  return failed > 0 ? 1 : 0;
}

main()
  .then(async (code) => {
    await cleanupAll();
    process.exit(code);
  })
  .catch(async (err: Error) => {
    console.error(`bench: ${err.stack ?? err.message}`);
    await cleanupAll();
    process.exit(1);
  });
