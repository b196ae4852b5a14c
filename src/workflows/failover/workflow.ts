/**
 * `failoverWorkflow`: a database's failover to its standby, in the seeds' phases. Assessment
 * (the primary reached or not, the standby's lag, the integrity probes read where they can be),
 * then an approval before anything changes (its wait is not counted in the RTO), then failover
 * (traffic moved by a runbook, the standby promoted, deploy runbooks), validation (smoke queries
 * and integrity against the new primary), and communication (the plan's target told at each
 * turn, and the report at the end). Traffic moved before a failed promotion is moved back (its
 * undo runbook); a promotion cannot be undone, and the report says what was left. The report
 * (the `failoverReport` query and the result) holds each phase's timing and the RTO and RPO
 * achieved against the tier's objectives.
 */
import { ApplicationFailure, CancellationScope, setHandler } from '@temporalio/workflow';
import { FAILURE } from '../../shared/failures';
import { failoverReportQuery, type FailoverReport, type FailoverWorkflowInput } from '../../shared/failover';
import { failoverMarkdown, rpoOf, rtoOf } from '../../shared/failover-report';
import { statusQuery } from '../../shared/messages';
import { ApprovalVoting, installApprovalHandlers, Notifier } from '../kit';
import { noteUnverified, verifiedStart } from '../kit/trust';
import { errorOf, planCaller } from '../backup/common';
import { assess, probe, smoke } from './checks';
import { childError, runChild } from './children';
import { archiveDrill, resetDrill } from './drill';
import { pitrInputs, promote, restoreOnto } from './promote';
import { FailoverRecorder } from './recorder';

