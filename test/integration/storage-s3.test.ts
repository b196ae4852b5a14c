/**
 * The S3 backup store against a real SeaweedFS S3 gateway (test/support/seaweedfs.ts): the
 * shared store contract, damage done through the admin identity behind the store's back (the
 * object's metadata kept), and what only S3 shows: a reader identity may not write, a wrong
 * secret is refused, and the credentials are resolved only for the endpoint's origin.
 */
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListBucketsCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { createOpenStore } from '../../src/activities/storage/open';
import { connectS3, createS3Store, s3Api } from '../../src/activities/storage/s3';
import { createSecretResolver, envVarFor } from '../../src/activities/secrets';
import type { S3StoreConfig } from '../../src/config/stores-schema';
import { FAILURE } from '../../src/shared/failures';
import { startSeaweedS3, type S3Credentials, type SeaweedS3 } from '../support/seaweedfs';
import { describeStoreContract } from '../support/store-contract';

const BUCKET = 'backups';
let weed: SeaweedS3;
let admin: S3Client;
let n = 0;

const sdk = (credentials: S3Credentials): S3Client =>
  new S3Client({ endpoint: weed.endpoint, region: 'us-east-1', forcePathStyle: true, credentials });

beforeAll(async () => {
  weed = await startSeaweedS3((s) =>
    new S3Client({ endpoint: s.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: s.admin }).send(
      new ListBucketsCommand({}),
    ),
  );
  admin = sdk(weed.admin);
  await admin.send(new CreateBucketCommand({ Bucket: BUCKET }));
}, 90_000);
afterAll(async () => {
  admin?.destroy();
  await weed?.dispose();
});

/** Rewrites the object's bytes through the admin identity, keeping the metadata the store wrote. */
async function rewrite(objectKey: string, change: (b: Buffer) => Buffer): Promise<void> {
  const got = await admin.send(new GetObjectCommand({ Bucket: BUCKET, Key: objectKey }));
  const bytes = Buffer.from(await got.Body!.transformToByteArray());
  await admin.send(
    new PutObjectCommand({ Bucket: BUCKET, Key: objectKey, Body: change(bytes), Metadata: got.Metadata ?? {} }),
  );
}

