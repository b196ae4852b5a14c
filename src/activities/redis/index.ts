/**
 * The Redis activities: catalog entries bound to their implementations, over a connector that
 * opens one connection per call to a server named in configuration (client.ts says why), a
 * backup store opener, and the RDB tools (redis-cli, a scratch redis-server) for backups.
 */
import { redisBackupCreate, redisBackupRestore } from '../../catalog/redis/backup';
import { redisDbFlush } from '../../catalog/redis/db';
import { redisHealthRead } from '../../catalog/redis/health';
import { redisKeyExpire, redisKeyScan } from '../../catalog/redis/key';
import { redisMemoryRead } from '../../catalog/redis/memory';
import { envelope, type StepMetrics } from '../envelope';
import type { ActivityProgress } from '../progress';
import type { Redactor } from '../redact';
import type { OpenStore } from '../storage/store';
import { createBackupAction } from './backup';
import type { RedisConnect } from './client';
import { createFlushAction } from './db';
import { createHealthAction } from './health';
import { createKeyExpireAction, createKeyScanAction } from './key';
import { createMemoryAction } from './memory';
import { createRestoreAction } from './restore';
import { createRdbTools, type RdbTools } from './rdb';

export function createRedisActivities(deps: {
  connect: RedisConnect;
  openStore: OpenStore;
  metrics: StepMetrics;
  redact?: Redactor;
  /** @default redis-cli and redis-server from PATH */
  rdb?: RdbTools;
  /** The running activity's heartbeat and cancellation (backups, restores). @default contextProgress */
  progress?: () => ActivityProgress;
  /** Where backups and restores keep their temp files. @default os.tmpdir() */
  tmpDir?: string;
}) {
  const m = deps.metrics;
  const r = deps.redact;
  const backupDeps = {
    connect: deps.connect,
    openStore: deps.openStore,
    rdb: deps.rdb ?? createRdbTools(),
    ...(deps.progress ? { progress: deps.progress } : {}),
    ...(deps.tmpDir ? { tmpDir: deps.tmpDir } : {}),
  };
  const health = createHealthAction(deps.connect);
  const memory = createMemoryAction(deps.connect);
  const scan = createKeyScanAction(deps.connect);
  const expire = createKeyExpireAction(deps.connect);
  const flush = createFlushAction(deps.connect);
  const backup = createBackupAction(backupDeps);
  const restore = createRestoreAction(backupDeps);
  return {
    [redisHealthRead.id]: envelope(redisHealthRead, (i) => health(i), m, r),
    [redisMemoryRead.id]: envelope(redisMemoryRead, (i) => memory(i), m, r),
    [redisKeyScan.id]: envelope(redisKeyScan, (i) => scan(i), m, r),
    [redisKeyExpire.id]: envelope(redisKeyExpire, (i) => expire(i), m, r),
    [redisDbFlush.id]: envelope(redisDbFlush, (i) => flush(i), m, r),
    [redisBackupCreate.id]: envelope(redisBackupCreate, (i, step) => backup(i, step), m, r),
    [redisBackupRestore.id]: envelope(redisBackupRestore, (i) => restore(i), m, r),
  };
}
