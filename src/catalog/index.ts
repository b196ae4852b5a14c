/**
 * The action catalog: one list of systems, each with its entries. Adding an action is its entry
 * in the system's file and a line in that system's list; adding a system is a line here (and
 * its activities, src/activities/index.ts).
 */
import { httpCheck, httpRequest } from './http';
import { CLUSTER_ENTRIES } from './kubernetes/cluster';
import { DEPLOYMENT_ENTRIES } from './kubernetes/deployment';
import { NODE_ENTRIES } from './kubernetes/nodes';
import { POD_ENTRIES } from './kubernetes/pods';
import { WORKLOAD_ENTRIES } from './kubernetes/workloads';
import { pgBackupCreate, pgBackupList, pgBackupPrune, pgBackupRestore } from './postgres/backup';
import { pgDatabaseDrop } from './postgres/database';
import { pgHealthRead } from './postgres/health';
import {
  pgArchiveRead,
  pgConnectionTerminate,
  pgIndexReindex,
  pgServerPromote,
  pgTableVacuum,
} from './postgres/maintenance';
import { PITR_ENTRIES } from './postgres/pitr';
import { pgQuerySmoke } from './postgres/query';
import { notifyWebhook } from './notify';
import { notifyPagerDutyEvent } from './pagerduty';
import { notifySlackPost, notifySlackUpdate } from './slack';
import { notifyRedisPublish } from './redis-event';
import { REDIS_ENTRIES } from './redis';
import { drReportArchive } from './recovery';
import { notifyStatuspageIncident } from './statuspage';
import { notifyEmailSend } from './email';
import { ticketIssueClose, ticketIssueComment, ticketIssueCreate } from './tickets';
import type { CatalogEntry } from './types';

export type { CatalogEntry, ExampleNeeds } from './types';
export { isMutating, requiresApproval } from './types';

/** Every system and its actions; an id's first part names its system. */
export const CATALOG_SYSTEMS: Readonly<Record<string, readonly CatalogEntry[]>> = {
  http: [httpRequest, httpCheck],
  notify: [
    notifyWebhook,
    notifyPagerDutyEvent,
    notifySlackPost,
    notifySlackUpdate,
    notifyEmailSend,
    notifyStatuspageIncident,
    notifyRedisPublish,
  ],
  ticket: [ticketIssueCreate, ticketIssueComment, ticketIssueClose],
  pg: [
    pgHealthRead,
    pgQuerySmoke,
    pgBackupCreate,
    pgBackupList,
    pgBackupRestore,
    pgBackupPrune,
    pgDatabaseDrop,
    pgTableVacuum,
    pgIndexReindex,
    pgConnectionTerminate,
    pgServerPromote,
    pgArchiveRead,
    ...PITR_ENTRIES,
  ],
  redis: REDIS_ENTRIES,
  dr: [drReportArchive],
  k8s: [
    ...DEPLOYMENT_ENTRIES,
    ...POD_ENTRIES,
    ...WORKLOAD_ENTRIES,
    ...CLUSTER_ENTRIES,
    ...NODE_ENTRIES,
  ] as CatalogEntry[],
};

/** Every action a runbook may use, by id. */
export const CATALOG: ReadonlyMap<string, CatalogEntry> = new Map(
  Object.values(CATALOG_SYSTEMS)
    .flat()
    .map((e) => [e.id, e]),
);

/** Ids actions had before they were renamed: runbooks naming them still load, as the new id. */
export const FORMER_IDS: ReadonlyMap<string, CatalogEntry> = new Map(
  [...CATALOG.values()].flatMap((e) => (e.formerly?.ids ?? []).map((old) => [old, e] as const)),
);

/** The entry an action id names, by its id or a former one. */
export function catalogEntry(id: string): CatalogEntry | undefined {
  return CATALOG.get(id) ?? FORMER_IDS.get(id);
}
