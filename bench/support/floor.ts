/**
 * The floors: what the raw AWS SDK does with the same work and the same budget — GetObject stream
 * → (transforms) → lib-storage Upload with 8 MiB parts and 4 parts in flight, objects 8 at a time.
 */
import { type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { PART_SIZE, UPLOAD_QUEUE_SIZE } from '../../src/testing/index.ts';

/** Every key under a prefix, all pages. */
export async function listKeys(
  s3: S3Client,
  bucket: string,
  prefix: string,
): Promise<{ key: string; size: number }[]> {
  const keys: { key: string; size: number }[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const object of page.Contents ?? []) keys.push({ key: object.Key!, size: object.Size ?? 0 });
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

/**
 * One object: GET stream → transforms (fixed, or built from the GET's metadata) → Upload (a single
 * PUT when it fits one part).
 * @returns bytes written
 */
export async function rawCopy(
  s3: S3Client,
  from: { bucket: string; key: string },
  to: { bucket: string; key: string },
  transforms: Transform[] | ((metadata: Record<string, string>) => Promise<Transform[]>) = [],
): Promise<number> {
  const response = await s3.send(new GetObjectCommand({ Bucket: from.bucket, Key: from.key }));
  const stages = typeof transforms === 'function' ? await transforms(response.Metadata ?? {}) : transforms;
  let written = 0;
  const body = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      written += chunk.length;
      done(null, chunk);
    },
  });
  const upload = new Upload({
    client: s3,
    params: { Bucket: to.bucket, Key: to.key, Body: body },
    partSize: PART_SIZE,
    queueSize: UPLOAD_QUEUE_SIZE,
  });
  await Promise.all([pipeline([response.Body as Readable, ...stages, body]), upload.done()]);
  return written;
}
