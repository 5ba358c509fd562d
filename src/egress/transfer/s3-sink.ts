import { PassThrough, type Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AbortMultipartUploadCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { describeFailure } from '../../util/describe-failure.ts';
import { ByteCounter } from './byte-counter.ts';

/** Multipart settings of S3 writes. */
export interface S3UploadSettings {
  /** Part size in bytes (5 MiB–8 MiB here: the embedded S3 refuses bodies over 11 MiB). */
  partSizeBytes: number;
  /** Parts uploaded concurrently per object; memory per object ≈ queueSize × partSize. */
  queueSize: number;
}

/** One S3 write. */
export interface S3Write {
  client: S3Client;
  bucket: string;
  key: string;
  /** The content stream followed by transforms (compression); piped in order. */
  stages: [Readable, ...Transform[]];
  metadata: Readonly<Record<string, string>>;
  settings: S3UploadSettings;
  signal: AbortSignal;
}

/**
 * Streams content into S3 with lib-storage's `Upload`: a single PUT for small bodies, multipart
 * otherwise, so object size is bounded by neither memory nor the 5 GB single-PUT limit
 * (behaviour §10.2). ACL `bucket-owner-full-control` on every write (behaviour §3.6).
 *
 * @returns the number of bytes written.
 */
export async function writeToS3(write: S3Write): Promise<number> {
  const counter = new ByteCounter();
  const body = new PassThrough();
  const upload = new Upload({
    client: write.client,
    params: {
      Bucket: write.bucket,
      Key: write.key,
      Body: body,
      ACL: 'bucket-owner-full-control',
      Metadata: { ...write.metadata },
    },
    partSize: write.settings.partSizeBytes,
    queueSize: write.settings.queueSize,
    // The parts are removed below, not by lib-storage: when its abort is refused (a role without
    // s3:AbortMultipartUpload, as the original's) it throws that refusal instead of why the upload
    // failed, and the object's reason would name the wrong thing.
    leavePartsOnError: true,
  });
  const abort = () => void upload.abort().catch(() => {});
  write.signal.addEventListener('abort', abort, { once: true });
  const piping = pipeline([...write.stages, counter, body], { signal: write.signal });
  try {
    await Promise.all([piping, upload.done()]);
    return counter.bytes;
  } catch (error) {
    // Whichever side failed first, stop the other: abort the multipart upload and tear down the
    // pipeline, which destroys the source GET stream and frees its socket.
    abort();
    body.destroy();
    await piping.catch(() => {});
    await removeParts(write, upload.uploadId, error);
    throw error;
  } finally {
    write.signal.removeEventListener('abort', abort);
  }
}

/**
 * Aborts the multipart upload `uploadId` of a failed write, so its parts are not kept (and billed).
 * A refused or failed abort is added to `failure` as its cause: the failure stays the reason.
 */
async function removeParts(write: S3Write, uploadId: string | undefined, failure: unknown): Promise<void> {
  if (uploadId === undefined) return;
  try {
    await write.client.send(
      new AbortMultipartUploadCommand({ Bucket: write.bucket, Key: write.key, UploadId: uploadId }),
    );
  } catch (abortError) {
    if (failure instanceof Error && failure.cause === undefined) {
      failure.cause = new Error(
        `and its parts were not removed (AbortMultipartUpload: ${describeFailure(abortError)}); a lifecycle rule for incomplete multipart uploads removes them`,
      );
    }
  }
}
