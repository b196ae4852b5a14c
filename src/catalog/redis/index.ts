/** The Redis system's catalog entries, in the order docs/actions.md lists them. */
import type { CatalogEntry } from '../types';
import { redisBackupCreate, redisBackupRestore } from './backup';
import { redisDbFlush } from './db';
import { redisHealthRead } from './health';
import { redisKeyExpire, redisKeyScan } from './key';
import { redisMemoryRead } from './memory';

export const REDIS_ENTRIES = [
  redisHealthRead,
  redisMemoryRead,
  redisKeyScan,
  redisKeyExpire,
  redisBackupCreate,
  redisBackupRestore,
  redisDbFlush,
] as CatalogEntry[];
