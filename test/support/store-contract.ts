/**
 * What every backup store must do, whatever holds the bytes (src/activities/storage/store.ts):
 * one suite run against each backend, so the local directory and the S3 bucket cannot drift
 * apart. Each test gets a fresh store from `makeStore`; the backend's own hooks damage an object
 * behind the store's back (its record kept) to show a read refuses it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FAILURE } from '../../src/shared/failures';
import type { BackupStore, StagedObject, StoredObject } from '../../src/activities/storage/store';

export interface StoreUnderTest {
  store: BackupStore;
  /** Changes some bytes of the object, same size, leaving its record (sidecar, metadata) as it was. */
  corrupt(key: string): Promise<void>;
  /** Cuts the object short, leaving its record as it was. */
  truncate(key: string): Promise<void>;
  /** Leaves bytes at the key as an unfinished write would (no record); absent where the backend cannot. */
  incomplete?(key: string): Promise<void>;
  dispose(): Promise<void>;
}

/** Over 8 MiB and not a multiple of anything: two throttled progress reports and an odd tail. */
const BIG = 9 * 1024 * 1024 + 4321;
const MB4 = 4 * 1024 * 1024;
const UNSAFE_KEYS = ['../x', '/abs', 'a//b', 'a/./b', 'a/../b', ''];

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** The rejection of a promise that must reject. */
async function rejection(p: Promise<unknown>): Promise<Error & { type?: string; nonRetryable?: boolean }> {
  try {
    await p;
  } catch (err) {
    return err as Error & { type?: string };
  }
  throw new Error('expected a rejection');
}

