import type { IncomingMessage } from 'node:http';
import { Transform, type TransformCallback } from 'node:stream';
import { AwsChunkedDecoder } from './aws-chunked.ts';
import { AwsServiceError } from './aws-error.ts';
import { PayloadChecksums } from './payload-checksums.ts';

type Headers = Record<string, string | string[] | undefined>;

/** S3's Content-Type for an object uploaded without one (PutObject API reference). */
export const DEFAULT_OBJECT_CONTENT_TYPE = 'binary/octet-stream';

/**
 * The content type the emulator parses upload bodies under: its body parser hands this one over
 * as raw bytes, whereas form or JSON content types would be parsed into objects.
 */
const PARSE_AS_BYTES = 'application/octet-stream';

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
 * The body of one upload as the emulator reads it: aws-chunked framing decoded, every checksum
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

const UPLOAD = Symbol('edge.s3.upload');

interface PreparedUpload {
  plan: UploadBodyPlan;
  checksums: PayloadChecksums;
}

/**
 * Readies an object upload for the emulator: remembers what to decode, verify and store, and
 * rewrites the headers the emulator's parser decides by — a byte content type (form or JSON
 * types would be parsed, and a bodiless request without one yields no body at all), the decoded
 * length, and no `aws-chunked` (or the emulator would decode a second time). Throws S3's error
 * for malformed headers.
 */
export function prepareUpload(req: IncomingMessage): void {
  const plan = planUploadBody(req.headers);
  const checksums = new PayloadChecksums(req.headers);
  (req as IncomingMessage & { [UPLOAD]?: PreparedUpload })[UPLOAD] = { plan, checksums };
  req.headers['content-type'] = PARSE_AS_BYTES;
  if (plan.awsChunked) {
    if (plan.decodedLength !== undefined) req.headers['content-length'] = String(plan.decodedLength);
    else delete req.headers['content-length'];
    delete req.headers['x-amz-decoded-content-length'];
  }
  if (plan.contentEncoding === undefined) delete req.headers['content-encoding'];
  else req.headers['content-encoding'] = plan.contentEncoding;
}

function preparedUpload(req: IncomingMessage): PreparedUpload | undefined {
  return (req as IncomingMessage & { [UPLOAD]?: PreparedUpload })[UPLOAD];
}

/**
 * The body stream the emulator should read for this request: the decoded, verified payload of
 * a prepared upload, or the request itself. A failure of the decoder leaves the rest of the
 * request to drain, so the client still reads the error instead of a reset connection.
 */
export function uploadPayload(req: IncomingMessage, payload: NodeJS.ReadableStream): NodeJS.ReadableStream {
  const prepared = preparedUpload(req);
  if (!prepared) return payload;
  const body = new UploadBodyStream(prepared.plan, prepared.checksums);
  payload.on('error', (error) => body.destroy(error));
  body.on('error', () => {
    payload.unpipe(body);
    payload.resume();
  });
  return payload.pipe(body);
}

/** The headers the emulator stores with a prepared upload: the client's own content type back. */
export function restoreUploadHeaders(req: IncomingMessage): void {
  const prepared = preparedUpload(req);
  if (prepared) req.headers['content-type'] = prepared.plan.contentType;
}
