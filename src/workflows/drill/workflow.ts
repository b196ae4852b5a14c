/**
 * `chaosDrillWorkflow`: one chaos experiment, run as a durable workflow. The steady state is
 * read first (a drill refuses to start on a system that is not steady), then an approval when
 * the experiment asks for one, then the method's faults, each pushing the rollback it gets; the
 * probes are read every `every` while the fault is in, and a probe the experiment names in
 * `abort.onDeviation` breaking aborts at once. Whatever happens next — the window ends, an
 * abort, a failure, a cancel — the rollbacks run newest first in a scope cancellation cannot
 * interrupt (and a worker that dies resumes them: they are the workflow's own steps), then the
 * experiment's own rollbacks, then the steady state is verified again. Recovery is measured
 * from the readings while the fault was in: a system that only came back because the drill
 * rolled it back did not recover by itself.
 *
 * Not yet (issue 14 goes on): detection against alerts, the remediation runbook, aborting on an
 * unrelated alert or a freeze, blackout windows, the kind that starts it from the API.
 */
import { ApplicationFailure, CancellationScope, isCancellation, setHandler, sleep } from '@temporalio/workflow';
import { drillReportQuery, type DrillReport, type DrillWorkflowInput } from '../../shared/drill';
import { recoveredAt, verdictOf } from '../../shared/drill-report';
import type { ExperimentDefinition } from '../../shared/experiment';
import { FAILURE } from '../../shared/failures';
import type { JsonObject } from '../../shared/model';
import { statusQuery } from '../../shared/messages';
import { ApprovalVoting, installApprovalHandlers } from '../kit';
import { noteUnverified, verifiedStart } from '../kit/trust';
import { DrillRecorder } from './recorder';
import { DeviationCounter, readProbes } from './probes';
import { BudgetExceeded, injectStep, rollBack, type Undo } from './steps';

