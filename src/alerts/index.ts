/** The alert trigger as the API mounts it: routes checked against the library, journal, ingest. */
import type { Client } from '@temporalio/client';
import type { AppConfig } from '../config/load';
import type { RunbookLibrary } from '../runbooks/library';
import { createAlertIngest, type AlertIngest, type AlertResult } from './ingest';
import { createFileJournal, type AlertJournal } from './journal';
import { createRouter } from './router';
import type { AlertRouteConfig } from '../config/schema';
import { workflowKind } from '../runs/kinds';
import type { AlertSource } from '../shared/alert';
import { DEFAULT_WORKFLOW_KIND } from '../shared/workflow-kinds';

export interface AlertTrigger {
  ingest: AlertIngest;
  journal: AlertJournal;
  /** The routing rules as configured, each with its kind (the default written out), for reading. */
  routes: readonly AlertRouteConfig[];
  pagerdutySecret?: Buffer;
  genericSecret?: Buffer;
  /** Set by the API to count outcomes in its metrics. */
  onOutcome?: (source: AlertSource, r: AlertResult) => void;
}

export function createAlertTrigger(deps: {
  client: Client;
  config: Pick<AppConfig, 'taskQueue' | 'approverGroups' | 'alerts' | 'signingKeys'> &
    Partial<Pick<AppConfig, 'incidents' | 'incidentSetup' | 'notifyTargets'>>;
  library: () => RunbookLibrary;
  call: <T>(fn: () => Promise<T>) => Promise<T>;
  log?: (message: string) => void;
}): AlertTrigger {
  const { alerts } = deps.config;
  const router = createRouter(alerts.routes, (id, kind) =>
    workflowKind(kind).targetExists({ library: deps.library(), config: deps.config }, id),
  );
  const journal = createFileJournal(alerts.journalDir);
  const trigger: AlertTrigger = {
    journal,
    routes: alerts.routes.map((r) => ({ ...r, kind: r.kind ?? DEFAULT_WORKFLOW_KIND })),
    ingest: createAlertIngest({
      ...deps,
      router,
      journal,
      onOutcome: (s, r) => trigger.onOutcome?.(s, r),
      log: deps.log ?? ((m) => console.warn(`[alerts] ${m}`)),
    }),
    ...(alerts.pagerdutySecret ? { pagerdutySecret: alerts.pagerdutySecret } : {}),
    ...(alerts.genericSecret ? { genericSecret: alerts.genericSecret } : {}),
  };
  return trigger;
}
