import { createDecipheriv } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { aesBits } from '../aes.ts';
import { CseDecryptionError, InvalidEnvelopeError } from '../errors.ts';
import { CSE_METADATA, type CseEnvelope } from './cse-envelope.ts';
import { GcmDecipherStream } from './gcm-decipher-stream.ts';

/** RFC 3394 default initial value; node's `id-aesN-wrap` ciphers take it explicitly. */
export const AES_WRAP_DEFAULT_IV = Buffer.from('A6A6A6A6A6A6A6A6', 'hex');
const WRAP_NONCE_BYTES = 12;
const WRAP_TAG_BYTES = 16;

/** Unwraps the DKS master key of a CSE object: (matdesc.keyid, matdesc.encryptedkey) → raw AES key. */
export type UnwrapMasterKey = (keyId: string, encryptedKey: string) => Promise<Buffer>;

/**
 * Resolves the master key from the material description (behaviour §4.4): both `keyid` and
 * `encryptedkey` → DKS decrypt; neither → the batch data key; only one → the envelope is broken
 * (the original failed with a null-pointer error there).
 */
export async function resolveMasterKey(
  envelope: CseEnvelope,
  unwrapMasterKey: UnwrapMasterKey,
  batchKey?: () => Promise<Buffer>,
): Promise<Buffer> {
  const { keyid, encryptedkey } = envelope.matdesc;
  if (keyid !== undefined && encryptedkey !== undefined) return unwrapMasterKey(keyid, encryptedkey);
  if (keyid === undefined && encryptedkey === undefined) {
    if (!batchKey) {
      throw new InvalidEnvelopeError(
        CSE_METADATA.matdesc,
        'has neither keyid nor encryptedkey, and no batch data key is available',
      );
    }
    return batchKey();
  }
  const missing = keyid === undefined ? 'keyid' : 'encryptedkey';
  const present = keyid === undefined ? 'encryptedkey' : 'keyid';
  throw new InvalidEnvelopeError(CSE_METADATA.matdesc, `has '${present}' but not '${missing}'`);
}

/** Unwraps the content-encryption key with the master key, per the envelope's wrap algorithm. */
export function unwrapContentKey(envelope: CseEnvelope, masterKey: Buffer): Buffer {
  const bits = aesBits(masterKey, 'CSE master key');
  const wrapped = envelope.encryptedContentKey;
  let contentKey: Buffer;
  try {
    switch (envelope.wrapAlgorithm) {
      case 'AES/GCM': {
        // nonce ‖ ciphertext ‖ tag, with the content algorithm name as AAD (S3EC V2 AesKeyring).
        if (wrapped.length <= WRAP_NONCE_BYTES + WRAP_TAG_BYTES) throw new Error('wrapped key too short');
        const decipher = createDecipheriv(
          `aes-${bits}-gcm`,
          masterKey,
          wrapped.subarray(0, WRAP_NONCE_BYTES),
        );
        decipher.setAAD(Buffer.from(envelope.contentAlgorithm, 'utf8'));
        decipher.setAuthTag(wrapped.subarray(wrapped.length - WRAP_TAG_BYTES));
        contentKey = Buffer.concat([
          decipher.update(wrapped.subarray(WRAP_NONCE_BYTES, wrapped.length - WRAP_TAG_BYTES)),
          decipher.final(),
        ]);
        break;
      }
      case 'AESWrap': {
        const decipher = createDecipheriv(`id-aes${bits}-wrap`, masterKey, AES_WRAP_DEFAULT_IV);
        contentKey = Buffer.concat([decipher.update(wrapped), decipher.final()]);
        break;
      }
      case 'AES': {
        // Java's bare "AES" cipher is AES/ECB/PKCS5Padding, which node's ECB uses by default.
        const decipher = createDecipheriv(`aes-${bits}-ecb`, masterKey, null);
        contentKey = Buffer.concat([decipher.update(wrapped), decipher.final()]);
        break;
      }
    }
    // Inside the try: a wrong master key that happens to pass an unauthenticated ECB padding
    // check still yields a key of an impossible length, which is the same failure.
    aesBits(contentKey, 'CSE content key');
  } catch (error) {
    throw new CseDecryptionError(
      `the master key does not unwrap the content key (${envelope.wrapAlgorithm}); wrong key or tampered ${
        envelope.format === 'v2' ? CSE_METADATA.keyV2 : CSE_METADATA.keyV1
      }`,
      { cause: error },
    );
  }
  return contentKey;
}

/** Wraps node's CBC decipher so padding failures surface as CseDecryptionError, like GCM's. */
function cbcDecipher(contentKey: Buffer, iv: Buffer): Transform {
  const decipher = createDecipheriv(`aes-${aesBits(contentKey, 'CSE content key')}-cbc`, contentKey, iv);
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      try {
        callback(null, decipher.update(chunk));
      } catch (error) {
        callback(new CseDecryptionError('AES-CBC content decryption failed', { cause: error }));
      }
    },
    flush(callback: TransformCallback) {
      try {
        callback(null, decipher.final());
      } catch (error) {
        callback(
          new CseDecryptionError('AES-CBC padding check failed: content or key is wrong', { cause: error }),
        );
      }
    },
  });
}

/**
 * Builds the content decipher for a CSE object: resolves the master key through the callbacks,
 * unwraps the content key and returns a Transform from ciphertext to plaintext.
 *
 * @param unwrapMasterKey DKS decrypt of (`keyid`, `encryptedkey`), returning the raw key bytes.
 * @param batchKey the DKS batch data key, used when the matdesc names no key.
 */
export async function createCseDecipher(
  envelope: CseEnvelope,
  unwrapMasterKey: UnwrapMasterKey,
  batchKey?: () => Promise<Buffer>,
): Promise<Transform> {
  const masterKey = await resolveMasterKey(envelope, unwrapMasterKey, batchKey);
  const contentKey = unwrapContentKey(envelope, masterKey);
  return envelope.contentAlgorithm === 'AES/GCM/NoPadding'
    ? new GcmDecipherStream(contentKey, envelope.iv, envelope.tagLengthBits)
    : cbcDecipher(contentKey, envelope.iv);
}
