/** A bounded SCAN over the connected database: batches of keys until the cursor ends or `maxKeys` were seen. */
import type { RedisClient } from './client';

/**
 * Calls `each` with every batch SCAN answers, cut so no more than `maxKeys` keys are handed over
 * in all; `complete` is whether the iteration ended (cursor 0) with every key handed over. SCAN
 * may answer a key twice (when the table is resized meanwhile): callers that count treat that as
 * the approximation it is.
 */
export async function scanKeys(
  c: Pick<RedisClient, 'scan'>,
  o: { match?: string; count: number; maxKeys: number },
  each: (keys: Buffer[]) => Promise<void>,
): Promise<{ scanned: number; complete: boolean }> {
  let cursor = '0';
  let scanned = 0;
  do {
    const r = await c.scan(cursor, { ...(o.match !== undefined ? { match: o.match } : {}), count: o.count });
    cursor = r.cursor;
    const room = o.maxKeys - scanned;
    const keys = r.keys.length > room ? r.keys.slice(0, room) : r.keys;
    scanned += keys.length;
    if (keys.length > 0) await each(keys);
    if (keys.length < r.keys.length) return { scanned, complete: false };
  } while (cursor !== '0' && scanned < o.maxKeys);
  return { scanned, complete: cursor === '0' };
}
