/**
 * A file to write an object into, for any store: its own `stage` where it has one (both real
 * kinds), else a temporary file (under `workDir`) committed with `putFile`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BackupStore, StagedObject } from './store';

export async function stageObject(store: BackupStore, key: string, workDir?: string): Promise<StagedObject> {
  if (store.stage) return store.stage(key);
  const dir = await mkdtemp(join(workDir ?? tmpdir(), 'backup-stage-'));
  const path = join(dir, 'object');
  const discard = (): Promise<void> => rm(dir, { recursive: true, force: true });
  return {
    path,
    discard,
    commit: async (o = {}) => {
      try {
        return await store.putFile(key, path, o);
      } finally {
        await discard();
      }
    },
  };
}
