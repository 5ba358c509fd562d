import { createCipheriv, randomBytes } from 'node:crypto';
import { aesBits } from '../aes.ts';
import { AES_WRAP_DEFAULT_IV } from './cse-decipher.ts';
import { CSE_METADATA, type CseContentAlgorithm } from './cse-envelope.ts';

/**
 * Test/demo-side encryptors that write objects the way the AWS S3 Encryption Client does, so the
 * decrypting side is exercised against the published formats rather than against itself.
 * Whole-buffer on purpose: fixtures are small, and the production path only ever decrypts.
 */

/** Body and user metadata (keys without `x-amz-meta-`) of an encrypted object, ready to PUT. */
export interface CseObject {
  body: Buffer;
  metadata: Record<string, string>;
}

const CONTENT_KEY_BYTES = 32;

function encryptContent(
  algorithm: CseContentAlgorithm,
  contentKey: Buffer,
  plaintext: Buffer,
): { body: Buffer; iv: Buffer } {
  if (algorithm === 'AES/GCM/NoPadding') {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', contentKey, iv);
    const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    return { body, iv };
  }
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-256-cbc', contentKey, iv);
  return { body: Buffer.concat([cipher.update(plaintext), cipher.final()]), iv };
}

function commonMetadata(
  matdesc: Record<string, string>,
  iv: Buffer,
  plaintext: Buffer,
): Record<string, string> {
  return {
    [CSE_METADATA.matdesc]: JSON.stringify(matdesc),
    [CSE_METADATA.iv]: iv.toString('base64'),
    [CSE_METADATA.unencryptedLength]: String(plaintext.length),
  };
}

/**
 * V2 format (`AmazonS3EncryptionClientV2`, AuthenticatedEncryption): random 256-bit content key,
 * AES-GCM content with the tag appended, content key wrapped with AES-GCM under the master key as
 * `nonce ‖ ciphertext ‖ tag` with the content algorithm name as AAD.
 */
export function encryptCseV2(
  plaintext: Buffer,
  masterKey: Buffer,
  matdesc: Record<string, string>,
): CseObject {
  const bits = aesBits(masterKey, 'CSE master key');
  const contentKey = randomBytes(CONTENT_KEY_BYTES);
  const content = encryptContent('AES/GCM/NoPadding', contentKey, plaintext);
  const nonce = randomBytes(12);
  const wrap = createCipheriv(`aes-${bits}-gcm`, masterKey, nonce);
  wrap.setAAD(Buffer.from('AES/GCM/NoPadding', 'utf8'));
  const wrapped = Buffer.concat([nonce, wrap.update(contentKey), wrap.final(), wrap.getAuthTag()]);
  return {
    body: content.body,
    metadata: {
      ...commonMetadata(matdesc, content.iv, plaintext),
      [CSE_METADATA.keyV2]: wrapped.toString('base64'),
      [CSE_METADATA.wrapAlg]: 'AES/GCM',
      [CSE_METADATA.cekAlg]: 'AES/GCM/NoPadding',
      [CSE_METADATA.tagLen]: '128',
    },
  };
}

/**
 * Legacy V1-client format with `x-amz-key-v2`: content key wrapped with RFC 3394 AESWrap; content
 * AES-GCM (AuthenticatedEncryption mode) or AES-CBC/PKCS5 (EncryptionOnly mode).
 */
export function encryptCseAesWrap(
  plaintext: Buffer,
  masterKey: Buffer,
  matdesc: Record<string, string>,
  contentAlgorithm: CseContentAlgorithm,
): CseObject {
  const bits = aesBits(masterKey, 'CSE master key');
  const contentKey = randomBytes(CONTENT_KEY_BYTES);
  const content = encryptContent(contentAlgorithm, contentKey, plaintext);
  const wrap = createCipheriv(`id-aes${bits}-wrap`, masterKey, AES_WRAP_DEFAULT_IV);
  const wrapped = Buffer.concat([wrap.update(contentKey), wrap.final()]);
  return {
    body: content.body,
    metadata: {
      ...commonMetadata(matdesc, content.iv, plaintext),
      [CSE_METADATA.keyV2]: wrapped.toString('base64'),
      [CSE_METADATA.wrapAlg]: 'AESWrap',
      [CSE_METADATA.cekAlg]: contentAlgorithm,
      ...(contentAlgorithm === 'AES/GCM/NoPadding' ? { [CSE_METADATA.tagLen]: '128' } : {}),
    },
  };
}

/** The original V1 format: `x-amz-key` = AES/ECB/PKCS5(master, content key); content AES/CBC/PKCS5. */
export function encryptCseV1(
  plaintext: Buffer,
  masterKey: Buffer,
  matdesc: Record<string, string>,
): CseObject {
  const bits = aesBits(masterKey, 'CSE master key');
  const contentKey = randomBytes(CONTENT_KEY_BYTES);
  const content = encryptContent('AES/CBC/PKCS5Padding', contentKey, plaintext);
  const wrap = createCipheriv(`aes-${bits}-ecb`, masterKey, null);
  const wrapped = Buffer.concat([wrap.update(contentKey), wrap.final()]);
  return {
    body: content.body,
    metadata: {
      ...commonMetadata(matdesc, content.iv, plaintext),
      [CSE_METADATA.keyV1]: wrapped.toString('base64'),
    },
  };
}
