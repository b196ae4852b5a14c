/**
 * What the PostgreSQL backup tests and benchmark 9 wire the same way: a configured database on
 * a throwaway server, the backup actions' dependencies over one store, a step's context, and a
 * progress reporter that reports nowhere.
 */
import type { BackupDeps } from '../../src/activities/postgres/backup';
import { createPgConnect, createPgResolve } from '../../src/activities/postgres/client';
import { createRunPgTool } from '../../src/activities/postgres/tools';
import type { ActivityProgress } from '../../src/activities/progress';
import { createSecretResolver } from '../../src/activities/secrets';
import type { BackupStore } from '../../src/activities/storage/store';
import type { DatabaseConfig } from '../../src/config/databases-schema';
import type { StepContext } from '../../src/shared/activity-types';
import { pgBin } from './postgres';

export const inertProgress: ActivityProgress = { heartbeat: () => undefined, signal: undefined };

/** A step's context in a run `workflowId` (its idempotency key `<workflowId>/<key>`). */
export const stepContext =
  (workflowId: string, runbookId: string) =>
  (key: string): StepContext => ({
    workflowId,
    runId: 'r',
    stepId: key,
    runbookId,
    idempotencyKey: `${workflowId}/${key}`,
    dryRun: false,
  });

/** The `postgres` database of a loopback server as the superuser, as `databases.<name>` says it. */
export function localDatabase(port: number, o: { database?: string; application?: string } = {}): DatabaseConfig {
  return {
    host: '127.0.0.1',
    port,
    database: o.database ?? 'postgres',
    user: 'postgres',
    application_name: o.application ?? 'test',
  };
}

/** The backup actions' dependencies: `orders` on that server, one store for every name. */
export function backupDeps(o: {
  port: number;
  store: BackupStore;
  workDir?: string;
  application?: string;
}): BackupDeps {
  const resolve = createPgResolve({
    databases: { orders: localDatabase(o.port, o.application ? { application: o.application } : {}) },
    secrets: createSecretResolver({ env: {} }),
  });
  return {
    connect: createPgConnect({ resolve }),
    resolve,
    runTool: createRunPgTool({ binDir: pgBin() }),
    openStore: async () => o.store,
    progress: () => inertProgress,
    ...(o.workDir ? { workDir: o.workDir } : {}),
  };
}
