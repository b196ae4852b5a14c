import { httpCheck, httpRequest } from './http';
import { notifyWebhook } from './notify';
import { DEPLOYMENT_ENTRIES } from './kubernetes/deployment';
import { POD_ENTRIES } from './kubernetes/pods';
import { WORKLOAD_ENTRIES } from './kubernetes/workloads';
import { CLUSTER_ENTRIES } from './kubernetes/cluster';
import type { CatalogEntry } from './types';

export type { CatalogEntry } from './types';
export { isMutating } from './types';

/** Every action a runbook may use, by id. Later systems (postgres, redis) add theirs here. */
export const CATALOG: ReadonlyMap<string, CatalogEntry> = new Map(
  (
    [
      httpRequest,
      httpCheck,
      notifyWebhook,
      ...DEPLOYMENT_ENTRIES,
      ...POD_ENTRIES,
      ...WORKLOAD_ENTRIES,
      ...CLUSTER_ENTRIES,
    ] as CatalogEntry[]
  ).map((e) => [e.id, e]),
);

export function catalogEntry(id: string): CatalogEntry | undefined {
  return CATALOG.get(id);
}
