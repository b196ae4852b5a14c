/**
 * The method's steps and their undoing. A fault's rollback is pushed before its call when its
 * input is fixed (uncordon, delete a Chaos Mesh resource: harmless if the fault never landed,
 * needed if it half did), after it when it needs the fault's answer (the replicas a deployment
 * had). A scale is checked against the budget first, from the pods it has. Rollbacks run newest
 * first, each retried on its own, a failure recorded and the rest still run.
 */
import { isCancellation } from '@temporalio/workflow';
import type { DrillAction } from '../../shared/drill';
import type { ExperimentDefinition, MethodStepDefinition, RollbackDefinition } from '../../shared/experiment';
import type { JsonObject } from '../../shared/model';
import { callActivity, type CallOptions } from '../kit';
import { errorOf } from '../backup/common';
import type { DrillRecorder } from './recorder';

export interface Undo {
  name: string;
  rollback: RollbackDefinition;
  output?: Record<string, unknown>;
}

const FAULT_RETRY = { maxAttempts: 3, initialIntervalMs: 2000, backoff: 2 };
// Rollbacks try harder: a fault left in is the one outcome a drill must not have.
const ROLLBACK_RETRY = { maxAttempts: 8, initialIntervalMs: 2000, backoff: 2, maxIntervalMs: 60_000 };

const opts = (x: ExperimentDefinition, id: string, action: string, retry: CallOptions['retry']): CallOptions => ({
  id,
  action,
  retry,
  timeoutMs: 600_000,
  runbookId: `chaos-drill:${x.id}`,
  dryRun: false,
});

export class BudgetExceeded extends Error {}

export async function injectStep(
  x: ExperimentDefinition,
  rec: DrillRecorder,
  m: MethodStepDefinition,
  undo: Undo[],
): Promise<void> {
  const r = rec.report;
  if (m.kind === 'scaleDeployment') await checkScaleBudget(x, m);
  r.injectedAt ??= new Date().toISOString();
  const early = m.rollback && !m.rollback.fromOutput;
  if (early && m.rollback) undo.push({ name: m.name, rollback: m.rollback });
  const at = new Date().toISOString();
  try {
    const out = await callActivity(m.action, m.input as JsonObject, opts(x, `fault-${m.name}`, m.action, FAULT_RETRY));
    if (m.rollback && !early)
      undo.push({ name: m.name, rollback: m.rollback, output: out.output as Record<string, unknown> });
    r.faults.push({ name: m.name, action: m.action, at, ok: true });
    rec.event(`${m.name}: ${m.action} done`);
  } catch (err) {
    if (isCancellation(err)) throw err;
    const e = errorOf(err).message;
    r.faults.push({ name: m.name, action: m.action, at, ok: false, error: e });
    rec.event(`${m.name}: ${m.action} failed: ${e}`, false);
    throw new Error(`fault ${m.name} failed: ${e}`);
  }
}

/** Replicas scaled away are pods taken: no more than the budget, read from the deployment's pods now. */
async function checkScaleBudget(x: ExperimentDefinition, m: MethodStepDefinition): Promise<void> {
  const i = m.input as { namespace: string; name: string; replicas: number };
  const pods = await callActivity(
    'k8s:pod:list',
    { namespace: i.namespace, deployment: i.name },
    opts(x, `budget-${m.name}`, 'k8s:pod:list', FAULT_RETRY),
  );
  const total = Number((pods.output as { total?: number }).total ?? 0);
  if (total - i.replicas > x.budget.maxPods)
    throw new BudgetExceeded(
      `${m.name} would take ${total - i.replicas} pods of ${i.name} away, more than the budget's ${x.budget.maxPods}: nothing was injected by it`,
    );
}

export async function rollBack(x: ExperimentDefinition, rec: DrillRecorder, undo: Undo[]): Promise<void> {
  const run = async (name: string, action: string, input: Record<string, unknown>): Promise<void> => {
    const at = new Date().toISOString();
    const done: DrillAction = { name, action, at, ok: true };
    try {
      await callActivity(action, input as JsonObject, opts(x, `rollback-${name}`, action, ROLLBACK_RETRY));
      rec.event(`rolled back ${name} (${action})`);
    } catch (err) {
      done.ok = false;
      done.error = errorOf(err).message;
      rec.event(`rolling back ${name} FAILED: ${done.error}`, false);
    }
    rec.report.rollbacks.push(done);
  };
  for (const u of [...undo].reverse()) {
    const from = Object.fromEntries(
      Object.entries(u.rollback.fromOutput ?? {}).map(([field, key]) => [field, u.output?.[key]]),
    );
    await run(u.name, u.rollback.action, { ...u.rollback.input, ...from });
  }
  for (const b of x.rollbacks) await run(b.name, b.action, b.input);
}
