/**
 * A backup store in an S3-compatible bucket (AWS S3, SeaweedFS, MinIO, ...), under a key prefix.
 * Each object carries its sha256 as user metadata (`x-amz-meta-sha256`), hashed from the local
 * file before the upload; its size is the object's own. A PUT is atomic, so an object is either
 * whole or absent; one without our `sha256` metadata was not written by this store and stays
 * invisible (head, list, get answer as if it were absent).
 *
 * Over a narrow client (`S3Api`) so tests can fake it; `connectS3` builds the real one.
 */
import { mapLimit } from '../../platform/map-limit';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type DeleteObjectCommandInput,
  type GetObjectCommandInput,
  type GetObjectCommandOutput,
  type HeadObjectCommandInput,
  type HeadObjectCommandOutput,
  type ListObjectsV2CommandInput,
  type ListObjectsV2CommandOutput,
  type PutObjectCommandInput,
} from '@aws-sdk/client-s3';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { FAILURE } from '../../shared/failures';
import type { S3StoreConfig } from '../../config/stores-schema';
import { permanent } from '../errors';
import type { SecretResolver } from '../secrets';
import {
  abortReason,
  checkDigest,
  hashFile,
  hashingTap,
  openSource,
  readBounded,
  receiveChecked,
  sha256Hex,
  type Digest,
} from './hash';
import { isSafeKey, type BackupStore, type StoredObject, type TransferOptions } from './store';

/** What a call may be given besides its input: the transfer's abort signal. */
export interface S3CallOptions {
  abortSignal?: AbortSignal;
}

/** The five S3 calls the store makes; the real one sends the SDK's commands (`s3Api`). */
export interface S3Api {
  putObject(input: PutObjectCommandInput, o?: S3CallOptions): Promise<unknown>;
  getObject(
    input: GetObjectCommandInput,
    o?: S3CallOptions,
  ): Promise<Pick<GetObjectCommandOutput, 'Body' | 'ContentLength' | 'Metadata' | 'LastModified'>>;
  headObject(
    input: HeadObjectCommandInput,
  ): Promise<Pick<HeadObjectCommandOutput, 'ContentLength' | 'Metadata' | 'LastModified'>>;
  listObjectsV2(
    input: ListObjectsV2CommandInput,
  ): Promise<Pick<ListObjectsV2CommandOutput, 'Contents' | 'IsTruncated' | 'NextContinuationToken'>>;
  deleteObject(input: DeleteObjectCommandInput): Promise<unknown>;
}

export interface S3StoreOptions {
  client: S3Api;
  bucket: string;
  /** Prepended to every key (`''` or ending in `/`). @default '' */
  prefix?: string;
}

const DEFAULT_LIMIT = 10_000;
/** HEADs in flight while listing (each listed object's sha256 lives only in its own metadata). */
const HEAD_CONCURRENCY = 8;
const SHA256 = /^[0-9a-f]{64}$/;

