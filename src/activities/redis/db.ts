/** `redis:db:flush`: DBSIZE first (an empty database is already as asked), then FLUSHDB of the configured database. */
import type { RedisDbFlushInput, RedisDbFlushResult } from '../../catalog/redis/db';
import { withServer, type RedisConnect } from './client';

export function createFlushAction(connect: RedisConnect) {
  return (i: RedisDbFlushInput): Promise<RedisDbFlushResult> =>
    withServer(connect, i.server, async (c, e) => {
      const before = await c.dbsize();
      if (before === 0)
        return { changed: false, reason: `database ${e.db} is already empty`, db: e.db, keysRemoved: 0 };
      await c.flushdb();
      return { changed: true, db: e.db, keysRemoved: before };
    });
}
