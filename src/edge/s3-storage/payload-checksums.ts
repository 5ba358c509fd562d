import { createHash, type Hash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { AwsServiceError } from '../aws-error.ts';

type Headers = Record<string, string | string[] | undefined>;

/** The flexible-checksum headers S3 knows, the digest size each must decode to, and its name in errors. */
const CHECKSUMS: Record<string, { label: string; bytes: number; computable: boolean }> = {
  'x-amz-checksum-crc32': { label: 'CRC32', bytes: 4, computable: true },
  'x-amz-checksum-crc32c': { label: 'CRC32C', bytes: 4, computable: false },
  'x-amz-checksum-crc64nvme': { label: 'CRC64NVME', bytes: 8, computable: false },
  'x-amz-checksum-sha1': { label: 'SHA1', bytes: 20, computable: true },
  'x-amz-checksum-sha256': { label: 'SHA256', bytes: 32, computable: true },
};

/** The values `x-amz-content-sha256` may take besides the hex SHA-256 of the payload. */
const PAYLOAD_HASH_KEYWORDS = [
  'UNSIGNED-PAYLOAD',
  'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
  'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
  'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER',
  'STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD',
  'STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER',
];

function single(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function decodesTo(value: string, bytes: number): boolean {
  return /^[A-Za-z0-9+/]+={0,2}$/.test(value) && Buffer.from(value, 'base64').length === bytes;
}

/** A running digest of the payload. */
interface Digest {
  update(data: Buffer): void;
  base64(): string;
  hex(): string;
}

function digest(kind: 'crc32' | 'sha1' | 'sha256' | 'md5'): Digest {
  if (kind === 'crc32') {
    let value = 0;
    const bytes = () => {
      const out = Buffer.alloc(4);
      out.writeUInt32BE(value >>> 0);
      return out;
    };
    return {
      update: (data) => {
        value = crc32(data, value);
      },
      base64: () => bytes().toString('base64'),
      hex: () => bytes().toString('hex'),
    };
  }
  const hash: Hash = createHash(kind);
  let result: Buffer | undefined;
  const final = () => {
    result ??= hash.digest();
    return result;
  };
  return {
    update: (data) => hash.update(data),
    base64: () => final().toString('base64'),
    hex: () => final().toString('hex'),
  };
}

const DIGEST_OF: Record<string, 'crc32' | 'sha1' | 'sha256'> = {
  'x-amz-checksum-crc32': 'crc32',
  'x-amz-checksum-sha1': 'sha1',
  'x-amz-checksum-sha256': 'sha256',
};

/**
 * The integrity checks S3 applies to an upload's payload: `Content-MD5`, the flexible checksum
 * headers (`x-amz-checksum-*`, also as aws-chunked trailers) and a hex `x-amz-content-sha256`
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html).
 * Header values that are not well formed are refused at once; digests are compared when the
 * payload has ended. CRC32C and CRC64NVME are checked for form only (Node has no digest for them).
 */
export class PayloadChecksums {
  private readonly digests = new Map<string, Digest>();
  private readonly expected: { header: string; value: string }[] = [];

  /** Reads the expectations of a request's headers; throws S3's error for a malformed one. */
  constructor(headers: Headers) {
    const md5 = single(headers, 'content-md5');
    if (md5 !== undefined) {
      if (!decodesTo(md5, 16))
        throw new AwsServiceError('InvalidDigest', 'The Content-MD5 you specified was invalid.');
      this.expect('content-md5', md5);
    }
    for (const [header, spec] of Object.entries(CHECKSUMS)) {
      const value = single(headers, header);
      if (value === undefined) continue;
      if (!decodesTo(value, spec.bytes)) {
        throw new AwsServiceError('InvalidRequest', `Value for ${header} header is invalid.`);
      }
      this.expect(header, value);
    }
    const payloadHash = single(headers, 'x-amz-content-sha256');
    if (payloadHash !== undefined && !PAYLOAD_HASH_KEYWORDS.includes(payloadHash)) {
      if (!/^[0-9a-f]{64}$/.test(payloadHash)) {
        throw new AwsServiceError(
          'InvalidArgument',
          `x-amz-content-sha256 must be ${PAYLOAD_HASH_KEYWORDS.join(', ')} or a valid sha256 value.`,
        );
      }
      this.expect('x-amz-content-sha256', payloadHash);
    }
    // A trailer announced by `x-amz-trailer` is compared when the aws-chunked body ends.
    const trailer = single(headers, 'x-amz-trailer')?.trim().toLowerCase();
    if (trailer && DIGEST_OF[trailer]) this.track(trailer);
  }

  /** Feeds payload bytes to every digest an expectation needs. */
  update(data: Buffer): void {
    for (const running of this.digests.values()) running.update(data);
  }

  /**
   * Compares every expectation (plus checksum trailers, given by name) with the payload seen;
   * throws S3's `BadDigest` (or `XAmzContentSHA256Mismatch`) on the first difference.
   */
  verify(trailers: ReadonlyMap<string, string> = new Map()): void {
    const expectations = [...this.expected];
    for (const [name, value] of trailers) {
      const spec = CHECKSUMS[name];
      if (!spec) continue;
      if (!decodesTo(value, spec.bytes)) {
        throw new AwsServiceError('InvalidRequest', `Value for ${name} trailing header is invalid.`);
      }
      if (this.digests.has(name) || !spec.computable) expectations.push({ header: name, value });
    }
    for (const { header, value } of expectations) {
      const running = this.digests.get(header);
      if (!running) continue;
      if (header === 'x-amz-content-sha256') {
        if (running.hex() !== value) {
          throw new AwsServiceError(
            'XAmzContentSHA256Mismatch',
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
          );
        }
      } else if (running.base64() !== value) {
        throw new AwsServiceError(
          'BadDigest',
          header === 'content-md5'
            ? 'The Content-MD5 you specified did not match what we received.'
            : `The ${CHECKSUMS[header]!.label} you specified did not match the calculated checksum.`,
        );
      }
    }
  }

  private expect(header: string, value: string): void {
    this.expected.push({ header, value });
    this.track(header);
  }

  private track(header: string): void {
    if (this.digests.has(header)) return;
    if (header === 'content-md5') this.digests.set(header, digest('md5'));
    else if (header === 'x-amz-content-sha256') this.digests.set(header, digest('sha256'));
    else if (DIGEST_OF[header]) this.digests.set(header, digest(DIGEST_OF[header]));
  }
}
