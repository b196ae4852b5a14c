/**
 * From a notification to runs. Each alert is routed; its route names a workflow kind and target
 * (a runbook by default), its episode (route, dedup key, start time) names one workflow;
 * signal-with-start starts that kind's workflow or joins the run in progress, durably, before
 * the sender is answered. Resolved notifications go the same way, so a resolution that overtakes
 * its firing still reaches (or reserves) the run, and a late firing cannot start a remediation.
 * Workflow ids are never reused, so repeats of an alert whose run has ended start nothing.
 *
 * Storms: see RunChannels (repeats answered from memory, one call at a time per run, content
 * changes of a firing alert coalesced). Beyond
 * `maxInFlight` Temporal calls, requests are refused with 503 so senders retry (never 429:
 * Alertmanager drops those).
 */
import { createHash } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy, type Client } from '@temporalio/client';
import type { AppConfig } from '../config/load';
import type { RunbookLibrary } from '../runbooks/library';
import { RunError } from '../runs/errors';
import { workflowKind, type KindStart } from '../runs/kinds';
import { signStart } from '../runs/sign';
import { sign } from '../platform/signing';
import type { AlertInstance, AlertNotice, AlertSource } from '../shared/alert';
import { alertSignal } from '../shared/messages';
import { boundAlert } from '../shared/payload-checks';
import type { AlertJournal, AlertTarget } from './journal';
import type { AlertRouter } from './router';
import { RunChannels } from './run-channels';

export type AlertOutcome =
  /** Temporal holds it: a run started, or the run in progress was told. */
  | 'accepted'
  /** The same notification was accepted moments ago: nothing new to tell. */
  | 'duplicate'
  /** Its run was told moments ago that the alert fires; the new content follows within the window. */
  | 'coalesced'
  /** Its run has already ended (a repeat of an episode that was handled). */
  | 'run-ended'
  | 'unrouted'
  | 'unstartable';

export interface AlertResult {
  fingerprint: string;
  status: AlertInstance['status'];
  outcome: AlertOutcome;
  route?: string;
  workflowId?: string;
  reason?: string;
}

export interface AlertIngestDeps {
  client: Client;
  config: Pick<AppConfig, 'taskQueue' | 'approverGroups' | 'alerts' | 'signingKeys'>;
  library: () => RunbookLibrary;
  router: AlertRouter;
  journal: AlertJournal;
  /** Runs a Temporal call under the API's deadline, mapping unreachable to RunError('unavailable'). */
  call: <T>(fn: () => Promise<T>) => Promise<T>;
  onOutcome?: (source: AlertSource, r: AlertResult) => void;
  /** How long an accepted notification is remembered. @default 60000 */
  memoryMs?: number;
  /** @default 20000 */
  memorySize?: number;
  log?: (message: string) => void;
}

