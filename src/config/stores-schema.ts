/**
 * `backupStores:` in the configuration file: where backups are written and read, by name. A step
 * names a store only; its directory, endpoint and bucket stay here, and the S3 credentials are
 * secrets by name, resolved in the worker and sent only to the endpoint their
 * `secrets.<name>.sendTo` lists.
 */
import { z } from 'zod';

const secretName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a secret name: letters, digits, . _ -');

/** A backup key's characters (src/activities/storage/store.ts) as a prefix ending in `/`: no `.` or `..` segment can match. */
const keyPrefix = z
  .string()
  .regex(
    /^([A-Za-z0-9][A-Za-z0-9._=+-]*\/)*$/,
    "'' or path segments each ending in '/' (letters, digits, . _ = + -, each starting with a letter or digit)",
  )
  .refine((p) => p.length <= 200, 'at most 200 characters');

export const localStoreConfig = z
  .object({
    kind: z.literal('local'),
    /** The store's directory (a mounted volume); objects go under `objects/`, their records under `.meta/`. A relative path is from the project root (the working directory the loader starts in). */
    path: z.string().min(1),
  })
  .strict();
export type LocalStoreConfig = z.infer<typeof localStoreConfig>;

export const s3StoreConfig = z
  .object({
    kind: z.literal('s3'),
    /** The S3 endpoint, `http(s)://host[:port]` (AWS: `https://s3.<region>.amazonaws.com`); bind both credential secrets to its origin. */
    endpoint: z.url({ protocol: /^https?$/, error: 'an http(s) URL' }),
    /** The region requests are signed for. @default us-east-1 */
    region: z.string().min(1).default('us-east-1'),
    bucket: z
      .string()
      .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name: 3-63 lower-case letters, digits, . and -'),
    /** Prepended to every key in the bucket: `''` or ending in `/` (`backups/prod/`). @default '' */
    prefix: keyPrefix.default(''),
    /** Path-style URLs (`endpoint/bucket/key`), as SeaweedFS and MinIO want; false for virtual-hosted (`bucket.endpoint/key`). @default true */
    forcePathStyle: z.boolean().default(true),
    /** The secret holding the access key id. */
    accessKeyIdSecret: secretName,
    /** The secret holding the secret access key. */
    secretAccessKeySecret: secretName,
  })
  .strict();
export type S3StoreConfig = z.infer<typeof s3StoreConfig>;

export const backupStoreConfig = z.discriminatedUnion('kind', [localStoreConfig, s3StoreConfig]);
export type BackupStoreConfig = z.infer<typeof backupStoreConfig>;

export const backupStoresSection = z.record(
  z.string().regex(/^[a-z][a-z0-9-]*$/, 'lower-case letters, digits and dashes, starting with a letter'),
  backupStoreConfig,
);
export type BackupStoresConfig = z.infer<typeof backupStoresSection>;
