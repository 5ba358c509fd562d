import { constants, createPublicKey, type KeyObject, publicEncrypt } from 'node:crypto';
import { decodeJavaBase64 } from '../base64.ts';
import { dataProductMetadata, type HtmeEnvelope, htmeMetadata } from '../htme/htme.ts';
import type { ObjectMetadata } from '../metadata.ts';
import { LenientJsonError, type LenientValue, readLenientObject } from './gson-lenient.ts';

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

/** A `String` field as Gson fills it: text as is, null/absent as absent, a structure refused. */
function stringField(
  parameterName: string,
  members: Map<string, LenientValue>,
  field: 'KeyId' | 'PublicKey',
): string {
  const value = members.get(field);
  if (value === undefined || value.kind === 'null') {
    throw new RewrapKeyError(
      parameterName,
      `has no ${field} (the value needs the fields KeyId and PublicKey)`,
    );
  }
  if (value.kind === 'structure') {
    throw new RewrapKeyError(parameterName, `has an ${value.type} as ${field}; a string is required`);
  }
  return value.text;
}

/**
 * Parses the SSM parameter value `{KeyId, PublicKey, …}` (PublicKey = Base64 DER
 * SubjectPublicKeyInfo of an RSA key) exactly as leniently as the original did: Gson's lenient
 * reader (comments, single quotes, unquoted names and values, `=` separators, extra fields — see
 * `gson-lenient.ts`), numbers and booleans as their text, Java's Base64 decoder (padding optional).
 * Only the two fields are used; the KMS GetPublicKey-shaped extras are ignored (behaviour §4.5).
 *
 * @throws RewrapKeyError naming `parameterName` and what is wrong: missing value, text Gson would
 *   refuse, a missing/empty field, or an unusable key.
 */
export function parseRewrapKeyParameter(parameterName: string, value: string | undefined): RewrapKey {
  if (value === undefined || value.trim() === '')
    throw new RewrapKeyError(parameterName, 'is missing or empty');
  let members: Map<string, LenientValue> | undefined;
  try {
    members = readLenientObject(value);
  } catch (error) {
    if (!(error instanceof LenientJsonError)) throw error;
    throw new RewrapKeyError(parameterName, `is not a JSON object: ${error.message}`, { cause: error });
  }
  if (members === undefined) throw new RewrapKeyError(parameterName, 'holds null, not a JSON object');
  const keyId = stringField(parameterName, members, 'KeyId');
  // Deliberately stricter than the original, which wrote an empty key id onto the objects.
  if (keyId === '') throw new RewrapKeyError(parameterName, 'has an empty KeyId');
  const der = decodeJavaBase64(stringField(parameterName, members, 'PublicKey').trim());
  if (der === undefined || der.length === 0)
    throw new RewrapKeyError(parameterName, 'has a PublicKey that is not Base64');
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
  return { keyId, publicKey };
}

/**
 * Re-wraps a data key for a recipient: RSA-OAEP with SHA-256 as both the OAEP digest and the
 * MGF1 digest (OpenSSL defaults MGF1 to the OAEP digest; KMS calls this RSAES_OAEP_SHA_256).
 * The plaintext is the UTF-8 bytes of the key's **Base64 text**, not the raw key, because that
 * is what the original encrypts and what recipients decode (behaviour §4.5).
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
 * Metadata of a re-wrapped object (behaviour §4.6): `iv` copied, `datakeyencryptionkeyid` = the
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