export function createAlertIngest(deps: AlertIngestDeps) {
  const channels = new RunChannels({
    windowMs: deps.config.alerts.coalesceMs,
    memoryMs: deps.memoryMs ?? 60_000,
    size: deps.memorySize ?? 20_000,
    onFlushError: (id, err) =>
      deps.log?.(`alert content for ${id} not delivered (the next repeat brings it): ${err.message}`),
  });
  let calls = 0;
  const context = () => ({ library: deps.library(), config: deps.config });

  async function signal(workflowId: string, notice: AlertNotice, p: KindStart): Promise<'accepted' | 'run-ended'> {
    calls += 1;
    try {
      await deps.call(() =>
        deps.client.workflow.signalWithStart(p.workflowType, {
          workflowId,
          taskQueue: deps.config.taskQueue,
          // The run's input carries the notification that starts it (when this call does start it).
          args: [{ ...p.input, alert: notice, signed: signStart(deps.config.signingKeys(), p.intent, { workflowId }) }],
          signal: alertSignal,
          // Signed for this run: a notice from anywhere else (a raw client) changes nothing.
          signalArgs: [sign(deps.config.signingKeys(), { purpose: 'alert' as const, workflowId, notice })],
          workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
          typedSearchAttributes: p.typedSearchAttributes,
          staticSummary: p.staticSummary,
          staticDetails: p.staticDetails,
        }),
      );
      return 'accepted';
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return 'run-ended';
      throw err;
    } finally {
      calls -= 1;
    }
  }

  async function one(source: AlertSource, alert: AlertInstance, receivedAt: string): Promise<AlertResult> {
    const base = { fingerprint: alert.fingerprint, status: alert.status };
    const route = deps.router.match(alert);
    if (!route) {
      const reason = `no route matches ${JSON.stringify(alert.labels)}`;
      await deps.journal.record({ kind: 'unrouted', source, reason, alert });
      return { ...base, outcome: 'unrouted', reason };
    }
    const workflowId = route.workflowId(alert);
    // Within what a run accepts of a notice (long annotations cut with a marker).
    const notice: AlertNotice = { route: route.id, alert: boundAlert(alert), receivedAt };
    const target: AlertTarget = { kind: route.kind, id: route.target };
    let prepared: KindStart;
    try {
      prepared = workflowKind(route.kind).prepare(context(), {
        target: route.target,
        params: route.params(alert),
        trigger: {
          source: 'alert',
          requestedBy: route.owner,
          reason: `${source} alert ${alert.labels.alertname ?? alert.fingerprint} (route ${route.id})`,
        },
      });
    } catch (err) {
      // A route whose params do not fit its target is journalled, not retried by the sender.
      if (!(err instanceof RunError)) throw err;
      const reason = `route ${route.id} cannot start ${route.target}: ${err.message}`;
      await deps.journal.record({ kind: 'unstartable', source, reason, route: route.id, target, alert });
      return { ...base, outcome: 'unstartable', route: route.id, reason };
    }
    const hash = createHash('sha256')
      .update(JSON.stringify([alert.labels, alert.annotations, alert.links, alert.endsAt ?? '']))
      .digest('hex');
    const outcome = await channels.deliver(workflowId, notice, hash, (n) => signal(workflowId, n, prepared));
    return { ...base, outcome, route: route.id, workflowId };
  }

  /**
   * Routes and delivers every alert of one notification. Throws RunError('unavailable') when
   * Temporal cannot take them now or too many calls are in flight: the sender retries, and
   * alerts already accepted are recognised again.
   */
  async function ingest(source: AlertSource, alerts: AlertInstance[]): Promise<AlertResult[]> {
    if (calls >= deps.config.alerts.maxInFlight)
      throw new RunError('unavailable', `overloaded: ${calls} alert deliveries in flight; retry`);
    const receivedAt = new Date().toISOString();
    const results = await Promise.all(alerts.map((a) => one(source, a, receivedAt)));
    for (const r of results) deps.onOutcome?.(source, r);
    return results;
  }

  /**
   * What an alert would do, without doing it: its route, what it starts (`target`; `runbook` too
   * when that is a runbook), params and run, or why it would not start.
   */
  function explain(alert: AlertInstance): {
    route?: string;
    target?: AlertTarget;
    runbook?: string;
    params?: Record<string, unknown>;
    workflowId?: string;
    problem?: string;
  } {
    const route = deps.router.match(alert);
    if (!route) return { problem: 'no route matches' };
    const out = {
      route: route.id,
      target: { kind: route.kind, id: route.target },
      ...(route.kind === 'runbook' ? { runbook: route.target } : {}),
      workflowId: route.workflowId(alert),
    };
    try {
      const p = workflowKind(route.kind).prepare(context(), {
        target: route.target,
        params: route.params(alert),
        trigger: { source: 'alert', requestedBy: route.owner },
      });
      return { ...out, params: p.params };
    } catch (err) {
      if (!(err instanceof RunError)) throw err;
      return { ...out, params: route.params(alert), problem: `cannot start ${route.target}: ${err.message}` };
    }
  }

  return { ingest, explain, inFlight: () => calls };
}

export type AlertIngest = ReturnType<typeof createAlertIngest>;
