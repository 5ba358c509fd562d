import { constants, createPublicKey, type KeyObject, publicEncrypt } from 'node:crypto';
import { z } from 'zod';
import { decodeStrictBase64 } from './base64.ts';
import { dataProductMetadata, type HtmeEnvelope, htmeMetadata } from './htme.ts';
import type { ObjectMetadata } from './metadata.ts';

/**
 * The recipient's re-wrap key could not be used: SSM parameter missing, not JSON, fields missing,
 * or `PublicKey` not an RSA SubjectPublicKeyInfo. Always names the parameter, so an operator sees
 * which configuration to fix instead of an RSA library error.
 */
export class RewrapKeyError extends Error {
  override readonly name = 'RewrapKeyError';
  readonly parameterName: string;

  constructor(parameterName: string, problem: string, options?: ErrorOptions) {
    super(`re-wrap key parameter '${parameterName}' ${problem}`, options);
    this.parameterName = parameterName;
  }
}

/** A recipient's RSA key from SSM, ready for {@link rewrapDataKey}. */
export interface RewrapKey {
  /** `KeyId` from the parameter, written as `datakeyencryptionkeyid`. */
  keyId: string;
  publicKey: KeyObject;
}

// Only KeyId and PublicKey are used; the KMS GetPublicKey-shaped extras are ignored (spec §4.5).
const parameterSchema = z.looseObject({
  KeyId: z.string().min(1),
  PublicKey: z.string().min(1),
});

/**
 * Parses the SSM parameter value `{KeyId, PublicKey, …}` (PublicKey = Base64 DER
 * SubjectPublicKeyInfo of an RSA key).
 *
 * @throws RewrapKeyError naming `parameterName` for a missing value, malformed JSON, missing
 *   fields or an unusable key.
 */
export function parseRewrapKeyParameter(parameterName: string, value: string | undefined): RewrapKey {
  if (value === undefined || value.trim() === '')
    throw new RewrapKeyError(parameterName, 'is missing or empty');
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch (error) {
    throw new RewrapKeyError(parameterName, 'is not valid JSON', { cause: error });
  }
  const parsed = parameterSchema.safeParse(json);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((issue) => issue.path.join('.') || '(root)'))];
    throw new RewrapKeyError(
      parameterName,
      `must be a JSON object with non-empty string fields KeyId and PublicKey (bad: ${fields.join(', ')})`,
    );
  }
  const der = decodeStrictBase64(parsed.data.PublicKey.trim());
  if (der === undefined) throw new RewrapKeyError(parameterName, 'has a PublicKey that is not Base64');
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: der, format: 'der', type: 'spki' });
  } catch (error) {
    throw new RewrapKeyError(parameterName, 'has a PublicKey that is not a DER SubjectPublicKeyInfo', {
      cause: error,
    });
  }
  if (publicKey.asymmetricKeyType !== 'rsa') {
    throw new RewrapKeyError(
      parameterName,
      `has a ${publicKey.asymmetricKeyType ?? 'non-RSA'} PublicKey; RSA is required`,
    );
  }
  return { keyId: parsed.data.KeyId, publicKey };
}

/**
 * Re-wraps a data key for a recipient: RSA-OAEP with SHA-256 as both the OAEP digest and the
 * MGF1 digest (OpenSSL defaults MGF1 to the OAEP digest; KMS calls this RSAES_OAEP_SHA_256).
 * The plaintext is the UTF-8 bytes of the key's **Base64 text**, not the raw key, because that
 * is what the original encrypts and what recipients decode (spec §4.5).
 *
 * @returns the wrapped key, Base64.
 */
export function rewrapDataKey(plaintextDataKey: Buffer, publicKey: KeyObject): string {
  const message = Buffer.from(plaintextDataKey.toString('base64'), 'utf8');
  return publicEncrypt(
    { key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
    message,
  ).toString('base64');
}

/**
 * Metadata of a re-wrapped object (spec §4.6): `iv` copied, `datakeyencryptionkeyid` = the
 * recipient's KeyId, `ciphertext` = the RSA-wrapped key, data-product fields copied or `""`.
 */
export function rewrappedMetadata(
  envelope: Pick<HtmeEnvelope, 'iv'>,
  rewrapKey: Pick<RewrapKey, 'keyId'>,
  rewrappedKey: string,
  source: ObjectMetadata,
): Record<string, string> {
  return {
    ...htmeMetadata({ iv: envelope.iv, keyEncryptionKeyId: rewrapKey.keyId, encryptedDataKey: rewrappedKey }),
    ...dataProductMetadata(source),
  };
}
