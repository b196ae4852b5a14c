/**
 * The scratch cluster's own actions: `pg:scratch:query` (the smoke query, reached by the
 * cluster's name rather than a configured database) and `pg:scratch:remove`.
 */
import type { PgSmokeResult } from '../../catalog/postgres/query';
import type { PgScratchQueryInput, PgScratchRemoveInput, PgScratchRemoveResult } from '../../catalog/postgres/pitr';
import type { PitrDeps } from './pitr-basebackup';
import { removeScratch, scratchConnect, scratchPaths, withScratchLock } from './pitr-scratch';
import { serverUser } from './pitr-spawn';
import { createSmokeAction } from './smoke';

export function createScratchQueryAction(deps: Pick<PitrDeps, 'workDir'>) {
  const smoke = createSmokeAction(scratchConnect(deps.workDir));
  return ({ scratch, ...rest }: PgScratchQueryInput): Promise<PgSmokeResult> => smoke({ ...rest, database: scratch });
}

export function createScratchRemoveAction(deps: Pick<PitrDeps, 'workDir' | 'binDir'>) {
  return async (i: PgScratchRemoveInput): Promise<PgScratchRemoveResult> => {
    const p = scratchPaths(deps.workDir, i.name);
    const as = await serverUser();
    // Under the lock: never removed from under a restore still making it.
    const changed = await withScratchLock(p, () => removeScratch(p, as, deps.binDir));
    return { name: i.name, changed };
  };
}
