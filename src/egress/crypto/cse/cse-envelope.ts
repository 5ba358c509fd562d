import { decodeStrictBase64 } from '../base64.ts';
import { InvalidEnvelopeError } from '../errors.ts';
import { metadataValue, type ObjectMetadata } from '../metadata.ts';

/**
 * User-metadata keys of the AWS S3 Encryption Client (behaviour §4.4). On the wire they are
 * `x-amz-meta-x-amz-…`; the SDK hands them over without the first `x-amz-meta-`.
 */
export const CSE_METADATA = {
  matdesc: 'x-amz-matdesc',
  keyV2: 'x-amz-key-v2',
  keyV1: 'x-amz-key',
  wrapAlg: 'x-amz-wrap-alg',
  cekAlg: 'x-amz-cek-alg',
  tagLen: 'x-amz-tag-len',
  iv: 'x-amz-iv',
  unencryptedLength: 'x-amz-unencrypted-content-length',
} as const;

/** Key-wrap algorithms this port reads: V2 `AES/GCM`, legacy RFC 3394 `AESWrap`, V1 `AES` (ECB/PKCS5). */
export type CseWrapAlgorithm = 'AES/GCM' | 'AESWrap' | 'AES';
/** Content algorithms this port reads. */
export type CseContentAlgorithm = 'AES/GCM/NoPadding' | 'AES/CBC/PKCS5Padding';

const WRAP_ALGORITHMS: readonly CseWrapAlgorithm[] = ['AES/GCM', 'AESWrap', 'AES'];
const CONTENT_ALGORITHMS: readonly CseContentAlgorithm[] = ['AES/GCM/NoPadding', 'AES/CBC/PKCS5Padding'];
const GCM_IV_BYTES = 12;
const CBC_IV_BYTES = 16;

/** The material description: `keyid` + `encryptedkey` name the DKS-wrapped master key. */
export interface CseMaterialDescription {
  keyid?: string;
  encryptedkey?: string;
  [name: string]: string | undefined;
}

/** A parsed S3 Encryption Client envelope. */
export interface CseEnvelope {
  /** `v2` when the key is in `x-amz-key-v2`, `v1` for `x-amz-key`. */
  format: 'v1' | 'v2';
  matdesc: CseMaterialDescription;
  wrapAlgorithm: CseWrapAlgorithm;
  contentAlgorithm: CseContentAlgorithm;
  /** The content-encryption key wrapped under the master key (decoded from Base64). */
  encryptedContentKey: Buffer;
  /** Content IV: 12 bytes for GCM, 16 for CBC. */
  iv: Buffer;
  /** GCM tag length in bits (96–128); `undefined` for CBC. */
  tagLengthBits: number | undefined;
  /** `x-amz-unencrypted-content-length` when present. */
  unencryptedContentLength: number | undefined;
}

/** True when the object is client-side encrypted; takes precedence over HTME (behaviour §4.4). */
export function isCseObject(metadata: ObjectMetadata): boolean {
  return metadataValue(metadata, CSE_METADATA.matdesc) !== undefined;
}

function required(metadata: ObjectMetadata, field: string, why: string): string {
  const value = metadataValue(metadata, field);
  if (value === undefined || value === '') throw new InvalidEnvelopeError(field, `is missing (${why})`);
  return value;
}

function base64Field(metadata: ObjectMetadata, field: string): Buffer {
  const bytes = decodeStrictBase64(required(metadata, field, 'required by the format'));
  if (bytes === undefined) throw new InvalidEnvelopeError(field, 'is not strict Base64');
  return bytes;
}

function oneOf<T extends string>(field: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new InvalidEnvelopeError(field, `'${value}' is not supported (supported: ${allowed.join(', ')})`);
}

