import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Logger } from '../../logging/logger.ts';
import { AwsServiceError, escapeXml, s3ErrorBody } from '../aws-error.ts';
import { noteServerError } from '../http-util.ts';
import { parseS3Request } from '../s3-request.ts';
import type { Blob, BlobStore } from './blob-store.ts';
import { S3StorageError } from './errors.ts';
import type { ObjectCatalog, StoredObject } from './object-catalog.ts';
import { resolveRange, sliceSegments } from './range.ts';
import { uploadBody } from './upload-body.ts';

const XML = 'application/xml';
const MAX_PART_NUMBER = 10_000;

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** `x-amz-meta-*` request headers, names lower-cased and without the prefix (as S3 keeps them). */
export function userMetadata(headers: IncomingMessage['headers']): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!name.startsWith('x-amz-meta-') || value === undefined || value === '') continue;
    metadata[name.slice('x-amz-meta-'.length)] = Array.isArray(value) ? value[0]! : value;
  }
  return metadata;
}

/** `x-amz-copy-source` (`[/]bucket/key[?versionId=…]`, URL-encoded) → bucket and key. */
export function parseCopySource(value: string): { bucket: string; key: string } {
  const path = value.split('?', 1)[0]!;
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    throw new S3StorageError('InvalidArgument', 'Invalid copy source encoding', 400);
  }
  const trimmed = decoded.startsWith('/') ? decoded.slice(1) : decoded;
  const slash = trimmed.indexOf('/');
  if (slash <= 0 || slash === trimmed.length - 1) {
    throw new S3StorageError(
      'InvalidArgument',
      'Copy Source must mention the source bucket and key: sourcebucket/sourcekey',
      400,
    );
  }
  return { bucket: trimmed.slice(0, slash), key: trimmed.slice(slash + 1) };
}

function requestId(): string {
  return randomUUID().replaceAll('-', '').toUpperCase().slice(0, 16);
}

/**
 * Serves the S3 requests that carry object data, streaming them between the socket and the
 * {@link BlobStore} — GetObject (ranges, conditional headers), PutObject (plain or `aws-chunked`),
 * CopyObject, UploadPart and UploadPartCopy — and leaves every other request to the emulator, which
 * reaches the same {@link ObjectCatalog}. Routing follows fauxqs's: any GET or PUT of a key. Requests
 * come from the S3 gateway, which has made virtual-hosted ones path-style.
 */
export class ObjectRequests {
  constructor(
    private readonly catalog: ObjectCatalog,
    private readonly blobs: BlobStore,
    private readonly logger: Logger,
    /** Largest body one request may carry, also when its length is not declared up front. */
    private readonly maxBodyBytes: number,
  ) {}

  /** Takes the request if it is one of ours (answering it asynchronously); false otherwise. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'PUT') return false;
    const info = parseS3Request(req.url ?? '/');
    if (!info || info.key === undefined) return false;
    const { bucket, key, query } = info;
    res.setHeader('x-amz-request-id', requestId());
    res.setHeader('x-amz-id-2', 'edge');
    const work =
      method === 'GET'
        ? this.getObject(req, res, bucket, key)
        : query.has('uploadId') && query.has('partNumber')
          ? this.uploadPart(req, res, query.get('uploadId')!, query.get('partNumber')!)
          : header(req, 'x-amz-copy-source') !== undefined
            ? this.copyObject(req, res, bucket, key)
            : this.putObject(req, res, bucket, key);
    work.catch((error: unknown) => this.fail(req, res, error, `/${bucket}/${key}`));
    return true;
  }

  /**
   * Answers a failed object request: S3's own errors (the storage's, and the upload body's
   * decoding and checksum errors) in S3's XML; anything else as a 500 whose cause the edge's 5xx
   * log line names (noteServerError). A client that has gone gets nothing; a response that had
   * begun is cut, and logged as such.
   */
  private fail(req: IncomingMessage, res: ServerResponse, error: unknown, resource: string): void {
    req.resume();
    if (res.destroyed || !res.socket || res.socket.destroyed) {
      // The client went away: nothing to answer.
      this.logger.debug({ err: error, method: req.method, url: req.url }, 'S3 object request ended early');
      res.destroy();
      return;
    }
    const known = error instanceof AwsServiceError;
    if (!known) noteServerError(res, error);
    if (res.headersSent) {
      // The body broke off mid-response: only cutting the connection tells the client.
      res.destroy();
      return;
    }
    const failure = known
      ? error
      : new S3StorageError('InternalError', String((error as Error)?.message ?? error), 500);
    const at = failure instanceof S3StorageError ? (failure.resource ?? resource) : resource;
    const body = s3ErrorBody(failure.code, failure.message, at);
    res.writeHead(failure.statusCode, {
      'content-type': XML,
      'content-length': Buffer.byteLength(body),
      // A body still arriving is not read to its end: close the connection after the answer.
      ...(req.complete ? {} : { connection: 'close' }),
    });
    res.end(body);
  }

  // ── GetObject ──

