import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { DataKey } from '../egress/crypto/data-key.ts';
import { encryptHtme, htmeMetadata } from '../egress/crypto/htme/htme.ts';
import type { SandboxTrace } from '../sandbox/trace.ts';
import { largeSampleLine, type SampleObject } from './samples.ts';

/** What publishing needs: an S3 client on the sandbox, a data key source for HTME, the trace. */
export interface Publisher {
  readonly s3: S3Client;
  /** A DKS data key (`GET /datakey`), fetched once per demo. */
  readonly dataKey: () => Promise<DataKey>;
  readonly trace: SandboxTrace;
  readonly progress: (line: string) => void;
  readonly signal?: AbortSignal | undefined;
}

/** What was published: the plaintext's digest, to check what the recipient got. */
export interface Published {
  readonly bucket: string;
  readonly key: string;
  readonly bytes: number;
  /** SHA-256 (hex) of the plaintext, for small objects. */
  readonly sha256?: string | undefined;
  readonly htme: boolean;
}

const MIB = 1024 * 1024;
const PART_BYTES = 8 * MIB;

/** Exactly `size` bytes of CSV lines, generated as they are read. */
export function largeSampleBody(size: number): Readable {
  let sent = 0;
  let index = 0;
  return Readable.from(
    (function* () {
      while (sent < size) {
        let chunk = '';
        while (chunk.length < 64 * 1024) chunk += largeSampleLine(index++);
        const buffer = Buffer.from(chunk).subarray(0, size - sent);
        sent += buffer.length;
        yield buffer;
      }
    })(),
  );
}

function bar(done: number, total: number): string {
  const width = 20;
  const filled = Math.round((done / total) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(done / MIB).toFixed(1)}/${(total / MIB).toFixed(1)} MiB`;
}

/**
 * Writes one sample object the way a producer would: small ones in one PUT (HTME-encrypted with a
 * DKS data key when asked, the envelope in the user metadata), large ones as a multipart upload
 * whose progress is reported part by part.
 */
export async function publishObject(
  object: SampleObject,
  bucket: string,
  publisher: Publisher,
): Promise<Published> {
  const where = `s3://${bucket}/${object.key}`;
  if (!object.body) {
    const upload = new Upload({
      client: publisher.s3,
      params: { Bucket: bucket, Key: object.key, Body: largeSampleBody(object.size) },
      partSize: PART_BYTES,
      queueSize: 1,
    });
    let reported = 0;
    upload.on('httpUploadProgress', (progress) => {
      const loaded = progress.loaded ?? 0;
      if (loaded > reported) {
        reported = loaded;
        publisher.progress(`upload ${bar(loaded, object.size)}  ${where}`);
      }
    });
    const abort = () => void upload.abort().catch(() => {});
    publisher.signal?.addEventListener('abort', abort, { once: true });
    try {
      await upload.done();
    } finally {
      publisher.signal?.removeEventListener('abort', abort);
    }
    publisher.trace.add({
      stage: 'upload',
      text: `uploaded ${where} (${object.size} bytes, multipart in ${Math.ceil(object.size / PART_BYTES)} parts)`,
      details: { bucket, key: object.key, bytes: object.size },
    });
    return { bucket, key: object.key, bytes: object.size, htme: false };
  }
  const sha256 = createHash('sha256').update(object.body).digest('hex');
  let body = object.body;
  let metadata: Record<string, string> | undefined;
  if (object.htme) {
    const encrypted = encryptHtme(object.body, await publisher.dataKey());
    body = encrypted.body;
    metadata = htmeMetadata(encrypted.envelope);
  }
  await publisher.s3.send(
    new PutObjectCommand({ Bucket: bucket, Key: object.key, Body: body, Metadata: metadata }),
    { abortSignal: publisher.signal },
  );
  publisher.trace.add({
    stage: 'upload',
    text: `uploaded ${where} (${body.length} bytes${object.htme ? ', HTME-encrypted under a DKS data key' : ''})`,
    details: { bucket, key: object.key, bytes: body.length, htme: object.htme },
  });
  return { bucket, key: object.key, bytes: object.body.length, sha256, htme: object.htme };
}

/** Writes a pipeline_success.flag: the upload that starts the egress. */
export async function publishFlag(bucket: string, key: string, publisher: Publisher): Promise<void> {
  await publisher.s3.send(
    new PutObjectCommand({ Bucket: bucket, Key: key, Body: Buffer.alloc(0), ContentLength: 0 }),
    {
      abortSignal: publisher.signal,
    },
  );
  publisher.trace.add({
    stage: 'upload',
    text: `uploaded the flag s3://${bucket}/${key}`,
    details: { bucket, key, bytes: 0, flag: true },
  });
}
