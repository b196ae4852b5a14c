/**
 * `pg:pitr:restore`: a base backup plus archived WAL, recovered to a target time into a scratch
 * cluster (pitr-scratch.ts) that the action starts on a loopback port and leaves running.
 *
 * Order, so that nothing half-made is ever mistaken for a result: the state file first (phase
 * `recovering`), then the base backup fetched and checked against the manifest's sha256, our
 * configuration, the server started with WAL served by the worker (pitr-fetch.ts), and only
 * once PostgreSQL has promoted, the state `ready` with the result. A retry of the same step reads
 * the state: ready is answered again (restarted if it stopped), anything else is stopped and
 * wiped and done again. Any failure or a cancel removes the scratch cluster.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chown, mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { PgPitrRestoreInput, PgPitrRestoreResult } from '../../catalog/postgres/pitr';
import { projectRoot } from '../../platform/project-root';
import { freePort, portFree } from '../../platform/ports';
import type { StepContext } from '../../shared/activity-types';
import { FAILURE } from '../../shared/failures';
import { permanent } from '../errors';
import { throttled } from '../progress';
import type { BackupStore } from '../storage/store';
import { records } from './client';
import type { PitrDeps } from './pitr-basebackup';
import { writeScratchConfig } from './pitr-config';
import { startFetchServer } from './pitr-fetch';
import { startServer, waitForPromotion } from './pitr-recovery';
import { basePrefixOf, nextSegment, pickBase, pitrPrefixOf, SAFE_PATH, targetOf } from './pitr-layout';
import { BASE_MANIFEST_FILE, listBaseBackups, readBaseManifest, type BaseManifest } from './pitr-manifest';
import {
  connectScratch,
  postmasterPid,
  readState,
  removeScratch,
  scratchPaths,
  withScratchLock,
  writeState,
  type ScratchPaths,
  type ScratchState,
} from './pitr-scratch';
import { runCommand, serverUser, type OsUser } from './pitr-spawn';

export interface PitrRestoreDeps extends PitrDeps {
  /** The compiled restore_command helper. @default pitr-restore-command.js beside this file, or in dist/ */
  restoreCommandScript?: string;
  /** How often recovery is looked at. @default 500 */
  pollMs?: number;
}

export const scratchNameOf = (ctx: StepContext, name?: string): string =>
  name ?? `pitr-${createHash('sha256').update(ctx.idempotencyKey).digest('hex').slice(0, 12)}`;

function helperScript(o: PitrRestoreDeps): string {
  if (o.restoreCommandScript) return o.restoreCommandScript;
  const beside = join(__dirname, 'pitr-restore-command.js');
  return existsSync(beside) ? beside : join(projectRoot(), 'dist/src/activities/postgres/pitr-restore-command.js');
}

async function chooseBase(store: BackupStore, root: string, which: string, target: Date | undefined) {
  if (which !== 'auto') {
    const key = `${basePrefixOf(root)}${which}/${BASE_MANIFEST_FILE}`;
    if (!(await store.head(key))) throw permanent(`no complete base backup '${which}' (${key})`, FAILURE.NotFound);
    return readBaseManifest(store, key);
  }
  const { backups } = await listBaseBackups(store, root);
  if (!backups.length) throw permanent(`no complete base backup under ${basePrefixOf(root)}`, FAILURE.NotFound);
  const picked = pickBase(backups, target);
  if (!picked) {
    const oldest = [...backups].sort((a, b) => a.consistentAt.localeCompare(b.consistentAt))[0];
    throw permanent(
      `target ${target?.toISOString()} is older than the oldest base backup (${oldest?.id}, consistent at ` +
        `${oldest?.consistentAt}): it cannot be reached`,
      FAILURE.InvalidInput,
    );
  }
  return picked;
}