  private async getObject(
    req: IncomingMessage,
    res: ServerResponse,
    bucket: string,
    key: string,
  ): Promise<void> {
    req.resume();
    const object = this.catalog.getObject(bucket, key);
    if (this.notModified(req, object)) {
      res.writeHead(304, { etag: object.etag, 'last-modified': object.lastModified.toUTCString() });
      res.end();
      return;
    }
    const range = resolveRange(header(req, 'range'), object.contentLength);
    if (range === 'unsatisfiable') {
      res.setHeader('content-range', `bytes */${object.contentLength}`);
      throw new S3StorageError(
        'InvalidRange',
        'The requested range is not satisfiable',
        416,
        `/${bucket}/${key}`,
      );
    }
    const headers: Record<string, string | number> = {
      'content-type': object.contentType,
      etag: object.etag,
      'last-modified': object.lastModified.toUTCString(),
      'accept-ranges': 'bytes',
    };
    for (const [name, value] of Object.entries(object.metadata)) headers[`x-amz-meta-${name}`] = value;
    const whole = { start: 0, end: object.contentLength - 1 };
    const wanted = range === 'whole' ? whole : range;
    headers['content-length'] = range === 'whole' ? object.contentLength : wanted.end - wanted.start + 1;
    if (range !== 'whole')
      headers['content-range'] = `bytes ${wanted.start}-${wanted.end}/${object.contentLength}`;
    const blobs = this.catalog.retainBlobs(object);
    try {
      res.writeHead(range === 'whole' ? 200 : 206, headers);
      if (object.contentLength === 0) {
        res.end();
        return;
      }
      const body = Readable.from(this.bytes(blobs, wanted.start, wanted.end), { objectMode: false });
      // A read that fails while the client is still there is the edge's failure (the response is
      // cut, and logged); one that fails because the client left is nobody's.
      body.once('error', (error) => {
        if (!req.socket.destroyed) noteServerError(res, error);
      });
      await pipeline(body, res);
    } finally {
      for (const blob of blobs) this.blobs.release(blob);
    }
  }

  /** Conditional GET: `If-None-Match` / `If-Modified-Since` → 304; `If-Match` / `If-Unmodified-Since` → 412. */
  private notModified(req: IncomingMessage, object: StoredObject): boolean {
    const ifMatch = header(req, 'if-match');
    const ifUnmodifiedSince = Date.parse(header(req, 'if-unmodified-since') ?? '');
    const lastModifiedSeconds = Math.floor(object.lastModified.getTime() / 1000) * 1000;
    if (
      (ifMatch !== undefined && !etagMatches(ifMatch, object.etag)) ||
      (ifMatch === undefined && !Number.isNaN(ifUnmodifiedSince) && lastModifiedSeconds > ifUnmodifiedSince)
    ) {
      throw new S3StorageError(
        'PreconditionFailed',
        'At least one of the pre-conditions you specified did not hold',
        412,
      );
    }
    const ifNoneMatch = header(req, 'if-none-match');
    if (ifNoneMatch !== undefined) return etagMatches(ifNoneMatch, object.etag);
    const ifModifiedSince = Date.parse(header(req, 'if-modified-since') ?? '');
    return !Number.isNaN(ifModifiedSince) && lastModifiedSeconds <= ifModifiedSince;
  }

  /** Bytes `start..end` (inclusive) of an object made of `blobs`, one blob after the other. */
  private async *bytes(blobs: readonly Blob[], start: number, end: number): AsyncGenerator<Buffer> {
    const slices = sliceSegments(
      blobs.map((blob) => blob.size),
      { start, end },
    );
    for (const slice of slices) {
      yield* this.blobs.read(blobs[slice.index]!, slice.start, slice.end) as AsyncIterable<Buffer>;
    }
  }

  // ── PutObject and UploadPart ──

  /** The body, failing with EntityTooLarge past {@link maxBodyBytes} (a chunked body declares no length). */
  private async *limited(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    let size = 0;
    for await (const chunk of source) {
      size += chunk.length;
      if (size > this.maxBodyBytes) {
        throw new S3StorageError(
          'EntityTooLarge',
          `Your proposed upload exceeds the embedded S3's single-request limit of ${this.maxBodyBytes} bytes; use a multipart upload (e.g. @aws-sdk/lib-storage Upload) with parts of at most 8 MiB`,
          400,
        );
      }
      yield chunk;
    }
  }

  /**
   * Stores an upload's payload as a blob — decoded from aws-chunked and checked against its
   * declared length and every checksum the client sent (upload-body.ts) — and says which content
   * type to store it under (the client's, or S3's default).
   */
  private async receive(req: IncomingMessage): Promise<{ blob: Blob; contentType: string }> {
    const { payload, plan } = uploadBody(req);
    return { blob: await this.blobs.write(this.limited(payload)), contentType: plan.contentType };
  }

  private async putObject(
    req: IncomingMessage,
    res: ServerResponse,
    bucket: string,
    key: string,
  ): Promise<void> {
    this.catalog.requireBucket(bucket);
    const { blob, contentType } = await this.receive(req);
    const object = this.catalog.commitObject(
      bucket,
      key,
      [blob],
      `"${blob.md5}"`,
      contentType,
      userMetadata(req.headers),
    );
    res.writeHead(200, { etag: object.etag, 'content-length': 0 });
    res.end();
  }

