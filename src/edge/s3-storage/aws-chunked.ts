import { Transform, type TransformCallback } from 'node:stream';
import { S3StorageError } from './errors.ts';

/** Longest chunk-size or trailer line accepted (a signature line is ~100 bytes). */
const MAX_LINE_BYTES = 4096;
const LF = 0x0a;

type State = 'size' | 'data' | 'data-end' | 'trailer' | 'done';

function incomplete(detail: string): S3StorageError {
  return new S3StorageError('IncompleteBody', `aws-chunked body: ${detail}`, 400);
}

/**
 * Decodes an `aws-chunked` request body (`Content-Encoding: aws-chunked`, SigV4 streaming with or
 * without chunk signatures and trailing checksums) while it streams, so an upload is never buffered
 * whole:
 *
 * ```
 * <hex size>[;chunk-signature=…]\r\n<data>\r\n … 0[;…]\r\n[<trailer>:<value>\r\n]*\r\n
 * ```
 *
 * Chunk signatures and trailers are not verified (the emulator has no auth). A body that ends
 * before its final zero-size chunk fails with `IncompleteBody`, so a client that hangs up never
 * leaves a truncated object behind.
 */
export class AwsChunkedDecoder extends Transform {
  private state: State = 'size';
  private line = Buffer.alloc(0);
  private remaining = 0;
  /** Bytes of payload emitted so far. */
  decodedBytes = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    try {
      this.consume(chunk);
      done();
    } catch (error) {
      done(error as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    // A missing blank line after the last chunk (or its trailers) is tolerated; missing data is not.
    if (this.state === 'done' || this.state === 'trailer') done();
    else done(incomplete('the body ended before its final zero-size chunk'));
  }

  private consume(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      switch (this.state) {
        case 'data': {
          const take = Math.min(this.remaining, chunk.length - offset);
          this.push(chunk.subarray(offset, offset + take));
          this.decodedBytes += take;
          this.remaining -= take;
          offset += take;
          if (this.remaining === 0) this.state = 'data-end';
          break;
        }
        case 'done':
          return; // anything after the final chunk is ignored, as S3 does
        default: {
          const end = this.readLine(chunk, offset);
          if (end === -1) return;
          offset = end;
        }
      }
    }
  }

  /** Accumulates one CRLF-terminated line; returns the offset after it, or -1 when more is needed. */
  private readLine(chunk: Buffer, offset: number): number {
    // Look for the LF and check the byte before it once the line is assembled: a CR at the very
    // end of one network chunk and its LF at the start of the next must still end the line.
    const lf = chunk.indexOf(LF, offset);
    if (lf === -1) {
      this.appendLine(chunk.subarray(offset));
      return -1;
    }
    this.appendLine(chunk.subarray(offset, lf + 1));
    const line = this.line;
    this.line = Buffer.alloc(0);
    if (line.length < 2 || line[line.length - 2] !== 0x0d) throw incomplete('a line not ended by CRLF');
    this.onLine(line.subarray(0, line.length - 2).toString('latin1'));
    return lf + 1;
  }

  private appendLine(part: Buffer): void {
    if (this.line.length + part.length > MAX_LINE_BYTES) {
      throw incomplete(`a chunk header or trailer longer than ${MAX_LINE_BYTES} bytes`);
    }
    this.line = this.line.length === 0 ? Buffer.from(part) : Buffer.concat([this.line, part]);
  }

  private onLine(line: string): void {
    switch (this.state) {
      case 'size': {
        const sizeText = line.split(';', 1)[0]!.trim();
        if (!/^[0-9a-fA-F]{1,12}$/.test(sizeText))
          throw incomplete(`invalid chunk size line "${line.slice(0, 40)}"`);
        const size = Number.parseInt(sizeText, 16);
        if (size === 0) {
          this.state = 'trailer';
        } else {
          this.remaining = size;
          this.state = 'data';
        }
        return;
      }
      case 'data-end':
        if (line !== '') throw incomplete('chunk data longer than its declared size');
        this.state = 'size';
        return;
      case 'trailer':
        if (line === '') this.state = 'done';
        return;
      default:
        return;
    }
  }
}
