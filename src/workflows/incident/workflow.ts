/**
 * `incidentWorkflow`: one per incident, an entity per service (src/runs/incident-kind.ts). It
 * opens in triage and pages the on-call (the kit's PageLadder over the severity's plan); alerts
 * for the service join it; people acknowledge, assign roles, escalate, change severity, post
 * updates, run runbooks and add manual tasks, all through actions the API signed; the cadence
 * asks for updates on time; runbooks run as children. Resolved (by a person, or when every alert
 * has resolved) it opens its postmortem, monitors for a window in which an alert reopens it,
 * then closes. Its history stays small: it continues as new, carrying its book.
 */
import { allHandlersFinished, condition, continueAsNew, setHandler, workflowInfo } from '@temporalio/workflow';
import { alertSignal } from '../../shared/messages';
import {
  incidentActionSignal,
  incidentActionUpdate,
  incidentQuery,
  type IncidentActionClaims,
  type IncidentCarry,
  type IncidentParams,
  type IncidentWorkflowInput,
} from '../../shared/incident-messages';
import { formatDuration } from '../../shared/duration';
import { postmortemMarkdown } from '../../shared/incident';
import type { PostmortemDefinition } from '../../shared/postmortem';
import { pagingPlan } from '../../shared/paging-plan';
import { isSigned, verifySigned } from '../../shared/signed';
import { noteUnverified, PageLadder, quietCondition, untracked, verifiedStart } from '../kit';
import { AlertReplayGuard } from '../kit/alert';
import { trustedKeys } from '../kit/trust';
import { apply, check, type ActionHooks } from './actions';
import { IncidentAlerts } from './alerts';
import { IncidentBook } from './book';
import { Cadence } from './cadence';
import { IncidentChildren } from './children';
import { Pager } from './pages';
import { IncidentSender } from './send';
import { TaskReminders } from './tasks';
import { incidentMetrics } from './metrics';

/** Past this many events, continue as new once nothing is in flight. */
const HISTORY_MAX = 4000;
/** Request ids of actions remembered (a retried request is one action). */
const REQUESTS_KEPT = 200;
const UNSIGNED =
  'incident actions come signed through the API (runbook CLI, HTTP API, Slack), not straight to Temporal';

/** What the run starts from: a verified start, or the state its previous run carried. */
function opening(input: IncidentWorkflowInput): { carry: IncidentCarry; params?: IncidentParams } {
  if (input.carry && workflowInfo().continuedFromExecutionRunId) return { carry: input.carry };
  const c = verifiedStart(input.signed, input.definition);
  const params = c.params as unknown as IncidentParams;
  const carry = IncidentBook.opening(params, c.trigger.requestedBy, input.alert?.alert.startsAt);
  carry.record.timeline.push({
    at: carry.record.openedAt,
    kind: 'opened',
    by: c.trigger.requestedBy,
    text: `opened (${c.trigger.source}${c.trigger.reason ? `: ${c.trigger.reason}` : ''})`,
    human: c.trigger.source !== 'alert',
  });
  return { carry, params };
}

