/**
 * One side of benchmark 8, in a fresh process (node --expose-gc): a worker holding COUNT open
 * incidents (each with its cadence timer: the stakeholder update due DUE_MS after opening), or
 * COUNT bare workflows holding one timer of DUE_MS; memory idle and with all of them open; then
 * how late each reminder was (the activity's scheduled time against its due time).
 * Prints one line `RESULT {json}` for incidents.ts.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { writeHeapSnapshot } from 'node:v8';
import { Context } from '@temporalio/activity';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { incidentDefinition } from '../../src/runs/incident-kind';
import { signStart } from '../../src/runs/sign';
import { loadConfig } from '../../src/config/load';
import { INCIDENT_WORKFLOW } from '../../src/shared/constants';
import { incidentQuery, type IncidentWorkflowInput } from '../../src/shared/incident-messages';
import { createWorkerMetrics } from '../../src/worker/metrics';
import { createNoopPublisher } from '../../src/events/publisher';
import { eventSinks } from '../../src/worker/events';
import { withSigningKeys } from '../../src/worker/signing-bundle';
import { BENCH_KEYS } from './definitions';
import { memorySnapshot as snapshot, sleep, type MemorySnapshot } from './harness';
import { pool, Readiness, type Variant } from './workers';

export interface IncidentChildResult {
  variant: Variant;
  count: number;
  idle: MemorySnapshot;
  open: MemorySnapshot;
  openSeconds: number;
  /** How late each reminder was, ms. */
  lateMs: number[];
}

async function main(): Promise<void> {
  process.stdin.on('close', () => process.exit(1)).resume();
  const variant = process.env.BENCH_VARIANT as Variant;
  const count = Number(process.env.BENCH_COUNT ?? 1000);
  const dueMs = Number(process.env.BENCH_DUE_MS ?? 180_000);
  const address = process.env.BENCH_ADDRESS as string;
  Runtime.install({ logger: new DefaultLogger('WARN'), shutdownSignals: [] });
  const client = new Client({ connection: await Connection.connect({ address }) });
  const readiness = new Readiness();
  const taskQueue = `bench-incidents-${variant}-${process.pid}-${Date.now()}`;
  /** When each reminder was scheduled, by workflow id (the product's), or how late it was (the baseline's). */
  const reminded = new Map<string, number>();
  const late: number[] = [];
  const metrics = createWorkerMetrics();
  const opened = metrics.sinks.incidentMetrics.opened;
  const worker = await Worker.create({
    connection: await NativeConnection.connect({ address }),
    taskQueue,
    workflowBundle: { code: withSigningKeys(readFileSync(process.env.BENCH_BUNDLE as string, 'utf8'), BENCH_KEYS) },
    maxCachedWorkflows: count + 100,
    ...(process.env.BENCH_DEBUG_MODE === '1' ? { debugMode: true } : {}),
    activities: {
      // The product: who is on call, and the notices (the reminder is the one measured).
      incidentOnCall: async () => ({ who: 'bob' }),
      'notify:webhook:post': async (e: { step: { stepId: string } }) => {
        const info = Context.current().info;
        if (e.step.stepId.includes('.reminder-'))
          reminded.set(info.workflowExecution?.workflowId ?? '', info.currentAttemptScheduledTimestampMs);
        return { output: { delivered: true }, attempt: 1 };
      },
      // The baseline's one timer.
      benchReminder: async (dueAtMs: number) => {
        late.push(Context.current().info.currentAttemptScheduledTimestampMs - dueAtMs);
      },
    },
    sinks: {
      ...metrics.sinks,
      incidentMetrics: {
        ...metrics.sinks.incidentMetrics,
        opened: {
          ...opened,
          fn: (info: Parameters<typeof opened.fn>[0], l: { severity: string; service: string }) => {
            void opened.fn(info, l);
            readiness.mark(info.workflowId);
          },
        },
      },
      ...eventSinks(createNoopPublisher()),
      bench: { ready: { fn: (info) => readiness.mark(info.workflowId), callDuringReplay: false } },
    },
  });
  const running = worker.run();
  const config = loadConfig({ RUNBOOKS_CONFIG: '' }, process.cwd(), { tokens: false });
  const base = incidentDefinition(
    {
      ...config,
      incidentSetup: { channels: { page: [], stakeholders: 'bench' }, monitorMs: 60_000, triageReminderMs: 3_600_000 },
    },
    [],
  );
  // Every incident's stakeholder update due DUE_MS after it opens (the seeds' 15 minutes, shortened).
  const def = {
    ...base,
    policy: { ...base.policy, cadence: { ...base.policy.cadence, sev1: { stakeholdersMs: dueMs } } },
  };
  const start = async (): Promise<WorkflowHandle> => {
    const workflowId = `bench-incident-${variant}-${randomUUID()}`;
    const h =
      variant === 'product'
        ? await client.workflow.start(INCIDENT_WORKFLOW, {
            taskQueue,
            workflowId,
            args: [
              {
                definition: def,
                signed: signStart(
                  BENCH_KEYS,
                  {
                    workflowType: INCIDENT_WORKFLOW,
                    runbookId: 'none',
                    definition: def,
                    params: { title: 'bench', severity: 'sev1', service: workflowId },
                    trigger: { source: 'api', requestedBy: 'alice' },
                    emergency: false,
                    dryRun: false,
                  },
                  { workflowId },
                ),
              } satisfies IncidentWorkflowInput,
            ],
          })
        : await client.workflow.start('bareTimerWorkflow', { taskQueue, workflowId, args: [dueMs] });
    await readiness.wait(workflowId, 300_000);
    return h;
  };
  // Warm up (load the bundle, JIT), then measure from idle.
  const warm = await pool(Array.from({ length: 20 }), 5, start);
  await pool(warm, 20, (h) => h.terminate('warm-up'));
  await sleep(2000);
  const idle = snapshot();
  const t0 = performance.now();
  const handles = await pool(Array.from({ length: count }), 50, start);
  const openSeconds = (performance.now() - t0) / 1000;
  await sleep(3000);
  const open = snapshot();
  // Where the memory goes (a diagnostic, not part of the report): BENCH_HEAP_SNAPSHOT=<file>.
  if (process.env.BENCH_HEAP_SNAPSHOT) writeHeapSnapshot(process.env.BENCH_HEAP_SNAPSHOT);
  // Every reminder, then how late (product: against the opening the incident reports plus DUE_MS).
  const deadline = Date.now() + dueMs + 300_000;
  const done = () =>
    variant === 'product' ? [...handles].every((h) => reminded.has(h.workflowId)) : late.length >= count;
  while (!done() && Date.now() < deadline) await sleep(500);
  if (variant === 'product')
    await pool(handles, 50, async (h) => {
      const at = reminded.get(h.workflowId);
      if (at === undefined) return;
      const openedAt = Date.parse((await h.query(incidentQuery)).record.openedAt);
      late.push(at - (openedAt + dueMs));
    });
  await pool(handles, 50, (h) => h.terminate('benchmark over').catch(() => undefined));
  worker.shutdown();
  await running;
  await client.connection.close();
  const result: IncidentChildResult = { variant, count, idle, open, openSeconds, lateMs: late };
  console.log(`RESULT ${JSON.stringify(result)}`);
  process.exit(0);
}

main().catch((err: Error) => {
  console.error(`incident-child: ${err.stack ?? err.message}`);
  process.exit(1);
});
