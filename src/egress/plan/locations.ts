import path from 'node:path';
import type { Destination } from './destinations.ts';

/**
 * `s3://<bucket>/<key>`: the one way this project writes an S3 location for people. The key (or key
 * prefix) is used exactly as stored — a key that really begins with `/` shows as `s3://b//k`, as the
 * AWS CLI addresses it. Names that went through the service's naming (`destinationKeyPrefix`,
 * `targetKey`) never begin with `/`: show those, never a rule's raw `destination_prefix` (whose `/`
 * means the bucket root, once printed as `s3://opsmi-destination//`).
 */
export function s3Url(bucket: string, key = ''): string {
  return `s3://${bucket}/${key}`;
}

/** A destination for people: `s3://bucket/key`, or the SFT path from the root (`/data-egress/sas/x.csv`). */
export function describeDestination(destination: Destination): string {
  return destination.transferType === 'S3'
    ? s3Url(destination.bucket, destination.key)
    : path.posix.join('/', destination.directory, destination.fileName);
}
