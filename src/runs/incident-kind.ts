/**
 * The `incident` workflow kind, client side: an incident per service, one open at a time. Its
 * workflow id is the service's (`incident-<service>`), reused once an incident has closed, so
 * every alert for a service with an open incident joins it, and the next one after it closed
 * opens a new one. The start signs the rules as configured now (the "definition": policy,
 * channels, windows, the runbooks to run) and the params (title, severity, service, flags).
 */
import { createHash } from 'node:crypto';
import type { AppConfig } from '../config/load';
import { incidentPolicyOf, incidentSetupOf } from '../config/incidents-schema';
import { INCIDENT_WORKFLOW, SA } from '../shared/constants';
import type { IncidentDefinition, IncidentParams, IncidentWorkflowInput } from '../shared/incident-messages';
import type { ParamValue } from '../shared/model';
import { severityOf, type Severity } from '../shared/severity';
import { RunError } from './errors';
import type { KindContext, KindStart, KindStartRequest, WorkflowKindEntry } from './kind-types';

/** What a route or the API names as the incident's target when no runbook is to run. */
export const NO_RUNBOOK = 'none';
const TITLE_MAX = 200;

/** The configuration an incident start reads (the API and the alert ingest hold the whole). */
export type IncidentConfig = Partial<Pick<AppConfig, 'incidents' | 'incidentSetup' | 'notifyTargets'>>;

/** `incident-<service>`: readable, and within Temporal's id rules whatever the service is called. */
export function incidentWorkflowId(service: string | undefined): string {
  const s = (service ?? '').trim();
  if (!s) return 'incident-unscoped';
  const slug = s
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .slice(0, 60);
  // Two services that slug alike ("a b", "a-b") still get their own incident.
  const exact = slug === s ? '' : `-${createHash('sha256').update(s).digest('hex').slice(0, 8)}`;
  return `incident-${slug}${exact}`;
}

function text(v: unknown, field: string, max: number): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw new RunError('invalid', `${field} must be text`, `params.${field}`);
  if (v.length > max) throw new RunError('invalid', `${field} is longer than ${max} characters`, `params.${field}`);
  return v;
}

function flag(v: unknown, field: string): boolean | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (v === true || v === 'true') return true;
  if (v === false || v === 'false') return false;
  throw new RunError('invalid', `${field} must be true or false`, `params.${field}`);
}

/** The params as the start signs them: severity on the one ladder, a title always. */
export function incidentParams(raw: Record<string, unknown>, config: IncidentConfig): IncidentParams {
  const known = new Set(['title', 'severity', 'service', 'security', 'dataLoss']);
  for (const k of Object.keys(raw))
    if (!known.has(k))
      throw new RunError('invalid', `unknown param '${k}' (an incident takes ${[...known].join(', ')})`, `params.${k}`);
  const scheme = (config.incidents ?? incidentPolicyOf(undefined)).severityLabels;
  const label = text(raw.severity, 'severity', 40);
  let severity: Severity = 'sev3';
  if (label !== undefined) {
    const s = severityOf(label, scheme);
    if (!s)
      throw new RunError(
        'invalid',
        `severity '${label}' is on no rung (sev1-sev4, ${scheme} labels, critical/high/warning/info)`,
        'params.severity',
      );
    severity = s;
  }
  const service = text(raw.service, 'service', 200);
  const security = flag(raw.security, 'security');
  const dataLoss = flag(raw.dataLoss, 'dataLoss');
  return {
    title: text(raw.title, 'title', TITLE_MAX) ?? `${service ?? 'unscoped'} incident`,
    severity,
    ...(service ? { service } : {}),
    ...(security ? { security } : {}),
    ...(dataLoss ? { dataLoss } : {}),
  };
}

/** The rules and channels as configured now, signed into the start. */
export function incidentDefinition(
  config: IncidentConfig,
  runbooks: IncidentDefinition['runbooks'],
): IncidentDefinition {
  const setup = config.incidentSetup ?? incidentSetupOf(undefined);
  const kindOf = (t: string) => config.notifyTargets?.[t]?.kind ?? 'webhook';
  return {
    policy: config.incidents ?? incidentPolicyOf(undefined),
    channels: {
      ...setup.channels,
      page: setup.channels.page.map((target) => ({ target, kind: kindOf(target) })),
      ...(setup.channels.statusPage ? { statusPageKind: kindOf(setup.channels.statusPage) } : {}),
    },
    monitorMs: setup.monitorMs,
    triageReminderMs: setup.triageReminderMs,
    runbooks,
  };
}

export const incidentKind: WorkflowKindEntry<IncidentWorkflowInput> & { kind: 'incident' } = {
  kind: 'incident',
  workflowType: INCIDENT_WORKFLOW,
  targetNoun: 'runbook (or none) for incident route',
  targetExists: ({ library }, id) => id === NO_RUNBOOK || library.runbooks.has(id),
  exactWorkflowId: (start) => start.workflowIdPrefix,
  resolvedStarts: false,
  prepare(ctx: KindContext, req: KindStartRequest): KindStart<IncidentWorkflowInput> {
    const config = ctx.config as IncidentConfig;
    const p = incidentParams(req.params, config);
    if (req.target !== NO_RUNBOOK && !ctx.library.runbooks.has(req.target))
      throw new RunError('not_found', `no runbook '${req.target}'`, 'runbook');
    // The runbook's params come from the incident: its service, where the runbook takes one.
    const rb = ctx.library.runbooks.get(req.target);
    const runbookParams = rb && p.service && 'service' in (rb.params ?? {}) ? { service: p.service } : {};
    const definition = incidentDefinition(
      config,
      req.target === NO_RUNBOOK ? [] : [{ id: req.target, params: runbookParams }],
    );
    const params = p as unknown as Record<string, ParamValue>;
    return {
      kind: 'incident',
      workflowType: INCIDENT_WORKFLOW,
      target: req.target,
      params,
      input: { definition },
      typedSearchAttributes: [
        { key: SA.severity, value: p.severity },
        ...(p.service ? [{ key: SA.service, value: p.service }] : []),
        { key: SA.triggerSource, value: req.trigger.source },
        { key: SA.requestedBy, value: req.trigger.requestedBy },
        { key: SA.phase, value: 'triage' },
      ],
      staticSummary: `Incident ${p.severity}: ${p.title}`.slice(0, 390),
      staticDetails: `Incident on \`${p.service ?? 'no service'}\`, opened by ${req.trigger.requestedBy} (${req.trigger.source}). Its timeline and state are in Current details; act on it with \`runbook incidents\`.`,
      workflowIdPrefix: incidentWorkflowId(p.service),
      request: { params, target: req.target },
      intent: {
        workflowType: INCIDENT_WORKFLOW,
        runbookId: req.target,
        definition,
        params,
        trigger: req.trigger,
        emergency: false,
        dryRun: false,
      },
    };
  },
  scheduled() {
    // A schedule that opens incidents is a drill, which is the chaos issue's to build.
    throw new RunError('invalid', 'incidents are not opened by schedules', 'kind');
  },
};