export async function failoverWorkflow(input: FailoverWorkflowInput): Promise<FailoverReport> {
  const plan = input.plan;
  const claims = verifiedStart(input.signed, plan);
  if (claims.runbookId !== plan?.name)
    throw ApplicationFailure.create({
      message: `the start is not the API's: signed for plan '${String(claims.runbookId)}'; nothing was done`,
      type: FAILURE.Unverified,
      nonRetryable: true,
    });
  const rec = new FailoverRecorder(plan, claims.trigger);
  const r = rec.report;
  const gates = new ApprovalVoting(rec, claims.approverGroups ?? {});
  setHandler(statusQuery, () => rec.status, {
    description: 'The failover as a run: its phase and the approval it waits for.',
  });
  setHandler(failoverReportQuery, () => r, { description: 'The failover: phases timed, what it did, RTO and RPO.' });
  installApprovalHandlers(gates, {
    what: 'the failover',
    shape: '{stepId: failover, decision, actor, comment}',
    // The Web UI's form and raw signals decide nothing: shown on the run's status, never counted.
    unverified: (message, payload, reason) => noteUnverified((rec.status.unverified ??= []), message, payload, reason),
    signed: true,
  });
  const call = planCaller('dr-failover', plan);
  const notifier = new Notifier({ runbookId: `dr-failover:${plan.name}`, dryRun: false });
  const tell = async (text: string, severity = 'critical'): Promise<void> => {
    if (plan.notify) await notifier.notify(plan.notify, `DR failover ${plan.name}: ${text}`, severity);
  };
  let approved = false;
  let drillEnded = false;
  /**
   * A drill's end, whatever its outcome (once): its environment reset if it may have changed
   * anything, and its report kept with a reset that failed counted as the drill failing.
   */
  const endDrill = async (): Promise<void> => {
    if (!plan.drill || drillEnded) return;
    drillEnded = true;
    if (approved) {
      rec.phase('reset');
      await resetDrill(plan, r, claims.trigger.requestedBy);
      const bad = (r.drill?.reset ?? []).filter((x) => !x.ok);
      for (const x of r.drill?.reset ?? [])
        rec.event(`reset ${x.runbook}: ${x.ok ? 'ok' : (x.error ?? 'failed')}`, x.ok);
      if (bad.length) {
        r.outcome = 'failed';
        r.error ??= {
          message: `the drill could not reset its environment: ${bad.map((x) => x.runbook).join(', ')}`,
          type: FAILURE.StepFailed,
          phase: 'reset',
        };
      }
    }
    rec.endPhase();
    await archiveDrill(call, plan, r);
  };
  const stop = async (outcome: FailoverReport['outcome'], message: string, type: string): Promise<never> => {
    r.error = { message, type, ...(rec.report.phases.at(-1) ? { phase: rec.report.phases.at(-1)?.name } : {}) };
    rec.event(message, false);
    r.outcome = outcome;
    await CancellationScope.nonCancellable(endDrill);
    rec.finish(outcome);
    await CancellationScope.nonCancellable(() => tell(`${outcome}: ${message}\n\n${failoverMarkdown(r)}`));
    throw ApplicationFailure.create({ message, type, nonRetryable: true, details: [r] });
  };

  // 1. Assessment: nothing changes yet.
  rec.phase('assessment');
  try {
    r.assessment = await assess(call, plan);
  } catch (err) {
    return stop('failed', `the standby ${plan.standby} cannot be read: ${errorOf(err).message}`, FAILURE.CheckFailed);
  }
  const a = r.assessment;
  rec.event(
    a.primaryReachable
      ? `primary ${plan.primary} answers`
      : `primary ${plan.primary} unreachable: ${a.primaryError ?? ''}`,
    true,
  );
  if (!plan.restore && !a.standbyInRecovery)
    return stop(
      'failed',
      `${plan.standby} is not a standby (not in recovery): nothing to promote`,
      FAILURE.CheckFailed,
    );
  const before = a.primaryReachable ? await probe(call, plan, plan.primary, 'before') : [];
  await tell(
    `started by ${claims.trigger.requestedBy}. Primary ${a.primaryReachable ? 'answers' : 'is unreachable'}; ` +
      (plan.restore?.mode === 'pitr'
        ? `waiting for approval to recover ${plan.restore.database} from its WAL archive to ${plan.restore.targetTime} onto ${plan.standby}.`
        : plan.restore
          ? `waiting for approval to restore the newest backup of ${plan.restore.from} onto ${plan.standby}.`
          : `the standby's last replayed commit was ${a.replayDelaySeconds ?? '?'} s ago. Waiting for approval to promote ${plan.standby}.`),
  );

  // 2. Approval before the irreversible part.
  rec.phase('approval');
  const asked = Date.now();
  const gate = await gates.decide(
    {
      id: 'failover',
      ...(plan.approvers ? { approvers: plan.approvers } : {}),
      timeoutMs: plan.approvalTimeoutMs,
      onTimeout: 'abort',
    },
    {
      message: plan.restore
        ? `Make ${plan.standby} the primary in place of ${plan.primary}, restored from backup (cannot be undone)`
        : `Promote ${plan.standby} to primary in place of ${plan.primary} (cannot be undone)`,
      needed: 1,
      guards: [
        ...(plan.traffic
          ? [{ stepId: 'traffic', action: `runbook:${plan.traffic.runbook}`, inputs: plan.traffic.params }]
          : []),
        plan.restore?.mode === 'pitr'
          ? { stepId: 'recover', action: 'pg:pitr:restore', inputs: pitrInputs(plan.restore) }
          : plan.restore
            ? {
                stepId: 'restore',
                action: 'pg:backup:restore',
                inputs: {
                  database: plan.standby,
                  from: plan.restore.from,
                  backup: 'newest',
                  into: plan.restore.into,
                  replace: true,
                },
              }
            : { stepId: 'promote', action: 'pg:server:promote', inputs: { database: plan.standby } },
        ...plan.deploy.map((d, i) => ({ stepId: `deploy-${i}`, action: `runbook:${d.runbook}`, inputs: d.params })),
      ],
    },
  );
  r.approval = { waitMs: Date.now() - asked, by: gate.outcome === 'approved' ? gate.votes.map((v) => v.actor) : [] };
  approved = gate.outcome === 'approved';
  if (gate.outcome === 'rejected')
    return stop('rejected', `${gate.by.actor} rejected the failover`, FAILURE.ApprovalRejected);
  if (gate.outcome !== 'approved')
    return stop('timed-out', 'nobody approved the failover in time: nothing was changed', FAILURE.ApprovalTimeout);

  // 3. Failover: traffic, promotion, deploy.
  rec.phase('failover');
  if (plan.traffic) {
    try {
      await runChild(plan.traffic, 'traffic', claims.trigger.requestedBy);
      rec.event(`traffic moved (${plan.traffic.runbook})`);
    } catch (err) {
      return stop('failed', `moving traffic failed: ${childError(err)}; nothing was promoted`, FAILURE.StepFailed);
    }
  }
  try {
    if (plan.restore) await restoreOnto(call, plan, r, rec);
    else await promote(call, plan, r, rec);
  } catch (err) {
    const why = errorOf(err).message;
    await CancellationScope.nonCancellable(async () => {
      if (!plan.traffic?.undo) return;
      try {
        await runChild(plan.traffic.undo, 'traffic-undo', claims.trigger.requestedBy);
        r.compensations.push(`traffic moved back (${plan.traffic.undo.runbook})`);
      } catch (e) {
        r.compensations.push(`moving traffic back FAILED: ${childError(e)}`);
      }
    });
    return stop(
      'failed',
      `${plan.restore ? 'restoring onto' : 'promoting'} ${plan.standby} failed: ${why}`,
      FAILURE.StepFailed,
    );
  }
  for (const [i, d] of plan.deploy.entries()) {
    try {
      await runChild(d, `deploy-${i}`, claims.trigger.requestedBy);
      rec.event(`deployed (${d.runbook})`);
    } catch (err) {
      return stop(
        'failed',
        `deploy ${d.runbook} failed: ${childError(err)} (the standby is promoted: finish by hand)`,
        FAILURE.StepFailed,
      );
    }
  }

  // 4. Validation: the application's queries and the data's integrity on the new primary.
  rec.phase('validation');
  const [smoked, after] = await Promise.all([smoke(call, plan), probe(call, plan, plan.standby, 'after')]);
  r.smoke = smoked;
  r.integrity = plan.integrity.map((q, i) => {
    const b = before[i]?.value ?? null;
    const v = after[i]?.value ?? null;
    const error =
      after[i]?.error ?? before[i]?.error ?? (a.primaryReachable ? undefined : 'the primary was unreachable before');
    return {
      name: q.name,
      before: b,
      after: v,
      lost: b !== null && v !== null ? Math.max(0, b - v) : null,
      ...(error ? { error } : {}),
    };
  });
  r.rto = rtoOf(r, plan, Date.now());
  r.rpo = rpoOf(r, plan);
  const failed = r.smoke.filter((s) => !s.ok);
  for (const s of r.smoke) rec.event(`smoke ${s.name}: ${s.ok ? 'ok' : (s.error ?? 'failed')}`, s.ok);

  // 5. Communication: the outcome and the report.
  rec.phase('communication');
  if (failed.length)
    return stop(
      'failed',
      `smoke queries failed on the new primary: ${failed.map((s) => s.name).join(', ')}`,
      FAILURE.CheckFailed,
    );
  r.outcome = 'succeeded';
  await endDrill();
  if ((r.outcome as FailoverReport['outcome']) === 'failed' && r.error)
    return stop('failed', r.error.message, r.error.type ?? FAILURE.StepFailed);
  await tell(
    `${plan.drill ? 'drill succeeded' : 'succeeded'}: ${plan.standby} is the primary.\n\n${failoverMarkdown({ ...r, outcome: 'succeeded' })}`,
    'warning',
  );
  rec.finish('succeeded');
  return r;
}
