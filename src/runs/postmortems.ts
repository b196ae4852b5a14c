/**
 * Postmortem follow-ups through the Temporal client: list, read, act (a person's action, signed
 * as the API authenticated it) and close an item from a tracker's webhook (its signature checked
 * by the API first). The run decides what applies: its validator refuses what cannot (a 409 with
 * its reason here), and it checks that a tracker's event is about the item's own issue, since a
 * marker in an issue's body only names an item, it proves nothing.
 */
import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { runUrl, type AppConfig } from '../config/load';
import { listExecutions, visibilityQuery, type ListedExecution } from './visibility';
import { sign } from '../platform/signing';
import { POSTMORTEM_WORKFLOW, SA } from '../shared/constants';
import {
  parseItemLabel,
  parseItemMarker,
  POSTMORTEM_REFUSAL,
  postmortemActionUpdate,
  postmortemQuery,
  type PostmortemAction,
  type PostmortemActionResult,
  type PostmortemChannel,
  type PostmortemState,
} from '../shared/postmortem';
import { DECISION_TTL_MS } from '../shared/signed';
import { DEFAULT_DEADLINE_MS, temporalCall } from './call';
import { isUnavailable, RunError } from './errors';

export interface PostmortemSummary extends ListedExecution {
  incidentId?: string;
  severity?: string;
  service?: string;
  /** `open`, `overdue` or `done`. */
  phase?: string;
}

export interface PostmortemDetail extends ListedExecution {
  /** The run's own state, or null when no worker answered the query in time. */
  postmortem: PostmortemState | null;
}

/** A tracker's event, its signature verified, as the webhook routes read it. */
export type TrackerEvent =
  | {
      kind: 'github';
      deliveryId: string;
      action: string;
      state: 'open' | 'closed';
      repo: string;
      number: number;
      body?: string;
    }
  | { kind: 'jira'; deliveryId: string; webhookEvent: string; key: string; statusCategory?: string; labels: string[] };

export type TrackerOutcome =
  | { outcome: 'closed'; workflowId: string; itemId: string; text: string }
  /** Nothing to do: the event closes nothing, names no item, or the item is closed already. */
  | { outcome: 'ignored' | 'duplicate' | 'refused'; reason: string; workflowId?: string; itemId?: string };

export interface PostmortemServiceDeps {
  client: Client;
  config: AppConfig;
  /** @default 8000 */
  deadlineMs?: number;
}

const QUERY_DEADLINE_MS = 5000;

