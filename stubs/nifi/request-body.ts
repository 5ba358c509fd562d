import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';
import type { Request } from 'express';

/** A body longer than the stub's limit. */
export class PayloadTooLarge extends Error {
  override readonly name = 'PayloadTooLarge';
}

/** Bytes of an unwanted body read and thrown away before the connection is cut instead. */
const DISCARD_CAP = 64 * 1024 * 1024;

/**
 * Reads and throws away the rest of a body we will not store: closing a socket with unread input
 * makes the kernel send a reset, which can destroy the response before the client reads it.
 * Past the cap the connection is cut.
 */
export function discardBody(req: Request): void {
  let discarded = 0;
  req.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > DISCARD_CAP) req.socket.destroy();
  });
  req.resume();
}

/** A request body on its way to storage, counted and hashed as it passes. */
export interface MeteredBody {
  /** The body, failing with {@link PayloadTooLarge} past the limit or when the client hangs up. */
  readonly stream: Transform;
  /** Bytes read so far. */
  bytes(): number;
  /** SHA-256 (hex) of the whole body, once it has been read. */
  sha256(): string;
  /** Why the stream failed, if it did. */
  failure(): Error | undefined;
  /** Stops reading the request into the stream and destroys it. */
  detach(): void;
}

/** Pipes `req` through a counter that refuses more than `limit` bytes. */
export function meterRequestBody(req: Request, limit: number): MeteredBody {
  const hash = createHash('sha256');
  let bytes = 0;
  let failed: Error | undefined;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      if (bytes > limit) return callback(new PayloadTooLarge(`body exceeds the limit of ${limit} bytes`));
      hash.update(chunk);
      callback(null, chunk);
    },
  });
  stream.on('error', (error) => {
    failed ??= error;
  });
  // Not stream.pipeline: it would destroy the request, and with it the socket the answer needs.
  req.on('close', () => {
    if (!req.complete) stream.destroy(new Error('client closed the connection mid-body'));
  });
  req.pipe(stream);
  return {
    stream,
    bytes: () => bytes,
    sha256: () => hash.digest('hex'),
    failure: () => failed,
    detach: () => {
      req.unpipe(stream);
      stream.destroy();
    },
  };
}
