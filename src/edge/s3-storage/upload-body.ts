import type { IncomingMessage } from 'node:http';
import { Transform, type TransformCallback } from 'node:stream';
import { AwsServiceError } from '../aws-error.ts';
import { ClientGoneError } from '../http-util.ts';
import { AwsChunkedDecoder } from './aws-chunked.ts';
import { PayloadChecksums } from './payload-checksums.ts';

type Headers = Record<string, string | string[] | undefined>;

/** S3's Content-Type for an object uploaded without one (PutObject API reference). */
export const DEFAULT_OBJECT_CONTENT_TYPE = 'binary/octet-stream';

/** How an upload's body arrives and what is stored, read from its headers. */
export interface UploadBodyPlan {
  /** The body is aws-chunked (SigV4 streaming) and must be decoded. */
  awsChunked: boolean;
  /** Payload length the client declared (`x-amz-decoded-content-length`), if any. */
  decodedLength?: number | undefined;
  /** Content-Type to store: the client's, or S3's default. */
  contentType: string;
  /** Content-Encoding to store, without `aws-chunked`; undefined when nothing is left. */
  contentEncoding?: string | undefined;
}

function single(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Reads an object upload's (PutObject, UploadPart) headers. A body is aws-chunked when any of
 * the three signals says so — `Content-Encoding: aws-chunked`, a `STREAMING-…`
 * `x-amz-content-sha256`, or `x-amz-decoded-content-length` — since some clients send only one.
 */
export function planUploadBody(headers: Headers): UploadBodyPlan {
  const encodings = (single(headers, 'content-encoding') ?? '')
    .split(',')
    .map((token) => token.trim())
    .filter(Boolean);
  const payloadHash = single(headers, 'x-amz-content-sha256') ?? '';
  const decodedHeader = single(headers, 'x-amz-decoded-content-length');
  const awsChunked =
    encodings.some((token) => token.toLowerCase() === 'aws-chunked') ||
    payloadHash.startsWith('STREAMING-') ||
    decodedHeader !== undefined;
  let decodedLength: number | undefined;
  if (decodedHeader !== undefined) {
    decodedLength = Number(decodedHeader);
    if (!/^\d+$/.test(decodedHeader.trim()) || !Number.isSafeInteger(decodedLength)) {
      throw new AwsServiceError(
        'InvalidArgument',
        `x-amz-decoded-content-length must be a whole number of bytes, not "${decodedHeader}"`,
      );
    }
  }
  const kept = encodings.filter((token) => token.toLowerCase() !== 'aws-chunked');
  return {
    awsChunked,
    decodedLength,
    contentType: single(headers, 'content-type') || DEFAULT_OBJECT_CONTENT_TYPE,
    contentEncoding: kept.length ? kept.join(', ') : undefined,
  };
}

/**
 * The body of one upload as the storage reads it: aws-chunked framing decoded, every checksum
 * the client sent verified at the end. Errors are S3's (`AwsServiceError`).
 */
export class UploadBodyStream extends Transform {
  private readonly decoder: AwsChunkedDecoder | undefined;
  private length = 0;

  constructor(
    private readonly plan: UploadBodyPlan,
    private readonly checksums: PayloadChecksums,
  ) {
    super();
    this.decoder = plan.awsChunked ? new AwsChunkedDecoder() : undefined;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    try {
      for (const payload of this.decoder ? this.decoder.push(chunk) : [chunk]) {
        this.length += payload.length;
        this.checksums.update(payload);
        this.push(payload);
      }
      done();
    } catch (error) {
      done(error as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    try {
      this.decoder?.end();
      if (this.plan.decodedLength !== undefined && this.length !== this.plan.decodedLength) {
        throw new AwsServiceError(
          'IncompleteBody',
          `You did not provide the number of bytes specified by x-amz-decoded-content-length (${this.plan.decodedLength}); the body decoded to ${this.length}`,
        );
      }
      this.checksums.verify(this.decoder?.trailers);
      done();
    } catch (error) {
      done(error as Error);
    }
  }
}

/**
 * The payload of one object upload (PutObject, UploadPart) as it streams in: aws-chunked framing
 * decoded, every checksum the client sent verified when it ends, and the plan of what to store.
 * Malformed headers throw S3's error at once. When the body turns out bad (framing, length,
 * digest), the rest of the request is drained, so the client still reads the error instead of a
 * reset connection; a client that hangs up fails the payload with its stream's error.
 */
export function uploadBody(req: IncomingMessage): { payload: UploadBodyStream; plan: UploadBodyPlan } {
  const plan = planUploadBody(req.headers);
  const payload = new UploadBodyStream(plan, new PayloadChecksums(req.headers));
  req.once('error', (error) => payload.destroy(error));
  req.once('close', () => {
    if (!req.complete) payload.destroy(new ClientGoneError(req.method, req.url));
  });
  payload.once('error', () => {
    req.unpipe(payload);
    req.resume();
  });
  req.pipe(payload);
  return { payload, plan };
}