  private async uploadPart(
    req: IncomingMessage,
    res: ServerResponse,
    uploadId: string,
    partNumberText: string,
  ): Promise<void> {
    const partNumber = Number(partNumberText);
    if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > MAX_PART_NUMBER) {
      throw new S3StorageError(
        'InvalidArgument',
        `Part number must be an integer between 1 and ${MAX_PART_NUMBER}, inclusive`,
        400,
      );
    }
    this.catalog.requireUpload(uploadId);
    const copySource = header(req, 'x-amz-copy-source');
    if (copySource === undefined) {
      const etag = this.catalog.commitPart(uploadId, partNumber, (await this.receive(req)).blob);
      res.writeHead(200, { etag, 'content-length': 0 });
      res.end();
      return;
    }
    // UploadPartCopy: a range of another object becomes this part (the AWS CLI's large copies).
    req.resume();
    const from = parseCopySource(copySource);
    const source = this.catalog.getObject(from.bucket, from.key);
    const range = copySourceRange(header(req, 'x-amz-copy-source-range'), source.contentLength);
    const blob = await this.copyBytes(source, range.start, range.end);
    const etag = this.catalog.commitPart(uploadId, partNumber, blob);
    const body = `<?xml version="1.0" encoding="UTF-8"?>\n<CopyPartResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LastModified>${new Date().toISOString()}</LastModified><ETag>${escapeXml(etag)}</ETag></CopyPartResult>`;
    res.writeHead(200, { 'content-type': XML, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }

  /** A new blob holding bytes `start..end` of an object, streamed through the store. */
  private async copyBytes(source: StoredObject, start: number, end: number): Promise<Blob> {
    const blobs = this.catalog.retainBlobs(source);
    try {
      if (end < start) return await this.blobs.write(Readable.from([]));
      return await this.blobs.write(this.bytes(blobs, start, end));
    } finally {
      for (const blob of blobs) this.blobs.release(blob);
    }
  }

  // ── CopyObject ──

  /**
   * CopyObject shares the source's blobs (bodies are immutable), so a copy of any size costs no
   * data movement. Its ETag is the MD5 of the content, as S3 gives a copied object; for a source
   * made of parts that MD5 is computed by streaming the body once.
   */
  private async copyObject(
    req: IncomingMessage,
    res: ServerResponse,
    bucket: string,
    key: string,
  ): Promise<void> {
    req.resume();
    const from = parseCopySource(header(req, 'x-amz-copy-source')!);
    const source = this.catalog.getObject(from.bucket, from.key);
    this.catalog.requireBucket(bucket);
    const replace = (header(req, 'x-amz-metadata-directive') ?? 'COPY').toUpperCase() === 'REPLACE';
    if (from.bucket === bucket && from.key === key && !replace) {
      throw new S3StorageError(
        'InvalidRequest',
        "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
        400,
      );
    }
    const blobs = this.catalog.retainBlobs(source);
    let etag: string;
    try {
      etag = blobs.length === 1 ? `"${blobs[0]!.md5}"` : `"${await this.md5Of(blobs, source.contentLength)}"`;
    } catch (error) {
      for (const blob of blobs) this.blobs.release(blob);
      throw error;
    }
    const object = this.catalog.commitObject(
      bucket,
      key,
      blobs,
      etag,
      replace ? (header(req, 'content-type') ?? source.contentType) : source.contentType,
      replace ? userMetadata(req.headers) : { ...source.metadata },
    );
    const body = `<?xml version="1.0" encoding="UTF-8"?>\n<CopyObjectResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LastModified>${object.lastModified.toISOString()}</LastModified><ETag>${escapeXml(object.etag)}</ETag></CopyObjectResult>`;
    res.writeHead(200, { 'content-type': XML, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }

  private async md5Of(blobs: readonly Blob[], size: number): Promise<string> {
    const hash = createHash('md5');
    if (size > 0) for await (const chunk of this.bytes(blobs, 0, size - 1)) hash.update(chunk);
    return hash.digest('hex');
  }
}

function etagMatches(condition: string, etag: string): boolean {
  const bare = etag.replaceAll('"', '');
  return condition.split(',').some((candidate) => {
    const value = candidate.trim();
    return value === '*' || value.replaceAll('"', '') === bare;
  });
}

/** `x-amz-copy-source-range: bytes=first-last` (both required, within the source), or the whole source. */
export function copySourceRange(value: string | undefined, size: number): { start: number; end: number } {
  if (value === undefined) return { start: 0, end: size - 1 };
  const match = /^bytes=(\d+)-(\d+)$/.exec(value.trim());
  if (!match || Number(match[2]) < Number(match[1]) || Number(match[2]) >= size) {
    throw new S3StorageError(
      'InvalidArgument',
      `The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy, within the source object of ${size} bytes`,
      400,
    );
  }
  return { start: Number(match[1]), end: Number(match[2]) };
}
