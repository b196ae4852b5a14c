/**
 * From a notification to runs. Each alert is routed; its episode (route, dedup key, start time)
 * names one workflow; signal-with-start starts it or joins the run in progress, durably, before
 * the sender is answered. Resolved notifications go the same way, so a resolution that overtakes
 * its firing still reaches (or reserves) the run, and a late firing cannot start a remediation.
 * Workflow ids are never reused, so repeats of an alert whose run has ended start nothing.
 *
 * Storms: a notification already accepted (same run, status and content) within the memory window
 * is answered without asking Temporal again, and identical ones in flight share one call. Beyond
 * `maxInFlight` Temporal calls, requests are refused with 503 so senders retry (never 429:
 * Alertmanager drops those).
 */
import { createHash } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy, type Client } from '@temporalio/client';
import type { AppConfig } from '../config/load';
import type { RunbookLibrary } from '../runbooks/library';
import { RunError } from '../runs/errors';
import { prepareStart } from '../runs/start-options';
import type { AlertInstance, AlertNotice, AlertSource } from '../shared/alert';
import { RUNBOOK_WORKFLOW } from '../shared/constants';
import { alertSignal } from '../shared/messages';
import type { AlertJournal } from './journal';
import type { AlertRouter } from './router';

export type AlertOutcome =
  /** Temporal holds it: a run started, or the run in progress was told. */
  | 'accepted'
  /** The same notification was accepted moments ago: nothing new to tell. */
  | 'duplicate'
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
  config: Pick<AppConfig, 'taskQueue' | 'approverGroups' | 'alerts'>;
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
}

export function createAlertIngest(deps: AlertIngestDeps) {
  const memoryMs = deps.memoryMs ?? 60_000;
  const memorySize = deps.memorySize ?? 20_000;
  const accepted = new Map<string, number>(); // key -> accepted at (insertion order = age)
  const inFlight = new Map<string, Promise<AlertOutcome>>();
  let calls = 0;

  function remember(key: string): void {
    accepted.delete(key);
    accepted.set(key, Date.now());
    while (accepted.size > memorySize) accepted.delete(accepted.keys().next().value as string);
  }

  function recent(key: string): boolean {
    const at = accepted.get(key);
    if (at === undefined) return false;
    if (Date.now() - at <= memoryMs) return true;
    accepted.delete(key);
    return false;
  }

  async function signal(workflowId: string, notice: AlertNotice, start: () => ReturnType<typeof prepareStart>): Promise<AlertOutcome> {
    const p = start();
    calls += 1;
    try {
      await deps.call(() =>
        deps.client.workflow.signalWithStart(RUNBOOK_WORKFLOW, {
          workflowId,
          taskQueue: deps.config.taskQueue,
          args: [p.input],
          signal: alertSignal,
          signalArgs: [notice],
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
    const notice: AlertNotice = { route: route.id, alert, receivedAt };
    const prepare = () =>
      prepareStart(deps.library(), deps.config, {
        runbookId: route.runbook,
        params: route.params(alert),
        trigger: { source: 'alert', requestedBy: route.owner, reason: `${source} alert ${alert.labels.alertname ?? alert.fingerprint} (route ${route.id})` },
        extra: { alert: notice },
      });
    try {
      prepare(); // a route whose params do not fit its runbook is journalled, not retried by the sender
    } catch (err) {
      if (!(err instanceof RunError)) throw err;
      const reason = `route ${route.id} cannot start ${route.runbook}: ${err.message}`;
      await deps.journal.record({ kind: 'unstartable', source, reason, route: route.id, alert });
      return { ...base, outcome: 'unstartable', route: route.id, reason };
    }
    const key = `${workflowId}\n${alert.status}\n${createHash('sha256').update(JSON.stringify([alert.labels, alert.annotations, alert.endsAt ?? ''])).digest('hex')}`;
    if (recent(key)) return { ...base, outcome: 'duplicate', route: route.id, workflowId };
    let pending = inFlight.get(key);
    if (!pending) {
      pending = signal(workflowId, notice, prepare).finally(() => inFlight.delete(key));
      inFlight.set(key, pending);
    }
    const outcome = await pending;
    remember(key);
    return { ...base, outcome, route: route.id, workflowId };
  }

  /**
   * Routes and delivers every alert of one notification. Throws RunError('unavailable') when
   * Temporal cannot take them now or too many calls are in flight: the sender retries, and
   * alerts already accepted are recognised again.
   */
  async function ingest(source: AlertSource, alerts: AlertInstance[]): Promise<AlertResult[]> {
    if (calls >= deps.config.alerts.maxInFlight) throw new RunError('unavailable', `overloaded: ${calls} alert deliveries in flight; retry`);
    const receivedAt = new Date().toISOString();
    const results = await Promise.all(alerts.map((a) => one(source, a, receivedAt)));
    for (const r of results) deps.onOutcome?.(source, r);
    return results;
  }

  /** What an alert would do, without doing it: its route, params and run, or why it would not start. */
  function explain(alert: AlertInstance): { route?: string; runbook?: string; params?: Record<string, unknown>; workflowId?: string; problem?: string } {
    const route = deps.router.match(alert);
    if (!route) return { problem: 'no route matches' };
    const out = { route: route.id, runbook: route.runbook, workflowId: route.workflowId(alert) };
    try {
      const p = prepareStart(deps.library(), deps.config, { runbookId: route.runbook, params: route.params(alert), trigger: { source: 'alert', requestedBy: route.owner } });
      return { ...out, params: p.params };
    } catch (err) {
      if (!(err instanceof RunError)) throw err;
      return { ...out, params: route.params(alert), problem: `cannot start ${route.runbook}: ${err.message}` };
    }
  }

  return { ingest, explain, inFlight: () => calls };
}

export type AlertIngest = ReturnType<typeof createAlertIngest>;