export function createS3Store(name: string, opts: S3StoreOptions): BackupStore {
  const { client, bucket } = opts;
  const prefix = opts.prefix ?? '';
  const what = (key: string): string => `object '${key}' in backup store '${name}' (s3://${bucket}/${prefix}${key})`;

  function objectKey(key: string): string {
    if (!isSafeKey(key)) throw permanent(`invalid key '${key}' for backup store '${name}'`, FAILURE.InvalidInput);
    return `${prefix}${key}`;
  }

  /** The record of an object as S3 describes it, or undefined when it is not one of ours. */
  function recordOf(
    key: string,
    o: {
      ContentLength?: number | undefined;
      Metadata?: Record<string, string> | undefined;
      LastModified?: Date | undefined;
    },
  ): StoredObject | undefined {
    const sha256 = o.Metadata?.sha256;
    if (sha256 === undefined || !SHA256.test(sha256) || o.ContentLength === undefined) return undefined;
    return { key, size: o.ContentLength, sha256, modified: (o.LastModified ?? new Date(0)).toISOString() };
  }

  async function head(key: string): Promise<StoredObject | undefined> {
    const Key = objectKey(key);
    try {
      return recordOf(key, await client.headObject({ Bucket: bucket, Key }));
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      return s3Failure(err, `head of ${what(key)}`);
    }
  }

  /** GetObject of one of our objects: NotFound when absent or not ours (its body then closed). */
  async function getChecked(key: string, o: TransferOptions) {
    const Key = objectKey(key);
    let got: Awaited<ReturnType<S3Api['getObject']>>;
    try {
      got = await client.getObject({ Bucket: bucket, Key }, o.signal ? { abortSignal: o.signal } : {});
    } catch (err) {
      return s3Failure(err, `get of ${what(key)}`, o.signal);
    }
    const body = got.Body as Readable | undefined;
    const record = recordOf(key, got);
    if (!record || !body || typeof body.pipe !== 'function') {
      body?.destroy?.();
      throw permanent(
        `no ${what(key)} (${record ? 'no body' : 'absent, or without a recorded sha256'})`,
        FAILURE.NotFound,
      );
    }
    return { record, body };
  }

  async function put(
    key: string,
    Body: PutObjectCommandInput['Body'],
    digest: { size: number; sha256: string },
    o: TransferOptions,
  ) {
    const Key = objectKey(key);
    try {
      await client.putObject(
        {
          Bucket: bucket,
          Key,
          Body,
          ContentLength: digest.size,
          Metadata: { sha256: digest.sha256 },
          // The server checks the bytes it got against the hash of the first pass: a file changed
          // between the passes, or bytes damaged on the way, fail the PUT instead of being stored.
          ChecksumSHA256: Buffer.from(digest.sha256, 'hex').toString('base64'),
        },
        o.signal ? { abortSignal: o.signal } : {},
      );
    } catch (err) {
      return s3Failure(err, `put of ${what(key)}`, o.signal);
    }
  }

  /** Sends a local file whose digest is known, checking on the way that it is still those bytes. */
  async function upload(key: string, path: string, digest: Digest, o: TransferOptions): Promise<StoredObject> {
    const { tap, digest: sent } = hashingTap(o.onProgress);
    const file = createReadStream(path);
    file.on('error', (err) => tap.destroy(err));
    try {
      await put(key, file.pipe(tap), digest, o);
      // The server can answer once it has ContentLength bytes, before the file's end reaches
      // the tap (whose flush makes the digest): wait for it, it is a moment at most.
      if (!tap.writableFinished)
        await new Promise<void>((resolve, reject) => {
          tap.once('finish', resolve);
          tap.once('error', reject);
        });
    } finally {
      // An abort or a refused PUT leaves the read half done.
      file.destroy();
    }
    // Also checked by ChecksumSHA256 where the server verifies it; not every S3 clone does.
    const actual = sent();
    if (actual.size !== digest.size || actual.sha256 !== digest.sha256) {
      await client.deleteObject({ Bucket: bucket, Key: objectKey(key) }).catch(() => undefined);
      // Retried: the next attempt hashes the file again.
      throw new Error(`${path} changed while it was uploaded to ${what(key)}; the object was removed`);
    }
    return (await head(key)) ?? fallbackRecord(key, digest);
  }

  const store: BackupStore = {
    name,
    kind: 's3',

    async putFile(key, path, o = {}) {
      objectKey(key);
      await (await openSource(path)).close();
      // Two passes: the sha256 must travel in the PUT's headers, before the bytes. One PUT takes
      // at most 5 GiB; past that the upgrade is a multipart upload (each part's checksum, the
      // whole file's sha256 still from this pass, in the completing call's metadata).
      return upload(key, path, await hashFile(path, o), o);
    },

    async stage(key) {
      objectKey(key);
      // One PUT needs the length and sha256 before the bytes (multipart, from @aws-sdk/lib-storage,
      // is not a dependency): a local temporary file, then putFile.
      const dir = await mkdtemp(join(tmpdir(), 'backup-stage-'));
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
    },

    async putBytes(key, body) {
      const digest = { size: body.length, sha256: sha256Hex(body) };
      await put(key, body, digest, {});
      return (await head(key)) ?? fallbackRecord(key, digest);
    },

    async getFile(key, path, o = {}) {
      const { record, body } = await getChecked(key, o);
      try {
        await receiveChecked(body, path, record, what(key), o);
      } catch (err) {
        body.destroy();
        throw err;
      }
      return record;
    },

    async getBytes(key, maxBytes) {
      const { record, body } = await getChecked(key, {});
      if (record.size > maxBytes) {
        body.destroy();
        throw permanent(`${what(key)} is ${record.size} bytes, over the ${maxBytes} asked for`, FAILURE.InvalidInput);
      }
      // Bounded by the length S3 announced: a longer body is damage, and fails the digest below.
      const bytes = await readBounded(body, record.size + 1, what(key));
      checkDigest(what(key), record, { size: bytes.length, sha256: sha256Hex(bytes) });
      return { object: record, body: bytes };
    },

    head,

    async list(keyPrefix, o = {}) {
      if (!isSafeKey(keyPrefix, { prefix: true }))
        throw permanent(`invalid key prefix '${keyPrefix}' for backup store '${name}'`, FAILURE.InvalidInput);
      const limit = o.limit ?? DEFAULT_LIMIT;
      const out: StoredObject[] = [];
      let token: string | undefined;
      do {
        let page: Awaited<ReturnType<S3Api['listObjectsV2']>>;
        try {
          page = await client.listObjectsV2({
            Bucket: bucket,
            Prefix: `${prefix}${keyPrefix}`,
            MaxKeys: Math.min(1000, limit - out.length),
            ...(token ? { ContinuationToken: token } : {}),
          });
        } catch (err) {
          return s3Failure(err, `list of '${keyPrefix}' in backup store '${name}' (s3://${bucket}/${prefix})`);
        }
        const keys = (page.Contents ?? [])
          .map((c) => c.Key?.slice(prefix.length))
          .filter((k): k is string => k !== undefined && isSafeKey(k));
        // Listed objects deleted before their HEAD, or not ours, drop out; the next page makes up for them.
        for (const r of await mapLimit(keys, HEAD_CONCURRENCY, head)) if (r) out.push(r);
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token && out.length < limit);
      return out.slice(0, limit);
    },

    async delete(key) {
      // DeleteObject answers the same whether or not there was an object: ask first.
      const existed = (await head(key)) !== undefined;
      try {
        await client.deleteObject({ Bucket: bucket, Key: objectKey(key) });
      } catch (err) {
        return s3Failure(err, `delete of ${what(key)}`);
      }
      return { deleted: existed };
    },
  };
  return store;
}

