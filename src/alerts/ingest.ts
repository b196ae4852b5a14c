/**
 * From a notification to runs. Each alert is routed; its route names a workflow kind and target
 * (a runbook by default), its episode (route, dedup key, start time) names one workflow;
 * signal-with-start starts that kind's workflow or joins the run in progress, durably, before
 * the sender is answered. Resolved notifications go the same way, so a resolution that overtakes
 * its firing still reaches (or reserves) the run, and a late firing cannot start a remediation.
 * Workflow ids are never reused, so repeats of an alert whose run has ended start nothing.
 *
 * Storms: see RunChannels (repeats answered from memory, one call at a time per run, content
 * changes of a firing alert coalesced). What Temporal is asked at once is bounded:
 * - at most `alerts.maxInFlight` signal-with-start calls in flight, across all requests and the
 *   coalesced changes sent later (CallSlots); the others wait for a slot in arrival order;
 * - a notification's alerts go at most `maxInFlight` at a time, so notifications interleave;
 * - a notification is taken while fewer than 32 x `maxInFlight` alerts (`maxBacklog`) are taken
 *   and not yet answered, whatever its own size (a 5,000-alert notification waits its turn
 *   rather than being refused for ever); beyond that it is refused with 503 so the sender retries
 *   (never 429: Alertmanager drops those), as is a call that waits more than 15 s for a slot;
 * - an alert too large for one Temporal payload (MAX_NOTICE_BYTES once cut, or refused by
 *   Temporal for its size) is journalled and answered `oversized` (the API answers 413): a
 *   retry could never succeed.
 */
import { createHash } from 'node:crypto';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdReusePolicy,
  WorkflowNotFoundError,
  type Client,
} from '@temporalio/client';
import type { AppConfig } from '../config/load';
import type { RunbookLibrary } from '../runbooks/library';
import { RunError } from '../runs/errors';
import { workflowKind, type KindStart } from '../runs/kinds';
import { signStart } from '../runs/sign';
import { sign } from '../platform/signing';
import {
  ALERT_TTL_MS,
  type AlertInstance,
  type AlertNotice,
  type AlertNoticeClaims,
  type AlertSource,
} from '../shared/alert';
import { alertSignal } from '../shared/messages';
import { boundAlert, MAX_NOTICE_BYTES } from '../shared/payload-checks';
import type { AlertJournal, AlertTarget } from './journal';
import type { AlertRouter } from './router';
import { RunChannels } from './run-channels';
import { CallSlots, inLanes } from './slots';

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
  | 'unstartable'
  /** Too large for one Temporal payload: journalled, never sent (the notification is answered 413). */
  | 'oversized';

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
  config: Pick<AppConfig, 'taskQueue' | 'approverGroups' | 'alerts' | 'signingKeys'> &
    Partial<Pick<AppConfig, 'incidents' | 'incidentSetup' | 'notifyTargets'>>;
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
  /** Alerts taken and not yet answered beyond which a notification is refused (503). @default 32 x maxInFlight */
  maxBacklog?: number;
  /** How long a call may wait for a slot before the notification is refused (503). @default 15000 */
  slotWaitMs?: number;
  log?: (message: string) => void;
}

/** Temporal refused the payload for its size (a blob over 2 MB, a request over 4 MB): no retry helps. */
class TooLarge extends Error {}

