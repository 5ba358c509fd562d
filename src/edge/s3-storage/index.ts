export { BlobStoreDirectoryError } from './blob-store.ts';
export { S3StorageError } from './errors.ts';
export type { PersistedBucket, PersistedObject } from './object-catalog.ts';
export {
  type S3RestoreSummary,
  S3Storage,
  type S3StorageOptions,
  type S3StorageStats,
} from './s3-storage.ts';