/** When the object cannot be read back at once (a store with eventual listing), the record as written. */
const fallbackRecord = (key: string, d: { size: number; sha256: string }): StoredObject => ({
  key,
  ...d,
  modified: new Date().toISOString(),
});

/** The real client: the SDK's S3Client, its commands sent one per call. */
export function s3Api(client: Pick<S3Client, 'send'>): S3Api {
  return {
    putObject: (input, o) => client.send(new PutObjectCommand(input), o ?? {}),
    getObject: (input, o) => client.send(new GetObjectCommand(input), o ?? {}),
    headObject: (input) => client.send(new HeadObjectCommand(input)),
    listObjectsV2: (input) => client.send(new ListObjectsV2Command(input)),
    deleteObject: (input) => client.send(new DeleteObjectCommand(input)),
  };
}

/**
 * Connects to a configured bucket's endpoint. Both credentials are secrets bound like any other:
 * resolved for the endpoint's origin, so they go only where `secrets.<name>.sendTo` lists it.
 */
export async function connectS3(
  config: Pick<S3StoreConfig, 'endpoint' | 'region' | 'forcePathStyle' | 'accessKeyIdSecret' | 'secretAccessKeySecret'>,
  secrets: Pick<SecretResolver, 'resolveFor'>,
): Promise<S3Api> {
  const accessKeyId = await secrets.resolveFor(config.accessKeyIdSecret, config.endpoint);
  const secretAccessKey = await secrets.resolveFor(config.secretAccessKeySecret, config.endpoint);
  return s3Api(
    new S3Client({
      endpoint: config.endpoint,
      region: config.region,
      forcePathStyle: config.forcePathStyle,
      credentials: { accessKeyId, secretAccessKey },
      // Never to another region's endpoint (and its host) on a 301: the endpoint is the one configured.
      followRegionRedirects: false,
    }),
  );
}

/** S3 error names that mean the credentials may not do this (a HEAD's 403 has no body: its status says it). */
const FORBIDDEN = new Set(['AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AllAccessDisabled']);

function statusOf(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
}

/**
 * S3's errors in the vocabulary: absent → NotFound, refused credentials → Forbidden, any other
 * 4xx but 408/429 → HttpClientError (asking again gets the same answer); 5xx, throttling, a
 * checksum mismatch (BadDigest) and network errors stay plain errors, which the activity
 * envelope retries. An abort rethrows the
 * abort's reason.
 */
export function s3Failure(err: unknown, what: string, signal?: AbortSignal): never {
  const reason = abortReason(signal);
  if (reason) throw reason;
  const e = (err ?? {}) as { name?: string; message?: string };
  const status = statusOf(err);
  const code = e.name ?? 'Error';
  const detail = `${code}${status ? ` ${status}` : ''}${e.message && e.message !== code ? `: ${e.message}` : ''}`;
  // A HEAD's 404 has no body to name it: its status says it.
  if (code === 'NoSuchKey' || code === 'NoSuchBucket' || status === 404)
    throw permanent(`${what}: not found (${detail})`, FAILURE.NotFound);
  // The bytes the server got do not hash to the ChecksumSHA256 sent: changed or damaged on the way, so worth another try.
  if (code === 'BadDigest' || code === 'XAmzContentChecksumMismatch') {
    const wrapped = new Error(`${what}: the bytes received do not match the file's sha256 (${detail})`, { cause: err });
    wrapped.name = code;
    throw wrapped;
  }
  if (FORBIDDEN.has(code) || status === 401 || status === 403)
    throw permanent(`${what}: refused (${detail})`, FAILURE.Forbidden);
  if (status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429)
    throw permanent(`${what}: ${detail}`, FAILURE.HttpClientError);
  // Keeps the name (and Node's `code` in the cause) for the envelope's failure type.
  const wrapped = new Error(`${what}: ${detail}`, { cause: err });
  wrapped.name = code;
  throw wrapped;
}
