/**
 * The PostgreSQL activities: catalog entries bound to their implementations, over a connector
 * that opens one connection per call to a database named in configuration (client.ts says why),
 * the client tools (pg_dump, pg_restore) and the backup stores; point-in-time recovery (pitr-*.ts)
 * adds base backups and scratch clusters on the worker.
 */
import { pgBackupCreate, pgBackupList, pgBackupPrune, pgBackupRestore } from '../../catalog/postgres/backup';
import { pgDatabaseDrop } from '../../catalog/postgres/database';
import { pgHealthRead } from '../../catalog/postgres/health';
import {
  pgArchiveRead,
  pgConnectionTerminate,
  pgIndexReindex,
  pgServerPromote,
  pgTableVacuum,
} from '../../catalog/postgres/maintenance';
import { pgBasebackupCreate, pgPitrRestore, pgScratchQuery, pgScratchRemove } from '../../catalog/postgres/pitr';
import { pgQuerySmoke } from '../../catalog/postgres/query';
import { envelope, type StepMetrics } from '../envelope';
import type { Redactor } from '../redact';
import { createBackupAction, createListAction, type BackupDeps } from './backup';
import { createHealthAction } from './health';
import {
  createArchiveAction,
  createPromoteAction,
  createReindexAction,
  createTerminateAction,
  createVacuumAction,
} from './maintenance';
import { createScratchQueryAction, createScratchRemoveAction } from './pitr-actions';
import { createBaseBackupAction } from './pitr-basebackup';
import { createPitrRestoreAction, type PitrRestoreDeps } from './pitr-restore';
import { createDropAction, createRestoreAction } from './restore';
import { createPruneAction } from './retention';
import { createSmokeAction } from './smoke';

export function createPostgresActivities(
  deps: BackupDeps & {
    metrics: StepMetrics;
    redact?: Redactor;
    /** Point-in-time recovery's own settings (the server binaries' folder, the restore helper). */
    pitr?: Partial<Pick<PitrRestoreDeps, 'binDir' | 'restoreCommandScript' | 'pollMs'>>;
  },
) {
  const m = deps.metrics;
  const health = createHealthAction(deps.connect);
  const smoke = createSmokeAction(deps.connect);
  const backup = createBackupAction(deps);
  const list = createListAction(deps);
  const restore = createRestoreAction(deps);
  const drop = createDropAction(deps);
  const prune = createPruneAction(deps);
  const vacuum = createVacuumAction(deps.connect, deps.progress);
  const reindex = createReindexAction(deps.connect, deps.progress);
  const terminate = createTerminateAction(deps.connect);
  const promote = createPromoteAction(deps.connect);
  const archive = createArchiveAction(deps.connect);
  const pitrDeps: PitrRestoreDeps = { ...deps, ...deps.pitr };
  const basebackup = createBaseBackupAction(pitrDeps);
  const pitrRestore = createPitrRestoreAction(pitrDeps);
  const scratchQuery = createScratchQueryAction(pitrDeps);
  const scratchRemove = createScratchRemoveAction(pitrDeps);
  return {
    [pgHealthRead.id]: envelope(pgHealthRead, (i) => health(i), m, deps.redact),
    [pgQuerySmoke.id]: envelope(pgQuerySmoke, (i) => smoke(i), m, deps.redact),
    [pgBackupCreate.id]: envelope(pgBackupCreate, (i, ctx) => backup(i, ctx), m, deps.redact),
    [pgBackupList.id]: envelope(pgBackupList, (i) => list(i), m, deps.redact),
    [pgBackupRestore.id]: envelope(pgBackupRestore, (i, ctx) => restore(i, ctx), m, deps.redact),
    [pgBackupPrune.id]: envelope(pgBackupPrune, (i) => prune(i), m, deps.redact),
    [pgDatabaseDrop.id]: envelope(pgDatabaseDrop, (i) => drop(i), m, deps.redact),
    [pgTableVacuum.id]: envelope(pgTableVacuum, (i) => vacuum(i), m, deps.redact),
    [pgIndexReindex.id]: envelope(pgIndexReindex, (i) => reindex(i), m, deps.redact),
    [pgConnectionTerminate.id]: envelope(pgConnectionTerminate, (i) => terminate(i), m, deps.redact),
    [pgServerPromote.id]: envelope(pgServerPromote, (i) => promote(i), m, deps.redact),
    [pgArchiveRead.id]: envelope(pgArchiveRead, (i) => archive(i), m, deps.redact),
    [pgBasebackupCreate.id]: envelope(pgBasebackupCreate, (i, ctx) => basebackup(i, ctx), m, deps.redact),
    [pgPitrRestore.id]: envelope(pgPitrRestore, (i, ctx) => pitrRestore(i, ctx), m, deps.redact),
    [pgScratchQuery.id]: envelope(pgScratchQuery, (i) => scratchQuery(i), m, deps.redact),
    [pgScratchRemove.id]: envelope(pgScratchRemove, (i) => scratchRemove(i), m, deps.redact),
  };
}
