/**
 * Incidents through the Temporal client: open, list, show, act (every action signed for the
 * incident it names) and the MTTR report. An incident is named by its id (`INC-...`, the
 * IncidentId search attribute) or by its workflow id (`incident-<service>`: the open one).
 */
import { randomBytes } from 'node:crypto';
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { runUrl, type AppConfig } from '../config/load';
import { sign } from '../platform/signing';
import { INCIDENT_WORKFLOW, SA } from '../shared/constants';
import { accounting, type IncidentAccounting, type IncidentRecord } from '../shared/incident';
import {
  incidentActionUpdate,
  incidentQuery,
  type IncidentAction,
  type IncidentActionClaims,
  type IncidentActionResult,
  type IncidentStatus,
} from '../shared/incident-messages';
import { DECISION_TTL_MS } from '../shared/signed';
import { SEVERITIES, type Severity } from '../shared/severity';
import type { DecisionChannel } from '../shared/status';
import { DEFAULT_DEADLINE_MS, temporalCall } from './call';
import { RunError } from './errors';
import { NO_RUNBOOK } from './incident-kind';
import { listExecutions, visibilityQuery, type ListedExecution } from './visibility';
import type { RunService, StartedRun } from './service';

const SAFE = /^[A-Za-z0-9_.:@\-/]+$/;
const QUERY_DEADLINE_MS = 5000;

export interface IncidentSummary extends ListedExecution {
  incidentId?: string;
  state?: string;
  severity?: string;
  service?: string;
}

export interface OpenIncidentRequest {
  title?: string;
  severity?: string;
  service?: string;
  runbook?: string;
  security?: boolean;
  dataLoss?: boolean;
  actor: string;
  via: 'api' | 'cli' | 'slack' | 'console';
  reason?: string;
}

export interface IncidentReportRow {
  key: string;
  incidents: number;
  mttdMs?: number;
  mttaMs?: number;
  mttrMs?: number;
  firstAutomatedMs?: number;
  approvalWaitMs: number;
  withoutHuman: number;
}

export interface IncidentReport {
  since: string;
  incidents: number;
  bySeverity: Array<IncidentReportRow & { targetMs: number; met: number }>;
  byService: IncidentReportRow[];
}

export interface IncidentDetail {
  workflowId: string;
  runId: string;
  status: string;
  url: string;
  /** The incident's own status, or null when no worker answered in time. */
  incident: IncidentStatus | null;
  /** Its runbooks still running: phase, and the approval steps they wait for (approve them as any run's). */
  runbooks: Array<{ workflowId: string; runbookId: string; phase?: string; pendingApprovals?: string[] }>;
}

/** Running runbooks of an incident asked for their phase when it is shown. */
const RUNBOOKS_SHOWN = 10;

/** Seed 004's MTTR targets, by rung: P0 < 4 h, P1 < 2 h, P2 < 4 h, P3 < 8 h. */
export const MTTR_TARGETS_MS: Record<Severity, number> = {
  sev1: 4 * 3_600_000,
  sev2: 2 * 3_600_000,
  sev3: 4 * 3_600_000,
  sev4: 8 * 3_600_000,
};

const channel = (via: DecisionChannel | 'console'): IncidentActionClaims['channel'] =>
  via === 'web-ui' ? 'api' : (via as IncidentActionClaims['channel']);

