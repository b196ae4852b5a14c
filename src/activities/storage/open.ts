/**
 * Opens `backupStores.<name>` for the backup actions. One store per name for the worker's life:
 * an S3 store's client (its connection pool and resolved credentials) is made on first use and
 * kept, so a thousand backups do not resolve secrets or open pools a thousand times. A rotated
 * credential is therefore read at the worker's next start; a failed open is not kept, so a
 * secret set after a MissingSecret is found on the next attempt.
 */
import { FAILURE } from '../../shared/failures';
import type { BackupStoreConfig, S3StoreConfig } from '../../config/stores-schema';
import { permanent } from '../errors';
import type { SecretResolver } from '../secrets';
import { createLocalStore } from './local';
import { connectS3, createS3Store, type S3Api } from './s3';
import type { BackupStore, OpenStore } from './store';

export interface OpenStoreDeps {
  stores: Readonly<Record<string, BackupStoreConfig>>;
  secrets: Pick<SecretResolver, 'resolveFor'>;
  /** Makes a store's S3 client (tests pass a fake). @default connectS3: the SDK's client, credentials from `secrets` */
  s3Client?: (config: S3StoreConfig, name: string) => S3Api | Promise<S3Api>;
}

export function createOpenStore(deps: OpenStoreDeps): OpenStore {
  const opened = new Map<string, Promise<BackupStore>>();
  const s3Client = deps.s3Client ?? ((config: S3StoreConfig) => connectS3(config, deps.secrets));

  async function open(name: string, config: BackupStoreConfig): Promise<BackupStore> {
    if (config.kind === 'local') return createLocalStore(name, config.path);
    const client = await s3Client(config, name);
    return createS3Store(name, { client, bucket: config.bucket, prefix: config.prefix });
  }

  return (name) => {
    const config = Object.prototype.hasOwnProperty.call(deps.stores, name) ? deps.stores[name] : undefined;
    if (!config)
      return Promise.reject(
        permanent(
          `no backup store '${name}' in configuration (backupStores.<name>; known: ${Object.keys(deps.stores).join(', ') || 'none'})`,
          FAILURE.UnknownTarget,
        ),
      );
    let store = opened.get(name);
    if (!store) {
      store = open(name, config);
      opened.set(name, store);
      // Shared while pending (concurrent first uses make one client); forgotten if it fails.
      store.catch(() => opened.delete(name));
    }
    return store;
  };
}