export function createPostmortemService(deps: PostmortemServiceDeps) {
  const { client, config } = deps;
  const temporal = temporalCall(client, deps.deadlineMs ?? DEFAULT_DEADLINE_MS);
  const noRun = (id: string): RunError => new RunError('not_found', `no postmortem '${id}'`);

  async function list(
    filter: { phase?: string; service?: string; incident?: string; limit?: number } = {},
  ): Promise<PostmortemSummary[]> {
    const query = visibilityQuery(POSTMORTEM_WORKFLOW, [
      ['phase', SA.phase, filter.phase],
      ['service', SA.service, filter.service],
      ['incident', SA.incidentId, filter.incident],
    ]);
    return temporal((): Promise<PostmortemSummary[]> =>
      listExecutions(client, config, query, filter.limit ?? 50, {
        incidentId: SA.incidentId,
        severity: SA.severity,
        service: SA.service,
        phase: SA.phase,
      }),
    );
  }

  /** The postmortem's description, or not found for anything else by that id (a run, a lock). */
  async function describe(workflowId: string) {
    const handle = client.workflow.getHandle(workflowId);
    const d = await handle.describe();
    if (d.type !== POSTMORTEM_WORKFLOW) throw noRun(workflowId);
    return { handle, d };
  }

  async function get(workflowId: string): Promise<PostmortemDetail> {
    return temporal(
      async () => {
        const { handle, d } = await describe(workflowId);
        let postmortem: PostmortemState | null = null;
        try {
          postmortem = await client.connection.withDeadline(Date.now() + QUERY_DEADLINE_MS, () =>
            handle.query(postmortemQuery),
          );
        } catch (err) {
          if (isUnavailable(err) && !/deadline/i.test(String((err as Error).message))) throw err;
          postmortem = null; // no worker answered in time: the execution facts still stand
        }
        return {
          workflowId,
          runId: d.runId,
          status: d.status.name,
          startTime: d.startTime.toISOString(),
          ...(d.closeTime ? { closeTime: d.closeTime.toISOString() } : {}),
          url: runUrl(config, workflowId),
          postmortem,
        };
      },
      { notFound: `no postmortem '${workflowId}'` },
    );
  }

  /** Signs the action and sends it; the run's refusal comes back as a failed update. */
  async function send(
    workflowId: string,
    action: PostmortemAction,
    actor: string,
    via: PostmortemChannel,
    requestId: string,
  ) {
    const { handle, d } = await describe(workflowId);
    if (d.status.name !== 'RUNNING')
      throw new RunError('conflict', `the postmortem has already ended (${d.status.name})`);
    const signed = sign(config.signingKeys(), {
      purpose: 'postmortem-action' as const,
      workflowId,
      actor,
      action,
      channel: via,
      requestId,
      expiresAt: new Date(Date.now() + DECISION_TTL_MS).toISOString(),
    });
    // The request id is the update id: a retried request (or a webhook delivered again) is one action.
    return handle.executeUpdate(postmortemActionUpdate, { args: [signed], updateId: requestId });
  }

  /** A person's action; a refusal by the run is a 409 with its reason. */
  async function act(
    workflowId: string,
    action: PostmortemAction,
    actor: string,
    via: PostmortemChannel,
    requestId?: string,
  ): Promise<PostmortemActionResult> {
    return temporal(() => send(workflowId, action, actor, via, requestId ?? randomUUID()), {
      notFound: `no postmortem '${workflowId}'`,
      updateRefused: true,
      field: 'kind',
    });
  }

  /** Closes the item a tracker's event names, if the event closes its issue and the run agrees it is the item's. */
  async function closeItemFromTracker(e: TrackerEvent): Promise<TrackerOutcome> {
    const named = e.kind === 'github' ? parseItemMarker(e.body ?? '') : parseItemLabel(e.labels);
    if (!named) return { outcome: 'ignored', reason: 'the issue names no postmortem action item' };
    const closes = e.kind === 'github' ? e.action === 'closed' && e.state === 'closed' : e.statusCategory === 'done';
    const what =
      e.kind === 'github'
        ? `an issues '${e.action}' event`
        : `a ${e.webhookEvent} event (status ${e.statusCategory ?? 'unknown'})`;
    if (!closes) return { outcome: 'ignored', reason: `${what} closes nothing`, ...named };
    const targets = targetsOf(e);
    const where = e.kind === 'github' ? `repository ${e.repo}` : `project of ${e.key}`;
    if (targets.length === 0) return { outcome: 'ignored', reason: `no ticket target is the ${where}`, ...named };
    const id = e.kind === 'github' ? String(e.number) : e.key;
    const action: PostmortemAction = {
      kind: 'close-item',
      itemId: named.itemId,
      tracker: { kind: e.kind, id, targets, deliveryId: e.deliveryId },
    };
    return temporal(async () => {
      try {
        const r = await send(
          named.workflowId,
          action,
          `${e.kind}-webhook`,
          e.kind,
          `delivery-${e.kind}-${e.deliveryId}`,
        );
        return { outcome: 'closed', workflowId: named.workflowId, itemId: named.itemId, text: r.text };
      } catch (err) {
        if (err instanceof WorkflowNotFoundError || (err instanceof RunError && err.kind === 'not_found'))
          return { outcome: 'ignored', reason: `no postmortem '${named.workflowId}'`, ...named };
        if (err instanceof RunError && err.kind === 'conflict')
          return { outcome: 'ignored', reason: err.message, ...named };
        if (!(err instanceof WorkflowUpdateFailedError)) throw err;
        const reason = err.cause?.message ?? err.message;
        if (reason.startsWith(POSTMORTEM_REFUSAL.duplicate)) return { outcome: 'duplicate', reason, ...named };
        if (reason.includes(POSTMORTEM_REFUSAL.alreadyClosed)) return { outcome: 'ignored', reason, ...named };
        return { outcome: 'refused', reason, ...named };
      }
    });
  }

  /** The configured ticket targets the event's repository (GitHub) or project (Jira) is. */
  function targetsOf(e: TrackerEvent): string[] {
    return Object.entries(config.ticketTargets)
      .filter(([, t]) =>
        e.kind === 'github'
          ? t.kind === 'github' && t.repo.toLowerCase() === e.repo.toLowerCase()
          : t.kind === 'jira' && e.key.startsWith(`${t.project}-`),
      )
      .map(([name]) => name);
  }

  return { list, get, act, closeItemFromTracker };
}

export type PostmortemService = ReturnType<typeof createPostmortemService>;