export function createIncidentService(deps: {
  client: Client;
  config: AppConfig;
  runs: Pick<RunService, 'start' | 'get'>;
  deadlineMs?: number;
}) {
  const { client, config } = deps;
  const call = temporalCall(client, deps.deadlineMs ?? DEFAULT_DEADLINE_MS);

  async function open(req: OpenIncidentRequest): Promise<StartedRun> {
    return deps.runs.start({
      kind: 'incident',
      target: req.runbook ?? NO_RUNBOOK,
      params: {
        ...(req.title ? { title: req.title } : {}),
        ...(req.severity ? { severity: req.severity } : {}),
        ...(req.service ? { service: req.service } : {}),
        ...(req.security ? { security: true } : {}),
        ...(req.dataLoss ? { dataLoss: true } : {}),
      },
      trigger: { source: req.via === 'console' ? 'api' : req.via, requestedBy: req.actor },
      ...(req.reason ? { reason: req.reason } : {}),
    });
  }

  async function list(f: { state?: string; severity?: string; service?: string; limit?: number; since?: string }) {
    const query = visibilityQuery(
      INCIDENT_WORKFLOW,
      [
        ['state', SA.phase, f.state],
        ['severity', SA.severity, f.severity],
        ['service', SA.service, f.service],
      ],
      f.since ? [`StartTime >= '${new Date(f.since).toISOString()}'`] : [],
    );
    return call((): Promise<IncidentSummary[]> =>
      listExecutions(client, config, query, f.limit ?? 50, {
        incidentId: SA.incidentId,
        state: SA.phase,
        severity: SA.severity,
        service: SA.service,
      }),
    );
  }

  /** The run an incident reference names: an incident id, or an incident workflow id (its latest run). */
  async function locate(ref: string): Promise<{ workflowId: string; runId?: string }> {
    if (!SAFE.test(ref)) throw new RunError('invalid', 'an incident id or workflow id', 'id');
    if (!ref.startsWith('INC-')) return { workflowId: ref };
    const query = `WorkflowType = '${INCIDENT_WORKFLOW}' AND ${SA.incidentId.name} = '${ref}'`;
    const found = await call(async () => {
      for await (const wf of client.workflow.list({ query, pageSize: 10 })) return wf;
      return undefined;
    });
    if (!found) throw new RunError('not_found', `no incident '${ref}'`, 'id');
    // A continued incident has several runs with its id: the latest is the one that answers.
    return { workflowId: found.workflowId, runId: found.runId };
  }

  async function get(ref: string): Promise<IncidentDetail> {
    const { workflowId, runId } = await locate(ref);
    return call(
      async () => {
        // An incident id names its own run: the service's later incidents share the workflow id.
        const h = client.workflow.getHandle(workflowId, runId);
        const d = await h.describe();
        if (d.type !== INCIDENT_WORKFLOW) throw new RunError('not_found', `no incident '${ref}'`, 'id');
        let incident: IncidentStatus | null = null;
        try {
          incident = await client.connection.withDeadline(Date.now() + QUERY_DEADLINE_MS, () => h.query(incidentQuery));
        } catch {
          incident = null;
        }
        return {
          workflowId,
          runId: d.runId,
          status: d.status.name,
          url: runUrl(config, workflowId),
          incident,
          runbooks: incident ? await runbooks(incident) : [],
        };
      },
      { notFound: `no incident '${ref}'`, field: 'id' },
    );
  }

  /** The incident's runbooks still running, as their runs say now: phase and the approvals they wait for. */
  async function runbooks(i: IncidentStatus): Promise<IncidentDetail['runbooks']> {
    const running = i.children.filter((c) => c.state === 'running').slice(-RUNBOOKS_SHOWN);
    return Promise.all(
      running.map(async (c) => {
        const r = await deps.runs.get(c.workflowId).catch(() => undefined);
        return {
          workflowId: c.workflowId,
          runbookId: c.runbookId,
          ...(r?.run ? { phase: r.run.phase, pendingApprovals: r.run.pendingApprovals.map((a) => a.stepId) } : {}),
        };
      }),
    );
  }

  async function act(
    ref: string,
    action: IncidentAction,
    who: { actor: string; via: DecisionChannel | 'console'; requestId?: string },
  ): Promise<IncidentActionResult & { incidentId: string; workflowId: string }> {
    const shown = await get(ref);
    if (shown.status !== 'RUNNING' || !shown.incident)
      throw new RunError('conflict', `the incident has ended (${shown.status})`, 'id');
    const incidentId = shown.incident.record.id;
    const requestId = who.requestId ?? randomBytes(12).toString('hex');
    const claims: IncidentActionClaims = {
      purpose: 'incident-action',
      workflowId: shown.workflowId,
      incidentId,
      actor: who.actor,
      action,
      channel: channel(who.via),
      requestId,
      expiresAt: new Date(Date.now() + DECISION_TTL_MS).toISOString(),
    };
    return call(async () => {
      try {
        const r = await client.workflow
          .getHandle(shown.workflowId)
          .executeUpdate(incidentActionUpdate, { args: [sign(config.signingKeys(), claims)], updateId: requestId });
        return { ...r, incidentId, workflowId: shown.workflowId };
      } catch (err) {
        if (err instanceof WorkflowUpdateFailedError)
          throw new RunError('conflict', err.cause?.message ?? err.message, 'action');
        throw err;
      }
    });
  }

  /** MTTD, MTTA, MTTR, first automated action, approval waits and hands-off share, by severity and service. */
  async function report(sinceMs: number): Promise<IncidentReport> {
    const since = new Date(Date.now() - sinceMs).toISOString();
    const rows = await list({ since, limit: 1000 });
    const records: IncidentRecord[] = [];
    // One record per incident: a continued incident's runs share its id.
    const seen = new Set<string>();
    for (const row of rows) {
      if (row.incidentId && seen.has(row.incidentId)) continue;
      const r = await call(async () => {
        const h = client.workflow.getHandle(row.workflowId, row.runId);
        if (row.status === 'COMPLETED') return (await h.result()) as IncidentRecord;
        if (row.status !== 'RUNNING') return undefined;
        try {
          return (await client.connection.withDeadline(Date.now() + QUERY_DEADLINE_MS, () => h.query(incidentQuery)))
            .record;
        } catch {
          return undefined;
        }
      });
      if (!r || seen.has(r.id)) continue;
      seen.add(r.id);
      records.push(r);
    }
    const group = (key: (r: IncidentRecord) => string) => {
      const m = new Map<string, IncidentRecord[]>();
      for (const r of records) m.set(key(r), [...(m.get(key(r)) ?? []), r]);
      return m;
    };
    const bySeverity = SEVERITIES.flatMap((sev) => {
      const rs = group((r) => r.severity).get(sev);
      if (!rs) return [];
      const row = summarize(sev, rs);
      const met = rs.filter((r) => (accounting(r).mttrMs ?? Infinity) <= MTTR_TARGETS_MS[sev]).length;
      return [{ ...row, targetMs: MTTR_TARGETS_MS[sev], met }];
    });
    const byService = [...group((r) => r.service ?? '(none)')]
      .map(([k, rs]) => summarize(k, rs))
      .sort((a, b) => (a.key < b.key ? -1 : 1));
    return { since, incidents: records.length, bySeverity, byService };
  }

  return { open, list, get, act, report, locate };
}

export type IncidentService = ReturnType<typeof createIncidentService>;

function summarize(key: string, rs: IncidentRecord[]): IncidentReportRow {
  const acc: IncidentAccounting[] = rs.map(accounting);
  const mean = (k: 'mttdMs' | 'mttaMs' | 'mttrMs' | 'firstAutomatedMs'): number | undefined => {
    const v = acc.map((a) => a[k]).filter((x): x is number => x !== undefined);
    return v.length ? Math.round(v.reduce((s, x) => s + x, 0) / v.length) : undefined;
  };
  return {
    key,
    incidents: rs.length,
    ...defined({
      mttdMs: mean('mttdMs'),
      mttaMs: mean('mttaMs'),
      mttrMs: mean('mttrMs'),
      firstAutomatedMs: mean('firstAutomatedMs'),
    }),
    approvalWaitMs: acc.reduce((s, a) => s + a.approvalWaitMs, 0),
    withoutHuman: acc.filter((a) => a.remediatedWithoutHuman).length,
  };
}

function defined<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
