import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Transform } from 'node:stream';
import { aesBits } from '../aes.ts';
import { decodeStrictBase64 } from '../base64.ts';
import type { DataKey } from '../data-key.ts';
import { InvalidEnvelopeError } from '../errors.ts';
import { metadataValue, type ObjectMetadata } from '../metadata.ts';

/** HTME user-metadata keys (behaviour §4.1). */
export const HTME_METADATA = {
  keyEncryptionKeyId: 'datakeyencryptionkeyid',
  encryptedDataKey: 'ciphertext',
  iv: 'iv',
} as const;

/** The data-product companions carried through pass-through and re-wrap (behaviour §4.6). */
export const DATA_PRODUCT_METADATA = ['data_product', 'data_product_type'] as const;

/** AES-CTR initial counter block size. */
export const HTME_IV_BYTES = 16;

/** The key material of an HTME object: which DKS master key wrapped its data key, and how. */
export interface HtmeEnvelope {
  /** DKS id of the key-encryption key (`datakeyencryptionkeyid`). */
  keyEncryptionKeyId: string;
  /** The DKS-wrapped data key (`ciphertext`), opaque, passed to the DKS as is. */
  encryptedDataKey: string;
  /** The 16-byte initial counter block (`iv`, Base64 on the wire). */
  iv: Buffer;
}

/**
 * Reads the HTME envelope from S3 user metadata.
 *
 * @returns `undefined` when the object is not HTME (not all three keys present).
 * @throws InvalidEnvelopeError naming the field when a key is empty or `iv` is not strict
 *   Base64 of exactly 16 bytes — such an object fails rather than being decrypted with a guess.
 */
export function readHtmeEnvelope(metadata: ObjectMetadata): HtmeEnvelope | undefined {
  const keyEncryptionKeyId = metadataValue(metadata, HTME_METADATA.keyEncryptionKeyId);
  const encryptedDataKey = metadataValue(metadata, HTME_METADATA.encryptedDataKey);
  const ivText = metadataValue(metadata, HTME_METADATA.iv);
  if (keyEncryptionKeyId === undefined || encryptedDataKey === undefined || ivText === undefined) {
    return undefined;
  }
  if (keyEncryptionKeyId.length === 0) {
    throw new InvalidEnvelopeError(HTME_METADATA.keyEncryptionKeyId, 'is empty');
  }
  if (encryptedDataKey.length === 0)
    throw new InvalidEnvelopeError(HTME_METADATA.encryptedDataKey, 'is empty');
  return { keyEncryptionKeyId, encryptedDataKey, iv: decodeIv(ivText) };
}

/** Decodes an HTME `iv` value; exported for callers holding the text alone. */
export function decodeIv(text: string, field: string = HTME_METADATA.iv): Buffer {
  const iv = decodeStrictBase64(text);
  if (iv === undefined) throw new InvalidEnvelopeError(field, 'is not strict Base64');
  if (iv.length !== HTME_IV_BYTES) {
    throw new InvalidEnvelopeError(field, `must decode to ${HTME_IV_BYTES} bytes, got ${iv.length}`);
  }
  return iv;
}

/** The three HTME metadata entries for an envelope (IV re-encoded as Base64). */
export function htmeMetadata(envelope: HtmeEnvelope): Record<string, string> {
  return {
    [HTME_METADATA.iv]: envelope.iv.toString('base64'),
    [HTME_METADATA.encryptedDataKey]: envelope.encryptedDataKey,
    [HTME_METADATA.keyEncryptionKeyId]: envelope.keyEncryptionKeyId,
  };
}

/** `data_product` and `data_product_type` copied from the source, or `""` when absent (behaviour §4.6). */
export function dataProductMetadata(source: ObjectMetadata): Record<string, string> {
  return Object.fromEntries(DATA_PRODUCT_METADATA.map((name) => [name, metadataValue(source, name) ?? '']));
}

/**
 * Metadata of an HTME object passed through still encrypted (`decrypt` false, behaviour §4.6): the
 * three key fields as read, plus the data-product fields copied or `""`.
 */
export function passThroughMetadata(envelope: HtmeEnvelope, source: ObjectMetadata): Record<string, string> {
  return { ...htmeMetadata(envelope), ...dataProductMetadata(source) };
}

function ctrAlgorithm(key: Buffer, iv: Buffer): string {
  if (iv.length !== HTME_IV_BYTES) {
    throw new InvalidEnvelopeError(HTME_METADATA.iv, `must be ${HTME_IV_BYTES} bytes, got ${iv.length}`);
  }
  return `aes-${aesBits(key, 'HTME data key')}-ctr`;
}

/**
 * A streaming AES-CTR decipher. The IV is the full initial counter block and OpenSSL increments
 * all 128 bits big-endian, as BouncyCastle's `AES/CTR/NoPadding` does, so chunk boundaries and
 * counter carries past 2^64 need no handling here (the tests pin both).
 */
export function createCtrDecipher(key: Buffer, iv: Buffer): Transform {
  return createDecipheriv(ctrAlgorithm(key, iv), key, iv);
}

/** A streaming AES-CTR cipher (CTR is symmetric; a separate name keeps call sites readable). */
export function createCtrCipher(key: Buffer, iv: Buffer): Transform {
  return createCipheriv(ctrAlgorithm(key, iv), key, iv);
}

/** A fresh random IV for encrypting (manifests, fixtures). */
export function randomIv(): Buffer {
  return randomBytes(HTME_IV_BYTES);
}

/**
 * Encrypts a whole buffer as an HTME object (manifests, test fixtures) with a fresh IV unless
 * one is given. Large objects should use {@link createCtrCipher} in a pipeline instead.
 */
export function encryptHtme(
  plaintext: Buffer,
  dataKey: DataKey,
  iv: Buffer = randomIv(),
): { body: Buffer; envelope: HtmeEnvelope } {
  const cipher = createCipheriv(ctrAlgorithm(dataKey.plaintextDataKey, iv), dataKey.plaintextDataKey, iv);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return {
    body,
    envelope: {
      keyEncryptionKeyId: dataKey.keyEncryptionKeyId,
      encryptedDataKey: dataKey.encryptedDataKey,
      iv,
    },
  };
}