function parseMatdesc(text: string): CseMaterialDescription {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InvalidEnvelopeError(CSE_METADATA.matdesc, 'is not valid JSON', { cause: error });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new InvalidEnvelopeError(CSE_METADATA.matdesc, 'must be a JSON object');
  }
  const matdesc: CseMaterialDescription = {};
  for (const [name, value] of Object.entries(json)) {
    if (typeof value !== 'string') {
      throw new InvalidEnvelopeError(CSE_METADATA.matdesc, `field '${name}' must be a string`);
    }
    matdesc[name] = value;
  }
  return matdesc;
}

function parseTagLength(metadata: ObjectMetadata): number {
  // The V2 client always writes 128; absent means the Java default, also 128.
  const text = metadataValue(metadata, CSE_METADATA.tagLen) ?? '128';
  const bits = /^\d{1,3}$/.test(text) ? Number(text) : Number.NaN;
  if (!(bits >= 96 && bits <= 128 && bits % 8 === 0)) {
    throw new InvalidEnvelopeError(CSE_METADATA.tagLen, `must be 96–128 bits in steps of 8, got '${text}'`);
  }
  return bits;
}

function parseLength(metadata: ObjectMetadata): number | undefined {
  const text = metadataValue(metadata, CSE_METADATA.unencryptedLength);
  if (text === undefined) return undefined;
  if (!/^\d{1,15}$/.test(text)) {
    throw new InvalidEnvelopeError(CSE_METADATA.unencryptedLength, `must be a byte count, got '${text}'`);
  }
  return Number(text);
}

/**
 * Parses an S3 Encryption Client envelope from user metadata (V2, or legacy AESWrap / V1).
 * Instruction-file envelopes are not supported, as in the original.
 *
 * @throws InvalidEnvelopeError naming the field at fault.
 */
export function readCseEnvelope(metadata: ObjectMetadata): CseEnvelope {
  const matdesc = parseMatdesc(required(metadata, CSE_METADATA.matdesc, 'not a CSE object'));
  const hasV2 = metadataValue(metadata, CSE_METADATA.keyV2) !== undefined;
  const hasV1 = metadataValue(metadata, CSE_METADATA.keyV1) !== undefined;
  if (!hasV2 && !hasV1) {
    throw new InvalidEnvelopeError(
      CSE_METADATA.keyV2,
      `is missing, and so is ${CSE_METADATA.keyV1} (instruction-file envelopes are not supported)`,
    );
  }
  const format = hasV2 ? 'v2' : 'v1';
  const wrapAlgorithm = oneOf(
    CSE_METADATA.wrapAlg,
    hasV2
      ? required(metadata, CSE_METADATA.wrapAlg, 'required with x-amz-key-v2')
      : (metadataValue(metadata, CSE_METADATA.wrapAlg) ?? 'AES'),
    // V1 envelopes only ever used the ECB wrap with a symmetric master key.
    hasV2 ? WRAP_ALGORITHMS : ['AES'],
  );
  const contentAlgorithm = oneOf(
    CSE_METADATA.cekAlg,
    hasV2
      ? required(metadata, CSE_METADATA.cekAlg, 'required with x-amz-key-v2')
      : (metadataValue(metadata, CSE_METADATA.cekAlg) ?? 'AES/CBC/PKCS5Padding'),
    CONTENT_ALGORITHMS,
  );
  const encryptedContentKey = base64Field(metadata, hasV2 ? CSE_METADATA.keyV2 : CSE_METADATA.keyV1);
  const iv = base64Field(metadata, CSE_METADATA.iv);
  const gcm = contentAlgorithm === 'AES/GCM/NoPadding';
  const ivBytes = gcm ? GCM_IV_BYTES : CBC_IV_BYTES;
  if (iv.length !== ivBytes) {
    throw new InvalidEnvelopeError(
      CSE_METADATA.iv,
      `must be ${ivBytes} bytes for ${contentAlgorithm}, got ${iv.length}`,
    );
  }
  return {
    format,
    matdesc,
    wrapAlgorithm,
    contentAlgorithm,
    encryptedContentKey,
    iv,
    tagLengthBits: gcm ? parseTagLength(metadata) : undefined,
    unencryptedContentLength: parseLength(metadata),
  };
}
