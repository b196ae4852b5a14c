/**
 * One side of benchmark 3, in a fresh process (node --expose-gc): a worker holding COUNT runs
 * waiting on approvals at once, its memory before and after, then every run approved and finished.
 * Prints one line `RESULT {json}` for waiting-memory.ts.
 */
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { approve, startWaiting } from './approval';
import { memorySnapshot as snapshot, sleep, type MemorySnapshot } from './harness';
import { createBenchWorker, pool, Readiness, type Variant } from './workers';

export interface MemoryChildResult {
  variant: Variant;
  count: number;
  idle: MemorySnapshot;
  waiting: MemorySnapshot;
  finishedAfter: MemorySnapshot;
  waitingSeconds: number;
  approveSeconds: number;
  finished: number;
}

async function main(): Promise<void> {
  // The parent going away (even killed) closes our stdin: go too.
  process.stdin.on('close', () => process.exit(1)).resume();
  const variant = process.env.BENCH_VARIANT as Variant;
  const count = Number(process.env.BENCH_COUNT ?? 1000);
  const address = process.env.BENCH_ADDRESS as string;
  Runtime.install({ logger: new DefaultLogger('WARN'), shutdownSignals: [] });
  const client = new Client({ connection: await Connection.connect({ address }) });
  const readiness = new Readiness();
  const taskQueue = `bench-memory-${variant}-${process.pid}-${Date.now()}`;
  const worker = await createBenchWorker({
    connection: await NativeConnection.connect({ address }),
    taskQueue,
    codePath: process.env.BENCH_BUNDLE as string,
    readiness,
    maxCachedWorkflows: count + 100,
    debugMode: process.env.BENCH_DEBUG_MODE === '1',
  });
  const env = { client };
  const running = worker.run();
  // Warm up: load the bundle, JIT, connection pools; then measure from idle.
  await pool(Array.from({ length: 20 }), 5, async () => {
    const h = await startWaiting(env, variant, taskQueue, readiness);
    await approve(h, variant);
    await h.result();
  });
  await sleep(2000);
  const idle = snapshot();
  const t0 = performance.now();
  const handles = await pool(Array.from({ length: count }), 50, () =>
    startWaiting(env, variant, taskQueue, readiness, { timeoutMs: 300_000 }),
  );
  const waitingSeconds = (performance.now() - t0) / 1000;
  await sleep(3000);
  const waiting = snapshot();
  const t1 = performance.now();
  const done = await pool(handles, 50, async (h) => {
    await approve(h, variant);
    await h.result();
    return true;
  });
  const approveSeconds = (performance.now() - t1) / 1000;
  await sleep(2000);
  const result: MemoryChildResult = {
    variant,
    count,
    idle,
    waiting,
    finishedAfter: snapshot(),
    waitingSeconds,
    approveSeconds,
    finished: done.filter(Boolean).length,
  };
  worker.shutdown();
  await running;
  await client.connection.close();
  console.log(`RESULT ${JSON.stringify(result)}`);
  process.exit(0);
}

main().catch((err: Error) => {
  console.error(`memory-child: ${err.stack ?? err.message}`);
  process.exit(1);
});