export function describeStoreContract(label: string, makeStore: () => Promise<StoreUnderTest>): void {
  describe(`${label}: the backup store contract`, () => {
    let s: StoreUnderTest;
    let store: BackupStore;
    let dir: string;
    const file = (name: string, body: Buffer): string => {
      const path = join(dir, name);
      writeFileSync(path, body);
      return path;
    };
    /** Files in the scratch folder, partial ones included (their names start with `.`). */
    const scratch = (): string[] => readdirSync(dir).sort();

    beforeEach(async () => {
      dir = mkdtempSync(join(tmpdir(), 'store-contract-'));
      s = await makeStore();
      store = s.store;
    });
    afterEach(async () => {
      await s?.dispose();
      rmSync(dir, { recursive: true, force: true });
    });

    test('a multi-MB file round-trips: its sha256 and size recorded, progress throttled and reaching the full size', async () => {
      const body = randomBytes(BIG);
      const putProgress: number[] = [];
      const put = await store.putFile('orders/2026-12-01/dump.pgdump', file('src.bin', body), {
        onProgress: (n) => putProgress.push(n),
      });
      expect(put).toMatchObject({ key: 'orders/2026-12-01/dump.pgdump', size: BIG, sha256: sha256(body) });
      expect(Number.isNaN(Date.parse(put.modified))).toBe(false);
      expect(await store.head('orders/2026-12-01/dump.pgdump')).toEqual(put);

      const getProgress: number[] = [];
      const got = await store.getFile('orders/2026-12-01/dump.pgdump', join(dir, 'restored.bin'), {
        onProgress: (n) => getProgress.push(n),
      });
      expect(got).toEqual(put);
      expect(sha256(readFileSync(join(dir, 'restored.bin')))).toBe(sha256(body));
      for (const p of [putProgress, getProgress]) {
        expect(p.at(-1)).toBe(BIG);
        expect(p).toEqual([...p].sort((a, b) => a - b)); // never backwards
        // Every ~4 MB and once at the end (an S3 put hashes first, telling 0 as it goes).
        expect(p.filter((n) => n > 0).length).toBeLessThanOrEqual(Math.ceil(BIG / MB4) + 1);
        expect(p.length).toBeLessThanOrEqual(2 * Math.ceil(BIG / MB4) + 2);
      }
      expect(scratch()).toEqual(['restored.bin', 'src.bin']); // no partial file left beside it
    });

    const stage = (key: string): Promise<StagedObject> => {
      if (!store.stage) throw new Error(`${label} has no stage`);
      return store.stage(key);
    };

    test('a staged file is invisible until committed, then the object, hashed, and gone as a file', async () => {
      const body = randomBytes(BIG);
      const staged = await stage('orders/staged/dump.pgdump');
      writeFileSync(staged.path, body); // as pg_dump --file would
      expect(await store.head('orders/staged/dump.pgdump')).toBeUndefined();
      expect(await store.list('orders/')).toEqual([]);
      const progress: number[] = [];
      const put = await staged.commit({ onProgress: (n) => progress.push(n) });
      expect(put).toMatchObject({ key: 'orders/staged/dump.pgdump', size: BIG, sha256: sha256(body) });
      expect(await store.head('orders/staged/dump.pgdump')).toEqual(put);
      expect(existsSync(staged.path)).toBe(false);
      await staged.discard(); // after a commit: nothing to remove, the object stays
      expect(await store.head('orders/staged/dump.pgdump')).toEqual(put);
      await store.getFile('orders/staged/dump.pgdump', join(dir, 'restored.bin'));
      expect(sha256(readFileSync(join(dir, 'restored.bin')))).toBe(sha256(body));
      expect(progress).toEqual([...progress].sort((a, b) => a - b));
      expect(progress.length).toBeLessThanOrEqual(2 * (Math.ceil(BIG / MB4) + 1));
      expect(scratch()).toEqual(['restored.bin']);
    });

    test('a discarded stage keeps nothing (an older object at the key stays); one never written fails NotFound', async () => {
      const old = await store.putBytes('orders/failed/dump.pgdump', Buffer.from('the older object'));
      const staged = await stage('orders/failed/dump.pgdump');
      writeFileSync(staged.path, randomBytes(BIG));
      await staged.discard();
      expect(existsSync(staged.path)).toBe(false);
      expect(await store.head('orders/failed/dump.pgdump')).toEqual(old);
      expect((await store.list('orders/')).map((o) => o.key)).toEqual(['orders/failed/dump.pgdump']);
      const empty = await stage('orders/never/dump.pgdump');
      expect(await rejection(empty.commit())).toMatchObject({ type: FAILURE.NotFound });
      expect(await store.head('orders/never/dump.pgdump')).toBeUndefined();
    });

    test('small bytes round-trip; getBytes refuses more than it may hold', async () => {
      const body = Buffer.from('{"manifest":1}\n');
      const put = await store.putBytes('orders/manifest.json', body);
      expect(put).toMatchObject({ size: body.length, sha256: sha256(body) });
      const got = await store.getBytes('orders/manifest.json', 1024);
      expect(got.body.equals(body)).toBe(true);
      expect(got.object).toEqual(put);
      expect(await rejection(store.getBytes('orders/manifest.json', 4))).toMatchObject({ type: FAILURE.InvalidInput });
    });

    test('head and list: complete objects only, by prefix, in key order, at most the limit', async () => {
      const keys = ['db/b/1', 'db/a/2', 'db-x/1', 'db/a/1', 'other/1', 'db/a/10'];
      const put = new Map<string, StoredObject>();
      for (const k of keys) put.set(k, await store.putBytes(k, Buffer.from(`bytes of ${k}`)));
      if (s.incomplete) await s.incomplete('db/a/3');

      const listed = (objs: StoredObject[]): string[] => objs.map((o) => o.key);
      expect(listed(await store.list('db/'))).toEqual(['db/a/1', 'db/a/10', 'db/a/2', 'db/b/1']);
      // '-' sorts before '/': key order, not a directory walk's.
      expect(listed(await store.list('db'))).toEqual(['db-x/1', 'db/a/1', 'db/a/10', 'db/a/2', 'db/b/1']);
      expect(listed(await store.list('db/a/1'))).toEqual(['db/a/1', 'db/a/10']);
      expect(listed(await store.list('', { limit: 3 }))).toEqual(['db-x/1', 'db/a/1', 'db/a/10']);
      expect(await store.list('nothing/')).toEqual([]);
      expect(await store.list('db/b/')).toEqual([put.get('db/b/1')]);

      expect(await store.head('db/a/2')).toEqual(put.get('db/a/2'));
      expect(await store.head('db/a/missing')).toBeUndefined();
      expect(await store.head('db/a')).toBeUndefined(); // a "directory" is no object
      if (s.incomplete) {
        expect(await store.head('db/a/3')).toBeUndefined();
        expect(await rejection(store.getFile('db/a/3', join(dir, 'x')))).toMatchObject({ type: FAILURE.NotFound });
        expect(existsSync(join(dir, 'x'))).toBe(false);
      }
    });

    test('delete removes the object and is idempotent', async () => {
      await store.putBytes('orders/old.dump', Buffer.from('old'));
      expect(await store.delete('orders/old.dump')).toEqual({ deleted: true });
      expect(await store.head('orders/old.dump')).toBeUndefined();
      expect(await store.list('orders/')).toEqual([]);
      expect(await store.delete('orders/old.dump')).toEqual({ deleted: false });
      expect(await rejection(store.getBytes('orders/old.dump', 100))).toMatchObject({ type: FAILURE.NotFound });
    });

    test('a write replaces the object at its key', async () => {
      await store.putFile('orders/latest', file('a.bin', randomBytes(5000)));
      const second = randomBytes(7000);
      const put = await store.putFile('orders/latest', file('b.bin', second));
      expect(put).toMatchObject({ size: 7000, sha256: sha256(second) });
      expect(await store.head('orders/latest')).toEqual(put);
      await store.getFile('orders/latest', join(dir, 'out.bin'));
      expect(readFileSync(join(dir, 'out.bin')).equals(second)).toBe(true);
      expect((await store.list('orders/')).map((o) => o.key)).toEqual(['orders/latest']);
    });

    test('reading what is not there is NotFound, and writes no file', async () => {
      const f = await rejection(store.getFile('orders/none', join(dir, 'none.bin')));
      expect(f).toMatchObject({ type: FAILURE.NotFound, nonRetryable: true });
      expect(f.message).toContain('orders/none');
      expect(await rejection(store.getBytes('orders/none', 10))).toMatchObject({ type: FAILURE.NotFound });
      expect(scratch()).toEqual([]);
      // Nor can a file that is not there be stored.
      expect(await rejection(store.putFile('orders/x', join(dir, 'absent.bin')))).toMatchObject({
        type: FAILURE.NotFound,
      });
    });

    test.each(UNSAFE_KEYS)('the unsafe key %j is refused by every call', async (key) => {
      const src = file('src.bin', Buffer.from('x'));
      const calls: Array<() => Promise<unknown>> = [
        () => store.putFile(key, src),
        () => store.putBytes(key, Buffer.from('x')),
        () => store.getFile(key, join(dir, 'out.bin')),
        () => store.getBytes(key, 10),
        () => store.head(key),
        () => store.delete(key),
      ];
      for (const call of calls) expect(await rejection(call())).toMatchObject({ type: FAILURE.InvalidInput });
      if (key !== '') expect(await rejection(store.list(key))).toMatchObject({ type: FAILURE.InvalidInput });
      expect(scratch()).toEqual(['src.bin']);
    });

    test.each([
      ['corrupted', (k: string) => s.corrupt(k)],
      ['truncated', (k: string) => s.truncate(k)],
    ] as const)('a %s object fails its read as IntegrityFailed and leaves no file', async (_what, damage) => {
      const body = randomBytes(BIG);
      const put = await store.putFile('orders/damaged.dump', file('src.bin', body));
      await damage('orders/damaged.dump');

      const f = await rejection(store.getFile('orders/damaged.dump', join(dir, 'restored.bin')));
      expect(f).toMatchObject({ type: FAILURE.IntegrityFailed, nonRetryable: true });
      // It names the key, what was recorded and what was read.
      expect(f.message).toContain('orders/damaged.dump');
      expect(f.message).toContain(put.sha256);
      expect(f.message).toMatch(/read \d+ bytes, sha256 [0-9a-f]{64}/);
      expect(scratch()).toEqual(['src.bin']);
      expect(await rejection(store.getBytes('orders/damaged.dump', 2 * BIG))).toMatchObject({
        type: FAILURE.IntegrityFailed,
      });
    });

    test('an abort mid-transfer stops it, rethrows the abort and removes what was partly written', async () => {
      const body = randomBytes(BIG);
      const src = file('src.bin', body);
      const reason = new Error('activity cancelled');

      const putAbort = new AbortController();
      const put = await rejection(
        store.putFile('orders/aborted.dump', src, {
          signal: putAbort.signal,
          onProgress: (n) => n > 0 && n < BIG && putAbort.abort(reason),
        }),
      );
      expect(put).toBe(reason);
      expect(await store.head('orders/aborted.dump')).toBeUndefined();
      expect(await store.list('orders/')).toEqual([]);

      await store.putFile('orders/whole.dump', src);
      const getAbort = new AbortController();
      const get = await rejection(
        store.getFile('orders/whole.dump', join(dir, 'restored.bin'), {
          signal: getAbort.signal,
          onProgress: (n) => n > 0 && n < BIG && getAbort.abort(reason),
        }),
      );
      expect(get).toBe(reason);
      expect(scratch()).toEqual(['src.bin']);
      // An already-aborted signal does nothing at all.
      const before = new AbortController();
      before.abort(reason);
      expect(await rejection(store.getFile('orders/whole.dump', join(dir, 'r2.bin'), { signal: before.signal }))).toBe(
        reason,
      );
      expect(scratch()).toEqual(['src.bin']);
    });
  });
}
