/**
 * 2. Approval round trip: executeUpdate(decideApprovalUpdate) to its result, for a run waiting on
 * an approval step, against executeUpdate on a bare workflow with a trivial update handler.
 * Both workflows then run one no-op activity, so the task that answers does the same work shape.
 */
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { RUNBOOK_WORKFLOW } from '../../src/shared/constants';
import { decideApprovalUpdate, statusQuery } from '../../src/shared/messages';
import { bareApproveUpdate } from './bare-workflows';
import { APPROVAL_STEP, APPROVER, approvalRun, BENCH_KEYS, signedInput } from './definitions';
import { sleep, type BenchEnv } from './harness';
import { fmt, median, percentile, type Row, type Section } from './report';
import { createBenchWorker, Readiness, runWorkers, type Variant } from './workers';
import { signDecision } from '../../src/runs/sign';
import type { SignedDecision } from '../../src/shared/signed';

/** Starts a waiting run of either side; returns its handle once it waits. */
export async function startWaiting(
  env: Pick<BenchEnv, 'client'>,
  variant: Variant,
  taskQueue: string,
  readiness: Readiness,
  o: { timeoutMs?: number; bareType?: string; confirm?: boolean } = {},
): Promise<WorkflowHandle> {
  const workflowId = `bench-approval-${variant}-${randomUUID()}`;
  const handle =
    variant === 'product'
      ? await env.client.workflow.start(RUNBOOK_WORKFLOW, {
          taskQueue,
          workflowId,
          args: [signedInput(approvalRun(), workflowId)],
        })
      : await env.client.workflow.start(o.bareType ?? 'bareApprovalWorkflow', { taskQueue, workflowId });
  await readiness.wait(workflowId, o.timeoutMs);
  // The product reports its start (the sink) in the activation that opens the gate; ask to be sure.
  if (o.confirm && variant === 'product' && (await handle.query(statusQuery)).pendingApprovals.length === 0) {
    throw new Error(`${workflowId} is not waiting for an approval after its first task`);
  }
  return handle;
}

/** The decision as the API signs it, bound to the gate's opening (read from the run, as the API does). */
export async function signedApproval(handle: WorkflowHandle): Promise<SignedDecision> {
  const s = await handle.query(statusQuery);
  const opening = s.pendingApprovals.find((a) => a.stepId === APPROVAL_STEP)?.requestedAt;
  return signDecision(BENCH_KEYS, {
    workflowId: handle.workflowId,
    stepId: APPROVAL_STEP,
    ...(opening ? { opening } : {}),
    actor: APPROVER,
    decision: 'approve',
    channel: 'api',
  });
}

/**
 * Sends the decision (product: signed, `decision` when made beforehand) or the trivial update
 * (baseline); resolves with the update's result.
 */
export async function approve(handle: WorkflowHandle, variant: Variant, decision?: SignedDecision): Promise<void> {
  if (variant === 'product') {
    const r = await handle.executeUpdate(decideApprovalUpdate, {
      args: [decision ?? (await signedApproval(handle))],
    });
    if (r.outcome !== 'approved') throw new Error(`decision answered ${r.outcome}`);
  } else {
    await handle.executeUpdate(bareApproveUpdate, { args: [{ actor: APPROVER }] });
  }
}

export async function approvalRoundTrip(env: BenchEnv, o: { runs: number; warmup: number }): Promise<Section> {
  const readiness = new Readiness();
  const queues: Record<Variant, string> = {
    baseline: `bench-approval-b-${randomUUID()}`,
    product: `bench-approval-p-${randomUUID()}`,
  };
  const workers = await Promise.all(
    (['baseline', 'product'] as const).map((variant) =>
      createBenchWorker({
        connection: env.connection,
        taskQueue: queues[variant],
        codePath: env.bundles[variant],
        readiness,
      }),
    ),
  );
  const times: Record<Variant, number[]> = { baseline: [], product: [] };
  await runWorkers(workers, async () => {
    for (let i = 0; i < o.warmup + o.runs; i++) {
      for (const variant of i % 2 === 0 ? (['baseline', 'product'] as const) : (['product', 'baseline'] as const)) {
        const handle = await startWaiting(env, variant, queues[variant], readiness, { confirm: true });
        await sleep(100); // let the first task's completion land: the run is idle in the cache
        // Signed before the clock starts: the round trip is the update's, as before signing.
        const decision = variant === 'product' ? await signedApproval(handle) : undefined;
        const t0 = performance.now();
        await approve(handle, variant, decision);
        const ms = performance.now() - t0;
        await handle.result();
        if (i >= o.warmup) times[variant].push(ms);
      }
    }
  });
  const row = (metric: string, f: (xs: number[]) => number, target?: number): Row => {
    const b = f(times.baseline);
    const p = f(times.product);
    return { metric, baseline: fmt(b), product: fmt(p), ratio: p / b, ...(target !== undefined ? { target } : {}) };
  };
  return {
    title: '2. Approval round trip',
    about: `Time from sending \`decideApprovalUpdate\` with \`executeUpdate\` to its result, for a run waiting on an approval step (any approver, 1 h deadline), against \`executeUpdate\` of a trivial update on a bare workflow waiting on a condition. ${o.runs} decisions per side after ${o.warmup} warm-up, interleaved; each run idle in the worker's cache when decided.`,
    rows: [row('round trip, median (ms)', median, 1.2), row('round trip, p90 (ms)', (xs) => percentile(xs, 0.9))],
  };
}
