/** The API as every process mounts it (npm start, the standalone API, tests): services over one client. */
import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { createAlertTrigger } from '../alerts';
import type { AppConfig } from '../config/load';
import type { RunbookLibrary } from '../runbooks/library';
import { createControlService } from '../runs/control';
import { createRunService, type RunService } from '../runs/service';
import { createIncidentService } from '../runs/incidents';
import { createRecoveryService } from '../runs/recovery';
import { createDrillService } from '../runs/drills';
import type { ExperimentLibrary } from '../experiments/library';
import { createPostmortemService } from '../runs/postmortems';
import { createScheduleService } from '../schedules/service';
import { buildApp } from './app';
import { createSlackVerifier } from './slack-signature';
import { join } from 'node:path';
import type { AuditEntry } from './audit';
import { createJsonLines } from '../platform/json-lines';

const NO_EXPERIMENTS: ExperimentLibrary = { dir: '', experiments: new Map(), files: new Map(), problems: [] };

export function buildProductApi(o: {
  client: Client;
  config: AppConfig;
  library: () => RunbookLibrary;
  /** The experiment library (chaos drills). @default none loaded */
  experiments?: () => ExperimentLibrary;
  logger?: boolean;
  deadlineMs?: number;
}): { app: FastifyInstance; runs: RunService } {
  const { client, config, library } = o;
  const experiments = o.experiments ?? (() => NO_EXPERIMENTS);
  const runs = createRunService({
    client,
    config,
    library,
    experiments: () => experiments().experiments,
    ...(o.deadlineMs ? { deadlineMs: o.deadlineMs } : {}),
  });
  const drills = createDrillService({
    runs,
    client,
    experiments: () => experiments().experiments,
    files: () => experiments().files,
  });
  const alerts = createAlertTrigger({ client, config, library, call: runs.call });
  const deadline = o.deadlineMs ? { deadlineMs: o.deadlineMs } : {};
  const incidents = createIncidentService({ client, config, runs, ...deadline });
  const recovery = createRecoveryService({ runs, client, config });
  const postmortems = createPostmortemService({ client, config, ...deadline });
  const app = buildApp({
    runs,
    control: createControlService({ client, config }),
    alerts,
    incidents,
    recovery,
    drills,
    postmortems,
    ticketWebhooks: config.ticketWebhooks,
    schedules: createScheduleService({
      client,
      config,
      library,
      ...(o.deadlineMs ? { deadlineMs: o.deadlineMs } : {}),
    }),
    library,
    tokens: config.tokens,
    signingKeys: config.signingKeys,
    registry: new Registry(),
    inProgress: runs.runningByRunbook,
    devInbox: config.api.devInbox,
    oncall: config.oncall,
    ...(config.slack.signingSecret
      ? {
          slack: {
            verifier: createSlackVerifier(config.slack.signingSecret),
            users: config.slack.users,
            responseUrlOrigins: config.slack.responseUrlOrigins,
          },
        }
      : {}),
    audit: createJsonLines<AuditEntry>(join(config.dataDir, 'audit', 'audit.jsonl')),
    logger: o.logger ?? false,
  });
  return { app, runs };
}
