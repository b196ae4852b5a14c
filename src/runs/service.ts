/**
 * Acting on runs through the Temporal client: start (idempotent), list, read, decide, cancel.
 * The HTTP API is a thin layer over this; alert triggers and schedules reuse it. What a start
 * sends depends on the workflow kind (src/runs/kinds.ts); runbook unless the caller names one.
 */
import type { ExperimentDefinition } from '../shared/experiment';
import { createHash, randomBytes } from 'node:crypto';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdConflictPolicy,
  WorkflowIdReusePolicy,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
} from '@temporalio/client';
import { runUrl, type AppConfig } from '../config/load';
import { canonicalJson } from '../shared/canonical';
import type { RunbookLibrary } from '../runbooks/library';
import { SA } from '../shared/constants';
import { decideApprovalUpdate, decideStepUpdate, decideTaskUpdate, statusQuery } from '../shared/messages';
import type { TriggerInfo } from '../shared/model';
import type { ApprovalDecisionResult, DecisionChannel, RunStatus, StepDecision } from '../shared/status';
import type { WorkflowKind } from '../shared/workflow-kinds';
import { isUnavailable, RunError } from './errors';
import { DEFAULT_DEADLINE_MS, temporalCall } from './call';
import { WORKFLOW_KIND_REGISTRY, workflowKind } from './kinds';
import { signDecision, signStart, signStepDecision, signTaskDecision } from './sign';
import { listExecutions, visibilityQuery, type ListedExecution } from './visibility';
import type { TaskDecisionResult } from '../shared/task-claims';

/** A run of a runbook, as the API, the CLI and every caller before kinds ask for it. */
export interface StartRunbookRequest extends StartCommon {
  /** @default 'runbook' */
  kind?: 'runbook';
  runbookId: string;
}

/** A run of any workflow kind, its target by id (a runbook id for `runbook`). */
export interface StartKindRequest extends StartCommon {
  kind: WorkflowKind;
  target: string;
}

export type StartRunRequest = StartRunbookRequest | StartKindRequest;

interface StartCommon {
  params: Record<string, unknown>;
  dryRun?: boolean;
  idempotencyKey?: string;
  reason?: string;
  trigger: TriggerInfo;
  /**
   * An emergency change: gates that allow it take one approval now, the rest afterwards. Only for
   * a requester the runbook's `emergency.requesters` names (RunError `forbidden` otherwise).
   */
  emergency?: boolean;
}

export interface StartedRun {
  workflowId: string;
  runId: string;
  url: string;
  /** False when an earlier request with the same idempotency key started it. */
  created: boolean;
}

export interface RunSummary extends ListedExecution {
  runbookId?: string;
  phase?: string;
  service?: string;
  severity?: string;
  triggerSource?: string;
  requestedBy?: string;
}

export interface RunDetail extends ListedExecution {
  /** The run's own status, or null when no worker could answer the query. */
  run: RunStatus | null;
}

const QUERY_DEADLINE_MS = 5000;
/** How long the in-progress counts (one visibility count per runbook) are reused for /metrics. */
const COUNT_CACHE_MS = 15_000;
/** The workflow types that are runs (every kind's); lock and control workflows are not. */
const RUN_TYPES: ReadonlySet<string> = new Set(Object.values(WORKFLOW_KIND_REGISTRY).map((k) => k.workflowType));

/** The channel a signed decision names: the CLI says it is the CLI; everything else is the API. */
/** The channel signed into a decision: the Web UI never reaches here (it signals, unsigned). */
const channelOf = (via: DecisionChannel): 'api' | 'cli' | 'slack' | 'console' => (via === 'web-ui' ? 'api' : via);

/** A decision for a run that has ended: the reason, never "no run" (it is there to read). */
function finished(status: string): RunError {
  return new RunError('conflict', `the run has already finished (${status})`);
}

export interface RunServiceDeps {
  client: Client;
  config: AppConfig;
  library: () => RunbookLibrary;
  /** The experiment library, for chaos drills. @default none */
  experiments?: () => ReadonlyMap<string, ExperimentDefinition>;
  /**
   * Deadline of one operation. The SDK retries an unreachable server for ~25 s by default; a
   * caller (a person, or Alertmanager waiting for a 5xx to retry) is better served by a prompt 503.
   * @default 8000
   */
  deadlineMs?: number;
  /** How long /metrics reuses the in-progress counts. @default 15000 */
  countCacheMs?: number;
}