export async function incidentWorkflow(input: IncidentWorkflowInput): Promise<IncidentCarry['record']> {
  const def = input.definition;
  const { carry: carried, params } = opening(input);
  const fresh = params !== undefined;
  const book = new IncidentBook(carried);
  const sender = new IncidentSender(book);
  const pager = new Pager(def, book, sender);
  const children = new IncidentChildren(book);
  const cadence = new Cadence(def, book, sender, (l) => pager.people(l));
  const jobs: Array<() => Promise<void>> = [];
  /** Runbooks running alongside everything else. */
  const running = new Set<Promise<void>>();
  const spawn = (p: Promise<void>): void => {
    running.add(p);
    void p.finally(() => running.delete(p));
  };
  let loops: Array<Promise<void>> = [];
  // Carried across continued runs: an API retry that reaches the next run is still one action.
  const requests: string[] = [...(carried.requests ?? [])];
  let stopping = false;
  const stop = (): boolean => stopping;
  const resolved = (): boolean => !book.open();
  const ladder = new PageLadder(
    {
      plan: () => pagingPlan(def.policy, book.record.severity, Date.parse(book.record.openedAt)),
      acknowledged: () => book.record.acknowledgedAt !== undefined,
      resolved,
      page: async (step) => {
        await pager.page(step);
      },
    },
    { paged: carried.paged, levels: carried.levels },
  );
  const levels = def.policy.levels.map((l) => l.name);

  const hooks: ActionHooks = {
    allLevels: () => levels,
    unpagedLevels: () => levels.filter((l) => !ladder.sent().includes(l)),
    later: (job) => void jobs.push(job),
    escalate: async (level, by, reason) => {
      ladder.markPaged(level);
      incidentMetrics.escalated({ severity: book.record.severity, level });
      await pager.page({ level, why: reason }, by);
    },
    severityChanged: () => ladder.replan(),
    update: async (a, by) => {
      await cadence.stakeholderUpdate(a.text, by);
      if (a.statusPage || a.status) await cadence.statusUpdate(a.status ?? 'identified', by, a.text);
    },
    resolve: (by) => resolve(by),
    reopen: (by, reason) => reopen(by, reason),
    close: (by, note) => close(by, note),
    runbook: async (id, args, by) => spawn(children.runbook(id, args, by, true)),
    flag: async (flag, by) => {
      const level = flag === 'security' ? def.policy.levelOn.security : def.policy.levelOn.dataLoss;
      await hooks.escalate(level, by, flag === 'security' ? 'a security incident' : 'data loss');
    },
    taskAdded: () => book.touch(),
    acknowledged: () => {
      const r = book.record;
      const s = (Date.parse(r.acknowledgedAt ?? r.openedAt) - Date.parse(r.openedAt)) / 1000;
      incidentMetrics.acknowledged({ severity: r.severity, service: r.service ?? '' }, s);
    },
  };

  function resolve(by: string): void {
    const r = book.record;
    r.resolvedAt = new Date().toISOString();
    book.setState('monitoring');
    incidentMetrics.resolved(
      { severity: r.severity, service: r.service ?? '' },
      (Date.parse(r.resolvedAt) - Date.parse(r.openedAt)) / 1000,
    );
    jobs.push(async () => {
      await cadence.statusUpdate('resolved', 'system');
      if (def.channels.stakeholders)
        await sender.notify(
          'update',
          def.channels.stakeholders,
          `${r.title} (${r.id}) is resolved; monitoring for ${formatDuration(def.monitorMs)}.`,
          'info',
        );
      if (!book.postmortem) await openPostmortem(by);
    });
  }

  function reopen(by: string, reason: string): void {
    const r = book.record;
    delete r.resolvedAt;
    book.setState(r.acknowledgedAt ? 'acknowledged' : 'triage');
    if (by === 'system') book.add('reopened', 'system', reason, false);
    jobs.push(async () => {
      await pager.page({ level: levels[0] ?? 'primary', why: `reopened: ${reason}` });
    });
    // The loops ended at the resolution: they run again.
    loops.push(ladder.run(stop), cadence.run(stop));
  }

  function close(by: string, note?: string): void {
    book.record.closedAt = new Date().toISOString();
    // The window as configured (`2m`, `30s`): in whole minutes a window under one read "0 minutes".
    book.add(
      'closed',
      by,
      `closed${by === 'system' ? ` after ${formatDuration(def.monitorMs)} of monitoring` : ` by ${by}`}${note ? `: ${note}` : ''}`,
      by !== 'system',
    );
    book.setState('closed');
  }

  async function openPostmortem(by: string): Promise<void> {
    const r = book.record;
    const dueMs = def.policy.postmortemDueMs[r.severity];
    const resolvedAt = Date.parse(r.resolvedAt ?? new Date().toISOString());
    const managers = await pager.people('manager');
    const dueAt = dueMs !== undefined ? new Date(resolvedAt + dueMs).toISOString() : undefined;
    const definition: PostmortemDefinition = {
      incidentId: r.id,
      incidentWorkflowId: workflowInfo().workflowId,
      title: r.title,
      severity: r.severity,
      ...(r.service ? { service: r.service } : {}),
      resolvedAt: new Date(resolvedAt).toISOString(),
      ...(dueAt ? { dueAt } : {}),
      reportDueAt: new Date(resolvedAt + def.policy.reportWithinMs).toISOString(),
      owner: r.roles.commander ?? (by === 'system' ? book.openedBy : by),
      managers,
      ...(def.channels.postmortem ? { ticketTarget: def.channels.postmortem } : {}),
      ...(def.channels.stakeholders ? { notifyTarget: def.channels.stakeholders } : {}),
      draft: postmortemMarkdown(r, dueAt).slice(0, 60_000),
    };
    await children.postmortem(definition);
  }

  const alerts = new IncidentAlerts(
    book,
    {
      severityRaised: () => ladder.replan(),
      reopen: (reason) => reopen('system', reason),
      allResolved: () => {
        book.add('resolved', 'system', 'every alert has resolved', false);
        resolve('system');
      },
    },
    def.policy.severityLabels,
    carried.alertsSeen,
  );
  const guard = new AlertReplayGuard(true);

  setHandler(incidentQuery, () =>
    book.status(
      pagingPlan(def.policy, book.record.severity, Date.parse(book.record.openedAt)),
      ladder.sent(),
      cadence.next(),
    ),
  );
  setHandler(
    incidentActionUpdate,
    (envelope) => {
      const c = envelope.payload;
      requests.push(c.requestId);
      if (requests.length > REQUESTS_KEPT) requests.shift();
      return apply(book, hooks, c);
    },
    {
      validator: (envelope) => {
        const c = verifiedAction(envelope);
        if (c.incidentId !== book.record.id)
          throw new TypeError(`signed for incident ${String(c.incidentId)}, not ${book.record.id} (it has closed)`);
        if (requests.includes(c.requestId)) throw new TypeError('this request was applied already');
        check(book, hooks, c);
      },
      description:
        'A person acts on the incident (ack, assign, escalate, severity, update, resolve, close, note, runbook, task), signed by the API.',
    },
  );
  setHandler(
    incidentActionSignal,
    (payload) => noteUnverified(book.notes, incidentActionSignal.name, payload, UNSIGNED),
    {
      description: `Recorded as an unverified note only: ${UNSIGNED}.`,
    },
  );
  setHandler(alertSignal, (envelope) => {
    try {
      alerts.take(guard.admit(envelope));
    } catch (err) {
      noteUnverified(book.notes, alertSignal.name, envelope, (err as Error).message);
    }
  });

  if (fresh) {
    book.touch();
    incidentMetrics.opened({ severity: book.record.severity, service: book.record.service ?? '' });
    if (input.alert) alerts.take(input.alert);
  }

  const tasks = new TaskReminders(book, sender, () => def.channels.page[0]?.target ?? def.channels.stakeholders);
  // Untracked: the SDK would keep stack traces of every pending wait of every open incident.
  loops = [untracked(ladder.run(stop)), untracked(cadence.run(stop)), untracked(tasks.run(stop)), untracked(triage())];
  if (params) {
    for (const rb of def.runbooks) spawn(children.runbook(rb.id, rb.params, book.openedBy, false));
    // Event triggers of seed 002: straight to their level.
    if (params.security) jobs.push(() => hooks.flag('security', 'system'));
    if (params.dataLoss) jobs.push(() => hooks.flag('data-loss', 'system'));
  }
  // What takes time, in order (pages, messages); runbooks are spawned alongside.
  const work = untracked(
    (async () => {
      for (;;) {
        await quietCondition(() => jobs.length > 0 || stopping);
        const job = jobs.shift();
        if (!job) return;
        await job();
      }
    })(),
  );

  /** Roles unassigned when triage has run this long: remind whoever was paged. */
  async function triage(): Promise<void> {
    const at = Date.parse(book.record.openedAt) + def.triageReminderMs;
    if (book.record.roles.commander || !fresh) return;
    const assigned = await quietCondition(
      () => !!book.record.roles.commander || resolved() || stopping,
      Math.max(0, at - Date.now()),
    );
    if (assigned) return;
    const r = book.record;
    book.add(
      'note',
      'system',
      `triage past ${formatDuration(def.triageReminderMs)} with no commander: reminded`,
      false,
    );
    for (const { target } of def.channels.page)
      await sender.notify(
        'triage',
        target,
        `[${r.severity}] ${r.title} (${r.id}): no incident commander yet. Take it: runbook incidents ack ${workflowInfo().workflowId}`,
        'warning',
      );
  }

  // Until closed; continuing as new when the history grows, once nothing is in flight.
  for (;;) {
    const big = () =>
      workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > (def.continueAfterEvents ?? HISTORY_MAX);
    await quietCondition(
      () =>
        book.record.state === 'closed' ||
        book.record.state === 'monitoring' ||
        (big() && running.size === 0 && jobs.length === 0),
    );
    if (book.record.state === 'monitoring') {
      const until = Date.parse(book.record.resolvedAt ?? new Date().toISOString()) + def.monitorMs;
      const changed = await quietCondition(() => book.record.state !== 'monitoring', Math.max(0, until - Date.now()));
      if (!changed) close('system');
      continue;
    }
    if (book.record.state === 'closed') break;
    stopping = true;
    await condition(() => jobs.length === 0);
    await Promise.all([...loops, work]);
    await condition(allHandlersFinished);
    const s = ladder.state();
    return continueAsNew<typeof incidentWorkflow>({
      definition: def,
      carry: { ...book.carry(s.paged, s.levels, alerts.state()), requests },
    });
  }
  stopping = true;
  // Its runbooks live on (ParentClosePolicy ABANDON): one still waiting for an approval does not
  // hold a closed incident open.
  await work;
  await condition(allHandlersFinished);
  return book.record;
}

/** A signed action for this incident, or a TypeError saying why not. */
function verifiedAction(envelope: unknown): IncidentActionClaims {
  if (!isSigned(envelope)) throw new TypeError(UNSIGNED);
  const v = verifySigned<IncidentActionClaims>(trustedKeys(), envelope, 'incident-action', Date.now());
  if (!v.ok) throw new TypeError(`the action is not the API's: ${v.reason}`);
  if (v.payload.workflowId !== workflowInfo().workflowId)
    throw new TypeError("the action is not the API's: signed for another incident");
  if (typeof v.payload.actor !== 'string' || typeof v.payload.requestId !== 'string')
    throw new TypeError('the action names no actor or request');
  return v.payload;
}