function tooLargeForTemporal(err: unknown): boolean {
  for (let e = err as { code?: unknown; message?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 6;) {
    const message = typeof e.message === 'string' ? e.message : '';
    if (e.code === 3 && /size exceeds limit/i.test(message)) return true;
    if (e.code === 8 && /larger than max/i.test(message)) return true;
    e = e.cause as typeof e;
    depth++;
  }
  return false;
}

export function createAlertIngest(deps: AlertIngestDeps) {
  const channels = new RunChannels({
    windowMs: deps.config.alerts.coalesceMs,
    memoryMs: deps.memoryMs ?? 60_000,
    size: deps.memorySize ?? 20_000,
    onFlushError: (id, err) =>
      deps.log?.(`alert content for ${id} not delivered (the next repeat brings it): ${err.message}`),
  });
  const { maxInFlight } = deps.config.alerts;
  const slots = new CallSlots(maxInFlight, deps.slotWaitMs ?? 15_000);
  const maxBacklog = deps.maxBacklog ?? 32 * maxInFlight;
  /** Alerts taken and not yet answered. */
  let backlog = 0;
  const context = () => ({ library: deps.library(), config: deps.config });

  /** The signal's claims: signed as sent (a coalesced change is sent later than it was received). */
  const claims = (workflowId: string, notice: AlertNotice): AlertNoticeClaims => {
    const now = Date.now();
    return {
      purpose: 'alert',
      workflowId,
      notice,
      issuedAt: new Date(now).toISOString(),
      expiresAt: new Date(now + ALERT_TTL_MS).toISOString(),
    };
  };

  async function signal(workflowId: string, notice: AlertNotice, p: KindStart): Promise<'accepted' | 'run-ended'> {
    const entry = workflowKind(p.kind);
    // A resolution alone starts no incident: it reaches the open one, or nothing.
    if (notice.alert.status === 'resolved' && entry.resolvedStarts === false) return tellOpen(workflowId, notice);
    try {
      await slots.run(() =>
        deps.call(() =>
          deps.client.workflow.signalWithStart(p.workflowType, {
            workflowId,
            taskQueue: deps.config.taskQueue,
            // The run's input carries the notification that starts it (when this call does start it).
            args: [
              { ...p.input, alert: notice, signed: signStart(deps.config.signingKeys(), p.intent, { workflowId }) },
            ],
            signal: alertSignal,
            // Signed for this run, and when: a notice from anywhere else (a raw client), a copy of
            // one the run took, or an old one, changes nothing (src/workflows/kit/alert.ts).
            signalArgs: [sign(deps.config.signingKeys(), claims(workflowId, notice))],
            // An entity's id (an incident per service) opens a new one once the last has closed.
            workflowIdReusePolicy: entry.exactWorkflowId
              ? WorkflowIdReusePolicy.ALLOW_DUPLICATE
              : WorkflowIdReusePolicy.REJECT_DUPLICATE,
            typedSearchAttributes: p.typedSearchAttributes,
            staticSummary: p.staticSummary,
            staticDetails: p.staticDetails,
          }),
        ),
      );
      return 'accepted';
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return 'run-ended';
      if (tooLargeForTemporal(err)) throw new TooLarge((err as Error).message);
      throw err;
    }
  }

  /** A notice for the run open under this id, if one is: never starts one. */
  async function tellOpen(workflowId: string, notice: AlertNotice): Promise<'accepted' | 'run-ended'> {
    try {
      await slots.run(() =>
        deps.call(() =>
          deps.client.workflow
            .getHandle(workflowId)
            .signal(alertSignal, sign(deps.config.signingKeys(), claims(workflowId, notice))),
        ),
      );
      return 'accepted';
    } catch (err) {
      if (err instanceof WorkflowNotFoundError || (err instanceof RunError && err.kind === 'not_found'))
        return 'run-ended';
      if (/already completed|not found/i.test((err as Error).message)) return 'run-ended';
      throw err;
    }
  }

  /** Journals an alert no run can take for its size; its outcome. */
  async function oversized(
    source: AlertSource,
    alert: AlertInstance,
    route: string,
    why: string,
  ): Promise<AlertResult> {
    const reason = `too large for one Temporal payload: ${why}`;
    await deps.journal.record({ kind: 'oversized', source, reason, route, alert });
    return { fingerprint: alert.fingerprint, status: alert.status, outcome: 'oversized', route, reason };
  }

  async function one(source: AlertSource, alert: AlertInstance, receivedAt: string): Promise<AlertResult> {
    const base = { fingerprint: alert.fingerprint, status: alert.status };
    const route = deps.router.match(alert);
    if (!route) {
      const reason = `no route matches ${JSON.stringify(alert.labels)}`;
      await deps.journal.record({ kind: 'unrouted', source, reason, alert });
      return { ...base, outcome: 'unrouted', reason };
    }
    let workflowId = route.workflowId(alert);
    // Within what a run accepts of a notice (long annotations cut with a marker).
    const bounded = boundAlert(alert);
    const notice: AlertNotice = { route: route.id, alert: bounded, receivedAt };
    const bytes = Buffer.byteLength(JSON.stringify(notice));
    if (bytes > MAX_NOTICE_BYTES)
      return oversized(source, alert, route.id, `${bytes} bytes once cut, more than ${MAX_NOTICE_BYTES}`);
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
    // Kinds that name their runs (an incident per service): the alert joins the open one.
    const exact = workflowKind(route.kind).exactWorkflowId?.(prepared);
    if (exact) workflowId = exact;
    const hash = createHash('sha256')
      .update(JSON.stringify([alert.labels, alert.annotations, alert.links, alert.endsAt ?? '']))
      .digest('hex');
    let outcome: Awaited<ReturnType<typeof channels.deliver>>;
    try {
      outcome = await channels.deliver(workflowId, notice, hash, (n) => signal(workflowId, n, prepared));
    } catch (err) {
      if (err instanceof TooLarge) return oversized(source, alert, route.id, `Temporal refused it: ${err.message}`);
      throw err;
    }
    // What the run got was cut: the whole alert is kept (a failure to keep it is logged, not
    // answered: Temporal holds the alert already).
    if (bounded !== alert && outcome === 'accepted')
      await deps.journal
        .record({ kind: 'cut', source, reason: 'long fields cut in what the run received', route: route.id, alert })
        .catch((err: Error) => deps.log?.(`cut alert ${alert.fingerprint} not journalled: ${err.message}`));
    return { ...base, outcome, route: route.id, workflowId };
  }

  /**
   * Routes and delivers every alert of one notification, at most `maxInFlight` at a time. Throws
   * RunError('unavailable') when Temporal cannot take them now, or when the backlog is beyond
   * its bound: the sender retries, and alerts already accepted are recognised again.
   */
  async function ingest(source: AlertSource, alerts: AlertInstance[]): Promise<AlertResult[]> {
    if (backlog >= maxBacklog)
      throw new RunError(
        'unavailable',
        `overloaded: ${backlog} alerts wait for ${maxInFlight} Temporal calls (at most ${maxBacklog}); retry`,
      );
    const receivedAt = new Date().toISOString();
    backlog += alerts.length;
    let left = alerts.length;
    try {
      const results = await inLanes(alerts, maxInFlight, async (a) => {
        try {
          return await one(source, a, receivedAt);
        } finally {
          backlog -= 1;
          left -= 1;
        }
      });
      for (const r of results) deps.onOutcome?.(source, r);
      return results;
    } finally {
      backlog -= left; // alerts not taken up after a failure
    }
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

  return {
    ingest,
    explain,
    /** Temporal calls in flight now. */
    inFlight: () => slots.inFlight(),
    /** Alerts taken and not yet answered (waiting for a slot, or in flight). */
    backlog: () => backlog,
  };
}

export type AlertIngest = ReturnType<typeof createAlertIngest>;