// Each test its own prefix in the one bucket: a fresh, empty store without a bucket per test.
describeStoreContract('s3 (SeaweedFS)', async () => {
  const prefix = `contract-${++n}/`;
  return {
    store: createS3Store('s3-test', { client: s3Api(admin), bucket: BUCKET, prefix }),
    corrupt: (key) =>
      rewrite(`${prefix}${key}`, (b) => {
        const c = Buffer.from(b);
        c[1000] = (c[1000] ?? 0) ^ 0xff;
        return c;
      }),
    truncate: (key) => rewrite(`${prefix}${key}`, (b) => b.subarray(0, 1000)),
    // Bytes at the key that this store did not write: no sha256 metadata.
    incomplete: async (key) => {
      await admin.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${prefix}${key}`, Body: 'not ours' }));
    },
    dispose: async () => undefined,
  };
});

describe('s3 store specifics', () => {
  const config = (o: Partial<S3StoreConfig> = {}): S3StoreConfig => ({
    kind: 's3',
    endpoint: weed.endpoint,
    region: 'us-east-1',
    bucket: BUCKET,
    prefix: 'specifics/',
    forcePathStyle: true,
    accessKeyIdSecret: 's3-key-id',
    secretAccessKeySecret: 's3-secret',
    ...o,
  });
  const env = (c: S3Credentials): NodeJS.ProcessEnv => ({
    [envVarFor('s3-key-id')]: c.accessKeyId,
    [envVarFor('s3-secret')]: c.secretAccessKey,
  });
  const bound = (origin: string) => ({ 's3-key-id': [origin], 's3-secret': [origin] });

  test('the reader identity reads and lists but may not write: Forbidden', async () => {
    const writer = createS3Store('w', { client: s3Api(admin), bucket: BUCKET, prefix: 'specifics/' });
    const written = await writer.putBytes('reader/k', Buffer.from('k'));
    const reader = createS3Store('r', {
      client: await connectS3(
        config(),
        createSecretResolver({ env: env(weed.reader), bindings: bound(weed.endpoint) }),
      ),
      bucket: BUCKET,
      prefix: 'specifics/',
    });
    expect(await reader.head('reader/k')).toEqual(written);
    expect(await reader.list('reader/')).toEqual([written]);
    expect((await reader.getBytes('reader/k', 10)).body.toString()).toBe('k');
    const f = await reader.putBytes('reader/k2', Buffer.from('no')).catch((e: unknown) => e);
    expect(f).toMatchObject({ type: FAILURE.Forbidden, nonRetryable: true });
    expect((f as Error).message).toContain('AccessDenied');
    await expect(reader.delete('reader/k')).rejects.toMatchObject({ type: FAILURE.Forbidden });
  });

  test('a wrong secret is Forbidden, whichever call meets it', async () => {
    const wrong = createS3Store('bad', {
      client: s3Api(sdk({ ...weed.admin, secretAccessKey: 'wrong-secret' })),
      bucket: BUCKET,
    });
    await expect(wrong.list('')).rejects.toMatchObject({ type: FAILURE.Forbidden });
    await expect(wrong.putBytes('x', Buffer.from('x'))).rejects.toMatchObject({ type: FAILURE.Forbidden });
    // A HEAD's 403 has no body to name it; its status still says Forbidden.
    await expect(wrong.head('x')).rejects.toMatchObject({ type: FAILURE.Forbidden });
  });

  test('a bucket that does not exist is NotFound for list, and absent for head', async () => {
    const none = createS3Store('none', { client: s3Api(admin), bucket: 'no-such-bucket' });
    await expect(none.list('')).rejects.toMatchObject({ type: FAILURE.NotFound });
    expect(await none.head('x')).toBeUndefined();
  });

  test('opened by name: the credentials resolve only for the endpoint origin, one client per store', async () => {
    const stores = { main: config(), elsewhere: config({ endpoint: 'http://127.0.0.1:1' }) };
    let made = 0;
    const open = createOpenStore({
      stores,
      secrets: createSecretResolver({ env: env(weed.admin), bindings: bound(weed.endpoint) }),
      s3Client: (c) => {
        made++;
        return connectS3(c, createSecretResolver({ env: env(weed.admin), bindings: bound(weed.endpoint) }));
      },
    });
    const main = await open('main');
    expect(await open('main')).toBe(main);
    expect(made).toBe(1);
    const put = await main.putBytes('opened/k', randomBytes(100));
    expect(await main.head('opened/k')).toEqual(put);

    // The same secrets bound to this endpoint may not go to another one: no request is made.
    await expect(open('elsewhere')).rejects.toMatchObject({ type: FAILURE.SecretNotAllowed });
    await expect(open('nope')).rejects.toMatchObject({ type: FAILURE.UnknownTarget });
    await expect(open('nope')).rejects.toThrow(/known: main, elsewhere/);

    // Through the default client: unbound secrets go nowhere, and a failed open is not kept.
    const secretsFor = (bindings: Record<string, string[]>) => createSecretResolver({ env: env(weed.admin), bindings });
    await expect(createOpenStore({ stores, secrets: secretsFor({}) })('main')).rejects.toMatchObject({
      type: FAILURE.SecretNotAllowed,
    });
    await expect(
      createOpenStore({ stores, secrets: secretsFor(bound('http://127.0.0.2:9')) })('main'),
    ).rejects.toMatchObject({ type: FAILURE.SecretNotAllowed });
    const real = await createOpenStore({ stores, secrets: secretsFor(bound(weed.endpoint)) })('main');
    expect(await real.head('opened/k')).toEqual(put);

    // A client that could not be made is made again on the next open (a secret set meanwhile).
    let tries = 0;
    const flaky = createOpenStore({
      stores,
      secrets: secretsFor({}),
      s3Client: (c) => {
        if (++tries === 1) throw new Error('secret not there yet');
        return connectS3(c, secretsFor(bound(weed.endpoint)));
      },
    });
    await expect(flaky('main')).rejects.toThrow('secret not there yet');
    expect(await (await flaky('main')).head('opened/k')).toEqual(put);
    expect(tries).toBe(2);
  });
});