export async function chaosDrillWorkflow(input: DrillWorkflowInput): Promise<DrillReport> {
  const x = input.experiment;
  const claims = verifiedStart(input.signed, x);
  if (claims.runbookId !== x?.id)
    throw ApplicationFailure.create({
      message: `the start is not the API's: signed for experiment '${String(claims.runbookId)}'; nothing was done`,
      type: FAILURE.Unverified,
      nonRetryable: true,
    });
  const rec = new DrillRecorder(x, claims.trigger);
  const r = rec.report;
  const gates = new ApprovalVoting(rec, claims.approverGroups ?? {});
  setHandler(statusQuery, () => rec.status, {
    description: 'The drill as a run: its phase and the approval it waits for.',
  });
  setHandler(drillReportQuery, () => r, {
    description: 'The drill: readings, faults, rollbacks, detect and recover times.',
  });
  installApprovalHandlers(gates, {
    what: 'the drill',
    shape: '{stepId: drill, decision, actor, comment}',
    unverified: (message, payload, reason) => noteUnverified((rec.status.unverified ??= []), message, payload, reason),
    signed: true,
  });
  let round = 0;
  const read = async (): Promise<boolean> => {
    const rs = await readProbes(x, String(round++));
    rec.readings(rs);
    return rs.every((q) => q.ok);
  };

  // 1. Steady state: nothing is touched on a system that is not steady.
  rec.phase('steady-state');
  r.hypothesis.before = await read();
  if (!r.hypothesis.before) return refuse(rec, 'the steady state did not hold before the fault: nothing was injected');

  // 2. Approval before the fault.
  if (x.approval.required) {
    rec.phase('approval');
    const gate = await gates.decide(
      {
        id: 'drill',
        ...(x.approval.approvers ? { approvers: x.approval.approvers } : {}),
        timeoutMs: x.approval.timeoutMs,
        onTimeout: 'abort',
      },
      {
        message: `Inject ${x.method.map((m) => m.name).join(', ')} (${x.title})`,
        needed: 1,
        guards: x.method.map((m) => ({ stepId: m.name, action: m.action, inputs: m.input as JsonObject })),
      },
    );
    if (gate.outcome === 'rejected') return refuse(rec, `${gate.by.actor} rejected the drill`);
    if (gate.outcome !== 'approved') return refuse(rec, 'nobody approved the drill in time: nothing was injected');
  }

  // 3. Inject and observe; 4. roll back, whatever happened.
  const undo: Undo[] = [];
  let cancelled = false;
  try {
    await injectAndObserve(x, rec, undo, read);
  } catch (err) {
    if (isCancellation(err)) {
      cancelled = true;
      r.abort = { reason: 'cancelled', detail: 'the drill was cancelled', at: new Date().toISOString() };
    } else if (err instanceof BudgetExceeded)
      r.abort = { reason: 'budget', detail: err.message, at: new Date().toISOString() };
    else r.error = (err as Error).message;
  } finally {
    await CancellationScope.nonCancellable(async () => {
      rec.phase('rollback');
      await rollBack(x, rec, undo);
    });
  }
  const observedUntil = r.phases.find((p) => p.name === 'rollback')?.startedAt;
  if (r.injectedAt) {
    const at = recoveredAt(r.readings, r.injectedAt, observedUntil);
    r.recovery = {
      ...r.recovery,
      ...(at ? { recoveredAt: at } : {}),
      ms: at ? Date.parse(at) - Date.parse(r.injectedAt) : null,
      by: at ? 'hypothesis' : null,
    };
    r.recovery.met = r.recovery.ms !== null && r.recovery.ms <= r.recovery.objectiveMs;
    r.hypothesis.during = !r.readings.some((q) => Date.parse(q.at) >= Date.parse(r.injectedAt!) && !q.ok);
  }

  // 5. Verify: the steady state again after the rollback (cancelled or not: people need to know).
  await CancellationScope.nonCancellable(async () => {
    rec.phase('verify');
    r.hypothesis.after = await verifyAfter(x, read);
    rec.event(`steady state after the rollback: ${r.hypothesis.after ? 'held' : 'BROKEN'}`, r.hypothesis.after);
  });
  rec.finish(r.abort || cancelled ? 'aborted' : verdictOf(r));
  return r;
}

async function injectAndObserve(
  x: ExperimentDefinition,
  rec: DrillRecorder,
  undo: Undo[],
  read: () => Promise<boolean>,
): Promise<void> {
  const r = rec.report;
  rec.phase('inject');
  for (const m of x.method) {
    await injectStep(x, rec, m, undo);
    if (m.pauseMs) await sleep(m.pauseMs);
  }
  rec.phase('observe');
  const counter = new DeviationCounter(x);
  const end = Date.parse(r.injectedAt ?? new Date().toISOString()) + x.observeMs;
  while (Date.now() < end) {
    await sleep(Math.min(x.everyMs, Math.max(1, end - Date.now())));
    await read();
    const last = r.readings.filter((q) => q.at === r.readings.at(-1)?.at);
    const broken = counter.add(last).filter((p) => x.abort.onDeviation.includes(p));
    if (broken.length) {
      r.abort = {
        reason: 'deviation',
        detail: `${broken.join(', ')} broke while the fault was in (${last.find((q) => q.probe === broken[0])?.detail ?? 'deviated'})`,
        at: new Date().toISOString(),
      };
      rec.event(`aborted: ${r.abort.detail}`, false);
      return;
    }
  }
}

/** Reads until the steady state holds again, for at most the recovery objective. */
async function verifyAfter(x: ExperimentDefinition, read: () => Promise<boolean>): Promise<boolean> {
  const end = Date.now() + x.recoverWithinMs;
  for (;;) {
    if (await read()) return true;
    if (Date.now() >= end) return false;
    await sleep(Math.min(x.everyMs, Math.max(1, end - Date.now())));
  }
}

function refuse(rec: DrillRecorder, why: string): DrillReport {
  rec.report.error = why;
  rec.event(why, false);
  rec.finish('refused');
  return rec.report;
}
