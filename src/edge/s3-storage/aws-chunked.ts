import { AwsServiceError } from '../aws-error.ts';

/** The longest chunk-size or trailer line accepted; real lines are under 200 bytes. */
const MAX_LINE_BYTES = 8 * 1024;
const CR = 0x0d;
const LF = 0x0a;

type State = 'size' | 'data' | 'data-end' | 'trailer' | 'done';

/**
 * Incremental decoder of the `aws-chunked` content encoding (SigV4 streaming uploads:
 * `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`, `STREAMING-UNSIGNED-PAYLOAD-TRAILER`, …). The body is
 * `<hex size>[;chunk-signature=…]\r\n<data>\r\n` per chunk, a zero-size chunk, optional trailer
 * lines (`x-amz-checksum-crc32:…`) and a closing `\r\n`
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html).
 *
 * Feed it network reads in any split; it returns the payload bytes they complete. Malformed
 * framing throws S3's `InvalidRequest`; a body that stops early, `IncompleteBody`. Chunk
 * signatures are not verified (the edge checks no signature at all).
 */
export class AwsChunkedDecoder {
  private state: State = 'size';
  private line: Buffer[] = [];
  private lineBytes = 0;
  private remaining = 0;
  private crAfterData = false;
  private decoded = 0;
  private readonly trailerValues = new Map<string, string>();

  /** Payload bytes decoded so far. */
  get decodedLength(): number {
    return this.decoded;
  }

  /** Trailer headers (lower-case names) seen after the final chunk. */
  get trailers(): ReadonlyMap<string, string> {
    return this.trailerValues;
  }

  /** Decodes one network read; returns the payload slices it completed (possibly none). */
  push(input: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let offset = 0;
    while (offset < input.length) {
      switch (this.state) {
        case 'data': {
          const take = Math.min(this.remaining, input.length - offset);
          out.push(input.subarray(offset, offset + take));
          offset += take;
          this.remaining -= take;
          this.decoded += take;
          if (this.remaining === 0) this.state = 'data-end';
          break;
        }
        case 'data-end': {
          // The two bytes after a chunk's data must be CRLF; anything else means the chunk
          // carried more data than its size line declared.
          const expected = this.crAfterData ? LF : CR;
          if (input[offset] !== expected) {
            throw new AwsServiceError(
              'InvalidRequest',
              'aws-chunked body: a chunk is longer than its declared size (no CRLF after its data)',
            );
          }
          offset += 1;
          this.crAfterData = expected === CR;
          if (expected === LF) this.state = 'size';
          break;
        }
        case 'size':
        case 'trailer':
        case 'done': {
          const newline = input.indexOf(LF, offset);
          const end = newline === -1 ? input.length : newline;
          this.appendLine(input.subarray(offset, end));
          offset = end;
          if (newline !== -1) {
            offset += 1;
            this.endLine();
          }
          break;
        }
      }
    }
    return out;
  }

  /**
   * Called when the body has ended: refuses a body without its final chunk. A body that ends
   * right after the final chunk or a trailer line, without the closing CRLF, is accepted.
   */
  end(): void {
    if (this.state === 'done' || (this.state === 'trailer' && this.lineBytes === 0)) return;
    throw new AwsServiceError(
      'IncompleteBody',
      `The aws-chunked body ended before its final zero-length chunk (${this.decoded} payload bytes received)`,
    );
  }

  private appendLine(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.lineBytes += bytes.length;
    if (this.lineBytes > MAX_LINE_BYTES) {
      throw new AwsServiceError(
        'InvalidRequest',
        `aws-chunked body: a chunk-size or trailer line is longer than ${MAX_LINE_BYTES} bytes`,
      );
    }
    this.line.push(bytes);
  }

  private endLine(): void {
    const raw = Buffer.concat(this.line).toString('latin1');
    this.line = [];
    this.lineBytes = 0;
    if (!raw.endsWith('\r')) {
      throw new AwsServiceError('InvalidRequest', 'aws-chunked body: a line does not end with CRLF');
    }
    const text = raw.slice(0, -1);
    if (this.state === 'size') this.sizeLine(text);
    else if (this.state === 'trailer') this.trailerLine(text);
    else if (text !== '') {
      throw new AwsServiceError('InvalidRequest', 'aws-chunked body: data after the closing CRLF');
    }
  }

  private sizeLine(text: string): void {
    const sizeText = text.split(';', 1)[0]!.trim();
    if (!/^[0-9a-fA-F]{1,12}$/.test(sizeText)) {
      throw new AwsServiceError(
        'InvalidRequest',
        `aws-chunked body: "${text.slice(0, 40)}" is not a chunk-size line (hex size, then optional ;chunk-signature=…)`,
      );
    }
    const size = Number.parseInt(sizeText, 16);
    if (size === 0) {
      this.state = 'trailer';
      return;
    }
    this.remaining = size;
    this.state = 'data';
  }

  private trailerLine(text: string): void {
    if (text === '') {
      this.state = 'done';
      return;
    }
    const colon = text.indexOf(':');
    if (colon <= 0) {
      throw new AwsServiceError(
        'InvalidRequest',
        `aws-chunked body: "${text.slice(0, 40)}" is not a trailer line`,
      );
    }
    this.trailerValues.set(text.slice(0, colon).trim().toLowerCase(), text.slice(colon + 1).trim());
  }
}
