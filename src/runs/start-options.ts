/**
 * What starting a run sends to Temporal, whoever starts it (API, CLI, alert): the compiled
 * runbook and validated params in the input, the approver groups as configured now, search
 * attributes and the Web UI's summary and details.
 */
import type { SearchAttributePair } from '@temporalio/common';
import type { AppConfig } from '../config/load';
import { approverGroupsFor } from '../runbooks/approvers';
import { resolveParams } from '../runbooks/params';
import type { RunbookLibrary } from '../runbooks/library';
import { SA } from '../shared/constants';
import type { ParamValue, RunbookDefinition, TriggerInfo } from '../shared/model';
import type { RunbookWorkflowInput } from '../shared/workflow-types';
import { staticDetails, staticSummary } from '../shared/run-summary';
import { checkEmergencyStart } from './emergency';
import { RunError } from './errors';
import { renderServiceName } from './service-name';

export interface PreparedStart {
  runbook: RunbookDefinition;
  params: Record<string, ParamValue>;
  input: RunbookWorkflowInput;
  typedSearchAttributes: SearchAttributePair[];
  staticSummary: string;
  staticDetails: string;
}

export function prepareStart(
  library: RunbookLibrary,
  config: Pick<AppConfig, 'approverGroups'>,
  req: {
    runbookId: string;
    params: Record<string, unknown>;
    trigger: TriggerInfo;
    dryRun?: boolean;
    emergency?: boolean;
    extra?: Partial<RunbookWorkflowInput>;
  },
): PreparedStart {
  const runbook = library.runbooks.get(req.runbookId);
  if (!runbook) throw new RunError('not_found', `no runbook '${req.runbookId}'`, 'runbook');
  if (req.emergency) checkEmergencyStart(runbook, config, req.trigger.requestedBy);
  const resolved = resolveParams(runbook.params, req.params);
  if ('errors' in resolved) {
    const first = resolved.errors[0] as { field: string; message: string };
    throw new RunError('invalid', resolved.errors.map((e) => `${e.field}: ${e.message}`).join('; '), first.field);
  }
  const params = resolved.params;
  const dryRun = req.dryRun ?? false;
  let approverGroups: Record<string, string[]>;
  try {
    approverGroups = approverGroupsFor(runbook, config.approverGroups);
  } catch (err) {
    throw new RunError('invalid', (err as Error).message, 'runbook');
  }
  const { trigger } = req;
  const input: RunbookWorkflowInput = {
    runbook,
    params,
    dryRun,
    trigger,
    ...(Object.keys(approverGroups).length ? { approverGroups } : {}),
    ...(req.emergency ? { emergency: true } : {}),
    // The typed search attributes below carry them: the run need not write them again.
    attributesSet: true,
    ...req.extra,
  };
  const service = renderServiceName(runbook, params);
  return {
    runbook,
    params,
    input,
    typedSearchAttributes: [
      { key: SA.runbookId, value: runbook.id },
      { key: SA.triggerSource, value: trigger.source },
      { key: SA.requestedBy, value: trigger.requestedBy },
      { key: SA.phase, value: 'starting' },
      ...(service ? [{ key: SA.service, value: service }] : []),
      ...(runbook.severity ? [{ key: SA.severity, value: runbook.severity }] : []),
    ],
    staticSummary: staticSummary(runbook, params, dryRun),
    staticDetails: staticDetails(runbook, params, trigger),
  };
}
