/** Statistics and the tables: printed as each benchmark ends, and written to BENCHMARKS.md. */
import { execFileSync } from 'node:child_process';
import { availableParallelism, cpus, totalmem } from 'node:os';

export interface Row {
  metric: string;
  baseline: string;
  product: string;
  /** product / baseline */
  ratio?: number;
  /** Most the ratio (or, with `absolute`, the product's value) may be for PASS; absent: informational. */
  target?: number;
  /** The ratio must be at least the target (throughputs: higher is better). */
  atLeast?: boolean;
  /** Checks the product's value instead of the ratio (shown as the target text). */
  absolute?: { value: number; text: string };
}

export interface Section {
  title: string;
  about: string;
  rows: Row[];
  notes?: string[];
}

export function median(xs: number[]): number {
  return percentile(xs, 0.5);
}

export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const at = (s.length - 1) * p;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return (s[lo] as number) + ((s[hi] as number) - (s[lo] as number)) * (at - lo);
}

export const fmt = (x: number, digits = 1): string => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');

export function verdict(r: Row): string {
  if (r.absolute) return r.absolute.value <= (r.target as number) ? 'PASS' : 'MISS';
  if (r.target === undefined || r.ratio === undefined) return 'info';
  if (!Number.isFinite(r.ratio)) return 'n/a';
  return (r.atLeast ? r.ratio >= r.target : r.ratio <= r.target) ? 'PASS' : 'MISS';
}

function targetText(r: Row): string {
  if (r.absolute) return r.absolute.text;
  return r.target === undefined ? '' : `${r.atLeast ? '≥' : '≤'} ${r.target.toFixed(2)}`;
}

export function table(rows: Row[]): string {
  const lines = ['| metric | baseline | product | ratio | target | result |', '|---|---:|---:|---:|---:|---|'];
  for (const r of rows) {
    const v = verdict(r);
    lines.push(
      `| ${r.metric} | ${r.baseline} | ${r.product} | ${r.ratio === undefined ? '' : fmt(r.ratio, 2)} | ${targetText(r)} | ${v === 'MISS' ? '**MISS**' : v} |`,
    );
  }
  return lines.join('\n');
}

export function renderSection(s: Section): string {
  return [
    `## ${s.title}`,
    '',
    s.about,
    '',
    table(s.rows),
    ...(s.notes?.length ? ['', ...s.notes.map((n) => `- ${n}`)] : []),
    '',
  ].join('\n');
}

function tryRun(cmd: string, args: string[]): string | undefined {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

export function machineInfo(temporalCli: string): string[] {
  const commit = tryRun('git', ['rev-parse', '--short', 'HEAD']);
  const dirty = tryRun('git', ['status', '--porcelain', '--untracked-files=no']);
  return [
    `- date: ${new Date().toISOString()}`,
    `- machine: nproc ${availableParallelism()}, ${cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM`,
    `- Node ${process.version}; ${tryRun(temporalCli, ['--version']) ?? 'temporal CLI version unknown'} (dev server, in-memory SQLite, started by the benchmark)`,
    `- code: ${commit ?? 'unknown commit'}${dirty ? ' with uncommitted changes' : ''}`,
  ];
}

export function renderReport(o: { sections: Section[]; machine: string[]; settings: string; seconds: number }): string {
  const all = o.sections.flatMap((s) => s.rows.map(verdict));
  const misses = all.filter((v) => v === 'MISS').length;
  return [
    '# Benchmarks',
    '',
    'Written by `npm run bench` (do not edit by hand). Every ratio is product / baseline, both measured',
    'in the same run against the same Temporal dev server; lower is better, except throughputs (≥ targets).',
    'A **MISS** is reported here,',
    'never hidden, and never fails CI.',
    '',
    ...o.machine,
    `- settings: ${o.settings}; took ${Math.round(o.seconds)} s`,
    `- summary: ${all.filter((v) => v === 'PASS').length} PASS, ${misses} MISS`,
    '',
    '## How to reproduce',
    '',
    '```sh',
    'npm ci && npm run setup      # the pinned Temporal CLI',
    'npm run bench                # = npm run build && node dist/scripts/bench/main.js',
    '```',
    '',
    'Knobs (environment): `BENCH_RUNS` measured runs per case (default 20, after `BENCH_WARMUP` 3),',
    '`BENCH_WAITING` runs waiting at once (1000), `BENCH_COLD_REPS` worker starts per mode (3),',
    '`BENCH_ALERT_SAMPLES` alerts per side for the latency (300), `BENCH_STORM` notifications per storm (10000),',
    '`BENCH_ONLY=steps,approval,memory,cold,alerts,schedules` runs a subset and then does not write this file.',
    'Sources: `scripts/bench/`. Use a quiet machine: on 2 cores, other load moves these figures by several percent.',
    'Where the overhead goes (variants of the bundle with calls stubbed out, modules preloaded):',
    '`npx tsc -p tsconfig.build.json && node dist/scripts/bench/investigate.js`.',
    '',
    ...o.sections.map(renderSection),
  ].join('\n');
}
