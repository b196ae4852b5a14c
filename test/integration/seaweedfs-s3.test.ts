/**
 * The S3-compatible store the backup tests write to (test/support/seaweedfs.ts): a real
 * SeaweedFS S3 gateway, through the AWS SDK v3 client the product uses. Objects round-trip with
 * their metadata, the reader identity may read but not write, a wrong secret is refused, and
 * data survives a restart.
 */
import { createHash } from 'node:crypto';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { startSeaweedS3, type S3Credentials, type SeaweedS3 } from '../support/seaweedfs';

let store: SeaweedS3;
const client = (credentials: S3Credentials): S3Client =>
  new S3Client({ endpoint: store.endpoint, region: 'us-east-1', forcePathStyle: true, credentials });

/** Ready: it answers, and (after a restart) an object already stored reads back. */
async function readable(s: SeaweedS3): Promise<void> {
  const c = new S3Client({ endpoint: s.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: s.admin });
  for (const b of (await c.send(new ListBucketsCommand({}))).Buckets ?? []) {
    const first = (await c.send(new ListObjectsV2Command({ Bucket: b.Name, MaxKeys: 1 }))).Contents?.[0];
    if (first)
      await (await c.send(new GetObjectCommand({ Bucket: b.Name, Key: first.Key }))).Body?.transformToByteArray();
  }
}

beforeAll(async () => {
  store = await startSeaweedS3(readable);
}, 60_000);
afterAll(() => store?.dispose());

test('an object round-trips with its metadata; the reader reads and may not write; a wrong secret is refused; data survives a restart', async () => {
  const admin = client(store.admin);
  await admin.send(new CreateBucketCommand({ Bucket: 'backups' }));
  const body = Buffer.from('pg_dump custom format, pretend\n'.repeat(4096));
  const sha256 = createHash('sha256').update(body).digest('hex');
  await admin.send(
    new PutObjectCommand({ Bucket: 'backups', Key: 'orders/2026-12-01.dump', Body: body, Metadata: { sha256 } }),
  );

  const reader = client(store.reader);
  const got = await reader.send(new GetObjectCommand({ Bucket: 'backups', Key: 'orders/2026-12-01.dump' }));
  const bytes = Buffer.from(await got.Body!.transformToByteArray());
  expect(createHash('sha256').update(bytes).digest('hex')).toBe(sha256);
  expect(got.Metadata).toEqual({ sha256 });
  const listed = await reader.send(new ListObjectsV2Command({ Bucket: 'backups', Prefix: 'orders/' }));
  expect(listed.Contents?.map((o) => [o.Key, o.Size])).toEqual([['orders/2026-12-01.dump', body.length]]);

  await expect(
    reader.send(new PutObjectCommand({ Bucket: 'backups', Key: 'orders/x', Body: 'no' })),
  ).rejects.toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
  await expect(
    client({ ...store.reader, secretAccessKey: 'wrong-secret' }).send(new ListBucketsCommand({})),
  ).rejects.toMatchObject({ name: 'SignatureDoesNotMatch' });

  // Over its old data, reads work again once the volume has registered (the support waits for it).
  await store.restart();
  const again = await client(store.admin).send(
    new GetObjectCommand({ Bucket: 'backups', Key: 'orders/2026-12-01.dump' }),
  );
  expect(
    createHash('sha256')
      .update(Buffer.from(await again.Body!.transformToByteArray()))
      .digest('hex'),
  ).toBe(sha256);
}, 90_000);