export function createRunService(deps: RunServiceDeps) {
  const { client, config } = deps;

  // Deadline, and "cannot reach" / "not found" as RunErrors (src/runs/call.ts).
  const temporal = temporalCall(client, deps.deadlineMs ?? DEFAULT_DEADLINE_MS);
  const call = <T>(fn: () => Promise<T>, notFound?: string): Promise<T> => temporal(fn, notFound ? { notFound } : {});

  async function start(req: StartRunRequest): Promise<StartedRun> {
    const trigger: TriggerInfo = { ...req.trigger, ...(req.reason ? { reason: req.reason } : {}) };
    const entry = workflowKind(req.kind);
    const p = entry.prepare(
      { library: deps.library(), config, ...(deps.experiments ? { experiments: deps.experiments() } : {}) },
      {
        target: 'target' in req ? req.target : req.runbookId,
        params: req.params,
        trigger,
        dryRun: req.dryRun ?? false,
        emergency: req.emergency ?? false,
      },
    );
    const requestHash = createHash('sha256').update(canonicalJson(p.request)).digest('hex');
    const exact = entry.exactWorkflowId?.(p);
    const workflowId = exact
      ? exact
      : req.idempotencyKey
        ? `${p.workflowIdPrefix}-k${createHash('sha256').update(req.idempotencyKey).digest('hex').slice(0, 20)}`
        : `${p.workflowIdPrefix}-${new Date().toISOString().replace(/[-:]/g, '').slice(0, 15)}-${randomBytes(4).toString('hex')}`;
    return call(async () => {
      try {
        const handle = await client.workflow.start(p.workflowType, {
          taskQueue: config.taskQueue,
          workflowId,
          args: [{ ...p.input, signed: signStart(config.signingKeys(), p.intent, { workflowId }) }],
          // A key names one request for ever: a finished run is not started again by a retry.
          // An entity's id (an incident per service) is used again once its run has closed.
          workflowIdReusePolicy:
            req.idempotencyKey && !exact
              ? WorkflowIdReusePolicy.REJECT_DUPLICATE
              : WorkflowIdReusePolicy.ALLOW_DUPLICATE,
          workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
          memo: { requestHash },
          typedSearchAttributes: p.typedSearchAttributes,
          staticSummary: p.staticSummary,
          staticDetails: p.staticDetails,
        });
        return { workflowId, runId: handle.firstExecutionRunId, url: runUrl(config, workflowId), created: true };
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        const existing = await client.workflow.getHandle(workflowId).describe();
        if (exact && existing.memo?.requestHash !== requestHash)
          throw new RunError('conflict', `${workflowId} is open: act on it, or wait until it closes`, 'service');
        if (!req.idempotencyKey && !exact) throw err;
        if (existing.memo?.requestHash !== requestHash) {
          throw new RunError('conflict', 'idempotencyKey was already used for a different request', 'idempotencyKey');
        }
        return { workflowId, runId: existing.runId, url: runUrl(config, workflowId), created: false };
      }
    });
  }

  async function list(filter: {
    /** Runs of this kind only. @default 'runbook' */
    kind?: WorkflowKind;
    runbook?: string;
    phase?: string;
    service?: string;
    limit?: number;
  }): Promise<RunSummary[]> {
    const query = visibilityQuery(workflowKind(filter.kind).workflowType, [
      ['runbook', SA.runbookId, filter.runbook],
      ['phase', SA.phase, filter.phase],
      ['service', SA.service, filter.service],
    ]);
    return call(() =>
      listExecutions(client, config, query, filter.limit ?? 50, {
        runbookId: SA.runbookId,
        phase: SA.phase,
        service: SA.service,
        severity: SA.severity,
        triggerSource: SA.triggerSource,
        requestedBy: SA.requestedBy,
      }),
    );
  }

  async function get(workflowId: string): Promise<RunDetail> {
    return call(async () => {
      const handle = client.workflow.getHandle(workflowId);
      const d = await describeRun(handle, workflowId);
      let run: RunStatus | null = null;
      try {
        run = await client.connection.withDeadline(Date.now() + QUERY_DEADLINE_MS, () => handle.query(statusQuery));
      } catch (err) {
        if (isUnavailable(err) && !/deadline/i.test(String((err as Error).message))) throw err;
        run = null; // no worker answered in time: the execution facts above still stand
      }
      return {
        workflowId,
        runId: d.runId,
        status: d.status.name,
        startTime: d.startTime.toISOString(),
        ...(d.closeTime ? { closeTime: d.closeTime.toISOString() } : {}),
        url: runUrl(config, workflowId),
        run,
      };
    }, `no run '${workflowId}'`);
  }

  /**
   * A run's description; anything else by that id (a target lock, the kill switch) is not a run
   * and is answered as if absent: run routes never read, decide on or cancel them.
   */
  async function describeRun(handle: ReturnType<Client['workflow']['getHandle']>, workflowId: string) {
    const d = await handle.describe();
    if (!RUN_TYPES.has(d.type)) throw new RunError('not_found', `no run '${workflowId}'`);
    return d;
  }

  /** Sends a decision to a run; a refusal by the run's validator is a 409 naming the step. */
  async function decision<T>(
    workflowId: string,
    send: (handle: ReturnType<Client['workflow']['getHandle']>) => Promise<T>,
  ): Promise<T> {
    return call(async () => {
      const handle = client.workflow.getHandle(workflowId);
      const d = await describeRun(handle, workflowId);
      if (d.status.name !== 'RUNNING') throw finished(d.status.name);
      try {
        return await send(handle);
      } catch (err) {
        if (err instanceof WorkflowUpdateFailedError)
          throw new RunError('conflict', err.cause?.message ?? err.message, 'stepId');
        // Ended between the check and the decision: still a run, so 409, not "no run".
        if (err instanceof WorkflowNotFoundError || /already completed|closed/i.test((err as Error).message))
          throw finished((await handle.describe()).status.name);
        throw err;
      }
    }, `no run '${workflowId}'`);
  }

  async function decide(
    workflowId: string,
    d: {
      stepId: string;
      decision: 'approve' | 'reject';
      comment?: string;
      actor: string;
      via: DecisionChannel;
      /** The gate opening the decider saw (a Slack request carries it); else read from the run. */
      opening?: string;
    },
  ): Promise<ApprovalDecisionResult> {
    return decision(workflowId, async (h) => {
      // The same person sending the same decision to the same opening of a gate twice (a retried
      // request) is one decision; a gate opened again (inputs changed) takes a new one. An opening
      // the run no longer has is refused by the run itself (the signed claims name it).
      const opened =
        d.opening ?? (await h.query(statusQuery)).pendingApprovals.find((a) => a.stepId === d.stepId)?.requestedAt;
      // Signed for this run, this opening and this person: the run trusts nothing else.
      const signed = signDecision(config.signingKeys(), {
        workflowId,
        stepId: d.stepId,
        ...(opened ? { opening: opened } : {}),
        actor: d.actor,
        decision: d.decision,
        ...(d.comment ? { comment: d.comment } : {}),
        channel: channelOf(d.via),
      });
      return h.executeUpdate(decideApprovalUpdate, {
        args: [signed],
        ...(opened ? { updateId: `${d.stepId}:${opened}:${d.actor}:${d.decision}` } : {}),
      });
    });
  }

  /** Retry, skip or abort a paused step. */
  async function decideStep(
    workflowId: string,
    d: StepDecision & { via: DecisionChannel },
  ): Promise<{ stepId: string; accepted: true }> {
    const signed = signStepDecision(config.signingKeys(), {
      workflowId,
      stepId: d.stepId,
      actor: d.actor,
      action: d.action,
      ...(d.reason ? { reason: d.reason } : {}),
      channel: channelOf(d.via),
    });
    return decision(workflowId, (h) => h.executeUpdate(decideStepUpdate, { args: [signed] }));
  }

  /**
   * A manual task done, or not done (with a note). The approver groups the actor is in, as
   * configured now, are signed with it: a member of a `group:<name>` assignee may settle it.
   */
  async function decideTask(
    workflowId: string,
    d: { stepId: string; done: boolean; note?: string; actor: string; via: DecisionChannel },
  ): Promise<TaskDecisionResult> {
    const groups = Object.entries(config.approverGroups)
      .filter(([, members]) => members.includes(d.actor))
      .map(([g]) => g)
      .sort();
    const signed = signTaskDecision(config.signingKeys(), {
      workflowId,
      stepId: d.stepId,
      actor: d.actor,
      done: d.done,
      ...(d.note ? { note: d.note } : {}),
      ...(groups.length ? { groups } : {}),
      channel: channelOf(d.via),
    });
    return decision(workflowId, (h) => h.executeUpdate(decideTaskUpdate, { args: [signed] }));
  }

  async function cancel(workflowId: string): Promise<void> {
    return call(async () => {
      const handle = client.workflow.getHandle(workflowId);
      // Read first: cancelling a finished run is a no-op to Temporal but a mistake to report;
      // and only runs: the locks and the kill switch are not cancelled through the API.
      const { status } = await describeRun(handle, workflowId);
      if (status.name !== 'RUNNING') throw finished(status.name);
      await handle.cancel();
    }, `no run '${workflowId}'`);
  }

  /** Whether Temporal answers now (for /readyz). */
  async function ready(): Promise<boolean> {
    try {
      await client.connection.withDeadline(Date.now() + 3000, () => client.workflowService.getSystemInfo({}));
      return true;
    } catch {
      return false;
    }
  }

  /** Running runs per runbook in the library (one visibility count each), for the gauge. */
  // Scrapes come every few seconds from every Prometheus: counted at most once per interval.
  let counted: { at: number; value: Promise<Record<string, number>> } | undefined;
  function runningByRunbook(): Promise<Record<string, number>> {
    const now = Date.now();
    if (!counted || now - counted.at >= (deps.countCacheMs ?? COUNT_CACHE_MS)) {
      const value = countRunning();
      counted = { at: now, value };
      value.catch(() => (counted = undefined)); // a failure is not kept
    }
    return counted.value;
  }

  async function countRunning(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    const { workflowType } = workflowKind('runbook');
    for (const id of deps.library().runbooks.keys()) {
      const { count } = await client.workflow.count(
        `WorkflowType = '${workflowType}' AND ExecutionStatus = 'Running' AND ${SA.runbookId.name} = '${id}'`,
      );
      out[id] = count;
    }
    return out;
  }

  return { start, list, get, decide, decideStep, decideTask, cancel, ready, runningByRunbook, call };
}

export type RunService = ReturnType<typeof createRunService>;
