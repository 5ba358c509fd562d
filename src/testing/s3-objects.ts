import type { Readable } from 'node:stream';
import {
  GetObjectCommand,
  HeadObjectCommand,
  type HeadObjectCommandOutput,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';

/** 8 MiB parts: the service's own part size, and under the embedded S3's 11 MiB body limit. */
export const PART_SIZE = 8 * 1024 * 1024;
/** Parts in flight at once, the service's default `EGRESS_UPLOAD_QUEUE_SIZE`. */
export const UPLOAD_QUEUE_SIZE = 4;

/**
 * Writes an object: one PUT up to {@link PART_SIZE}, multipart above it; a stream body is never
 * held whole in memory.
 */
export async function putObject(
  s3: S3Client,
  bucket: string,
  key: string,
  body: string | Buffer | Readable,
  metadata?: Record<string, string>,
): Promise<void> {
  await new Upload({
    client: s3,
    params: { Bucket: bucket, Key: key, Body: body, ...(metadata ? { Metadata: metadata } : {}) },
    partSize: PART_SIZE,
    queueSize: UPLOAD_QUEUE_SIZE,
  }).done();
}

/** An object's bytes. */
export async function getBytes(s3: S3Client, bucket: string, key: string): Promise<Buffer> {
  const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await response.Body!.transformToByteArray());
}

export function headObject(s3: S3Client, bucket: string, key: string): Promise<HeadObjectCommandOutput> {
  return s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
}

/** Every key under `prefix` (all pages), sorted. */
export async function listKeys(s3: S3Client, bucket: string, prefix = ''): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    keys.push(...(page.Contents ?? []).map((object) => object.Key!));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys.sort();
}