export function createPitrRestoreAction(deps: PitrRestoreDeps) {
  const now = deps.now ?? (() => new Date());
  const pollMs = deps.pollMs ?? 500;
  return async (i: PgPitrRestoreInput, ctx: StepContext): Promise<PgPitrRestoreResult> => {
    const started = performance.now();
    const target = targetOf(i.targetTime);
    if (target && target.getTime() > now().getTime())
      throw permanent(`target ${i.targetTime} is in the future`, FAILURE.InvalidInput);
    const name = scratchNameOf(ctx, i.name);
    const p = scratchPaths(deps.workDir, name);
    const as = await serverUser();
    return withScratchLock(p, async () => {
      const existing = await readState(p);
      if (existing && existing.stepKey !== ctx.idempotencyKey)
        throw permanent(
          `scratch cluster ${name} exists, made by another step: remove it first (pg:scratch:remove) or name another`,
          FAILURE.InvalidInput,
        );
      if (existing?.phase === 'ready' && existing.result) {
        // A reboot stopped it: it is promoted already, so a plain start.
        if (!(await postmasterPid(p))) await startServer(p, existing.majorVersion, as, deps.binDir, true);
        return { ...(existing.result as PgPitrRestoreResult), changed: false };
      }
      // Half-made by an attempt that died: never started twice, never resumed from an unknown state.
      if (existing) await removeScratch(p, as, deps.binDir);
      else await rm(p.dir, { recursive: true, force: true });

      // A fixed port is the application's: something there (the old primary on this host) is not ours to share.
      if (i.port !== undefined && !(await portFree(i.listen, i.port)))
        throw permanent(
          `port ${i.port} on ${i.listen} is in use on the worker's host: stop what listens there or choose another port`,
          FAILURE.InvalidInput,
        );
      const store = await deps.openStore(i.store);
      const root = pitrPrefixOf(i.database, i.prefix);
      const base = await chooseBase(store, root, i.backup, target);
      if (target && target.getTime() < Date.parse(base.consistentAt))
        throw permanent(
          `target ${i.targetTime} is before base backup ${base.id} is consistent (${base.consistentAt}): choose an ` +
            'older base backup or a later target',
          FAILURE.InvalidInput,
        );
      try {
        return await restore({ i, p, as, base, store, name, ctx, started });
      } catch (err) {
        await removeScratch(p, as, deps.binDir).catch(() => undefined);
        throw err;
      }
    });
  };

  async function restore(o: {
    i: PgPitrRestoreInput;
    p: ScratchPaths;
    as: OsUser | undefined;
    base: BaseManifest;
    store: BackupStore;
    name: string;
    ctx: StepContext;
    started: number;
  }): Promise<PgPitrRestoreResult> {
    const { i, p, as, base, store } = o;
    const progress = deps.progress();
    const beat = throttled(progress);
    const signal = progress.signal;
    const major = Math.floor(base.serverVersionNum / 10_000);
    const own = async (dir: string, mode: number): Promise<void> => {
      await mkdir(dir, { recursive: true, mode });
      if (as) await chown(dir, as.uid, as.gid);
    };
    await own(p.dir, 0o700);
    const state: ScratchState = {
      name: o.name,
      stepKey: o.ctx.idempotencyKey,
      phase: 'recovering',
      port: i.port ?? (await freePort()),
      listen: i.listen,
      majorVersion: major,
      superuser: base.superuser,
      dbname: base.dbname,
      backupId: base.id,
      targetTime: i.targetTime,
      createdAt: now().toISOString(),
    };
    const where = { port: state.port, listen: i.listen };
    await writeState(p, state);

    const downloadStarted = performance.now();
    const tar = join(p.dir, base.compressed ? 'base.tar.gz' : 'base.tar');
    const got = await store.getFile(base.base.key, tar, {
      onProgress: (bytes) => beat({ phase: 'download', bytes }),
      ...(signal ? { signal } : {}),
    });
    // The store checked the bytes against its own record; the manifest must name the same bytes.
    if (got.sha256 !== base.base.sha256 || got.size !== base.base.size)
      throw permanent(
        `${base.base.key} is not the file base backup ${base.id}'s manifest names (sha256 ${got.sha256}, manifest ${base.base.sha256})`,
        FAILURE.IntegrityFailed,
      );
    if (as) await chown(tar, as.uid, as.gid);
    await own(p.data, 0o700);
    await own(p.sock, 0o700);
    await own(p.fetch, 0o700);
    beat({ phase: 'extract' }, true);
    // tar says nothing while it works: a beat on a timer, so a large base backup is not taken for a dead worker.
    const extracting = setInterval(() => beat({ phase: 'extract' }), 5_000);
    await runCommand({
      cmd: 'tar',
      args: [base.compressed ? '-xzf' : '-xf', tar, '-C', p.data, '--no-same-owner'],
      ...(as ? { as } : {}),
      ...(signal ? { signal } : {}),
    }).finally(() => clearInterval(extracting));
    await rm(tar, { force: true });
    const downloadMs = Math.round(performance.now() - downloadStarted);

    const script = helperScript(deps);
    // Both go into restore_command's shell line.
    for (const path of [process.execPath, script])
      if (!SAFE_PATH.test(path))
        throw permanent(`${path} has characters a restore_command cannot carry`, FAILURE.InvalidInput);
    const restoreCommand = `"${process.execPath}" "${script}" "${p.fetchSock}" "%f" "%p"`;
    const fetch = await startFetchServer({
      store,
      walPrefix: base.walPrefix,
      socket: p.fetchSock,
      stageDir: p.fetch,
      as,
      ...(signal ? { signal } : {}),
    });
    const recoveryStarted = performance.now();
    let endedAtArchiveEnd = i.targetTime === 'latest';
    try {
      const targetTime = i.targetTime === 'latest' ? undefined : i.targetTime;
      await writeScratchConfig(p, { ...where, restoreCommand, ...(targetTime ? { targetTime } : {}) }, as);
      await startServer(p, major, as, deps.binDir, false);
      let outcome = await waitForPromotion(p, state, fetch.log, beat, signal, pollMs);
      if (outcome === 'ended-early') {
        // No commit after the target in the archive: PostgreSQL cannot tell it reached the
        // target. If the archive reaches past the target, its end *is* the target's state.
        const last = fetch.log.lastServed ? await store.head(`${base.walPrefix}${fetch.log.lastServed}`) : undefined;
        const first = fetch.log.missing.find((f) => f.length === 24);
        if (!last || Date.parse(last.modified) < Date.parse(i.targetTime)) {
          const gap = first && (await store.head(`${base.walPrefix}${nextSegment(first, base.walSegmentSize)}`));
          if (gap)
            throw permanent(
              `the WAL archive has a gap: ${first} is missing and later segments exist`,
              FAILURE.NotFound,
            );
          // Retried: the WAL holding the target is not archived yet (archive_timeout, or pg_switch_wal()).
          throw new Error(`the archive ends before ${i.targetTime} (next segment ${first ?? '?'} not archived yet)`);
        }
        endedAtArchiveEnd = true;
        // A fresh log, so the next diagnosis does not read the last run's lines.
        await rename(p.log, `${p.log}.1`).catch(() => undefined);
        await writeScratchConfig(p, { ...where, restoreCommand }, as);
        await startServer(p, major, as, deps.binDir, false);
        outcome = await waitForPromotion(p, state, fetch.log, beat, signal, pollMs);
        if (outcome === 'ended-early') throw new Error('recovery to the end of the archive ended early');
      }
    } finally {
      await fetch.close();
    }
    // Recovery is over: a later restart of the copy must not look for WAL.
    await writeScratchConfig(p, where, as);
    const recoveryMs = Math.round(performance.now() - recoveryStarted);
    const c = await connectScratch(p, state);
    let facts: Record<string, unknown> | undefined;
    try {
      facts = records(
        await c.query(`SELECT pg_last_wal_replay_lsn()::text AS lsn, pg_last_xact_replay_timestamp() AS at,
          ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int AS timeline`),
      )[0];
    } finally {
      await c.end().catch(() => undefined);
    }
    const at = facts?.at;
    const result: PgPitrRestoreResult = {
      name: o.name,
      host: i.listen,
      port: state.port,
      socketDir: p.sock,
      dataDir: p.data,
      superuser: state.superuser,
      dbname: state.dbname,
      backupId: base.id,
      baseConsistentAt: base.consistentAt,
      targetTime: i.targetTime,
      reachedTime: at === null || at === undefined ? null : new Date(at as string | Date).toISOString(),
      reachedLsn: String(facts?.lsn),
      timeline: Number(facts?.timeline),
      endedAtArchiveEnd,
      segmentsRestored: fetch.log.served,
      changed: true,
      durationMs: Math.round(performance.now() - o.started),
      downloadMs,
      recoveryMs,
    };
    await writeState(p, { ...state, phase: 'ready', result });
    beat({ phase: 'done', segments: fetch.log.served }, true);
    return result;
  }
}
