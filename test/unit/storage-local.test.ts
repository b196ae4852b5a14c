/**
 * The local backup store: the shared contract on a temp directory, and what only a directory
 * shows: the layout (bytes under objects/, records under .meta/), an object whose write stopped
 * between its bytes and its record stays invisible, and a key can never lead outside the root.
 */
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  truncateSync,
  writeFileSync,
  writeSync,
  closeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createLocalStore } from '../../src/activities/storage/local';
import { createOpenStore } from '../../src/activities/storage/open';
import { createSecretResolver } from '../../src/activities/secrets';
import { FAILURE } from '../../src/shared/failures';
import { describeStoreContract } from '../support/store-contract';

const objectPath = (root: string, key: string): string => join(root, 'objects', key);
const recordPath = (root: string, key: string): string => join(root, '.meta', `${key}.json`);

describeStoreContract('local', async () => {
  const root = mkdtempSync(join(tmpdir(), 'store-local-'));
  return {
    store: createLocalStore('local-test', root),
    async corrupt(key) {
      // Flip one byte in the middle: same size, different bytes.
      const fd = openSync(objectPath(root, key), 'r+');
      const b = Buffer.alloc(1);
      readSync(fd, b, 0, 1, 1000);
      b[0] = (b[0] ?? 0) ^ 0xff;
      writeSync(fd, b, 0, 1, 1000);
      closeSync(fd);
    },
    async truncate(key) {
      truncateSync(objectPath(root, key), 1000);
    },
    async incomplete(key) {
      mkdirSync(dirname(objectPath(root, key)), { recursive: true });
      writeFileSync(objectPath(root, key), 'bytes whose record was never written');
    },
    async dispose() {
      rmSync(root, { recursive: true, force: true });
    },
  };
});

describe('local store specifics', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'store-local-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  test('bytes under objects/, their record under .meta/, nothing else left behind', async () => {
    const store = createLocalStore('l', root);
    const body = Buffer.from('pretend dump');
    const put = await store.putBytes('orders/2026/dump', body);
    expect(readFileSync(objectPath(root, 'orders/2026/dump')).equals(body)).toBe(true);
    expect(JSON.parse(readFileSync(recordPath(root, 'orders/2026/dump'), 'utf8'))).toEqual({
      size: body.length,
      sha256: createHash('sha256').update(body).digest('hex'),
      modified: put.modified,
    });
    expect(readdirSync(join(root, 'objects/orders/2026'))).toEqual(['dump']);
    expect(readdirSync(join(root, '.meta/orders/2026'))).toEqual(['dump.json']);
  });

  test('a crash between the bytes and the record leaves the object invisible', async () => {
    const store = createLocalStore('l', root);
    // A first write that died after renaming its bytes into place, before its record.
    mkdirSync(join(root, 'objects/orders'), { recursive: true });
    writeFileSync(objectPath(root, 'orders/a'), 'complete bytes, no record');
    // One that died mid-copy: its temp file is all there is.
    writeFileSync(join(root, 'objects/orders/.b.0123456789ab.partial'), 'half');
    // An overwrite that died after removing the old record: the same as the first.
    await store.putBytes('orders/c', Buffer.from('old'));
    rmSync(recordPath(root, 'orders/c'));

    expect(await store.list('')).toEqual([]);
    for (const key of ['orders/a', 'orders/b', 'orders/c']) {
      expect(await store.head(key)).toBeUndefined();
      await expect(store.getBytes(key, 100)).rejects.toMatchObject({ type: FAILURE.NotFound });
    }
    // A record whose bytes are gone (a delete that stopped half way) is no object either.
    await store.putBytes('orders/d', Buffer.from('d'));
    rmSync(objectPath(root, 'orders/d'));
    expect(await store.head('orders/d')).toBeUndefined();
    // Writing again completes it, and deleting an invisible object cleans it up without claiming it.
    await store.putBytes('orders/a', Buffer.from('again'));
    expect((await store.list('')).map((o) => o.key)).toEqual(['orders/a']);
    expect(await store.delete('orders/c')).toEqual({ deleted: false });
    expect(existsSync(objectPath(root, 'orders/c'))).toBe(false);
  });

  test('a key runs into no existing object, and deletes leave no empty directories to collide with', async () => {
    const store = createLocalStore('l', root);
    await store.putBytes('a', Buffer.from('a'));
    await expect(store.putBytes('a/b', Buffer.from('b'))).rejects.toMatchObject({ type: FAILURE.InvalidInput });
    await store.delete('a');
    await store.putBytes('a/b', Buffer.from('b'));
    await store.delete('a/b');
    expect(readdirSync(join(root, 'objects'))).toEqual([]);
    await store.putBytes('a', Buffer.from('a again'));
    expect((await store.list('')).map((o) => o.key)).toEqual(['a']);
  });

  test('no key reaches outside the root', async () => {
    const outside = join(root, 'outside');
    const store = createLocalStore('l', join(root, 'store'));
    for (const key of ['../outside/x', 'a/../../outside/x', '..', '.meta/x', '/etc/passwd'])
      await expect(store.putBytes(key, Buffer.from('x'))).rejects.toMatchObject({ type: FAILURE.InvalidInput });
    expect(existsSync(outside)).toBe(false);
    expect(readdirSync(root)).toEqual([]);
  });

  test('a destination in a folder that does not exist is InvalidInput; a non-file source too', async () => {
    const store = createLocalStore('l', root);
    await store.putBytes('k', Buffer.from('k'));
    await expect(store.getFile('k', join(root, 'no/such/dir/out'))).rejects.toMatchObject({
      type: FAILURE.InvalidInput,
    });
    await expect(store.putFile('k2', root)).rejects.toMatchObject({ type: FAILURE.InvalidInput });
  });

  test('opened by name: one store per name, UnknownTarget naming the known ones', async () => {
    const open = createOpenStore({
      stores: { nightly: { kind: 'local', path: root } },
      secrets: createSecretResolver({ env: {} }),
    });
    const store = await open('nightly');
    expect(store).toMatchObject({ name: 'nightly', kind: 'local' });
    expect(await open('nightly')).toBe(store);
    await store.putBytes('k', Buffer.from('k'));
    expect(existsSync(objectPath(root, 'k'))).toBe(true);
    await expect(open('weekly')).rejects.toMatchObject({ type: FAILURE.UnknownTarget, nonRetryable: true });
    await expect(open('weekly')).rejects.toThrow(/known: nightly/);
    // Not a configured name just because Object has it.
    await expect(open('constructor')).rejects.toMatchObject({ type: FAILURE.UnknownTarget });
  });
});
