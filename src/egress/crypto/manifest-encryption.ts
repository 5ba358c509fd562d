import type { Transform } from 'node:stream';
import type { DataKey } from './data-key.ts';
import { createCtrCipher, encryptHtme, type HtmeEnvelope, htmeMetadata, randomIv } from './htme/htme.ts';
import { type RewrapKey, rewrapDataKey } from './rewrap/rewrap.ts';

/** How a manifest leaves (behaviour §6.2): plain gzip, HTME under the batch key, or HTME re-wrapped. */
export type ManifestEncryptionMode = 'none' | 'encrypted' | 'rewrapped';

/**
 * Maps the rule's `manifest_encryption` column to a mode, case-insensitively as the original:
 * `encrypted`, `re-wrapped` / `rewrapped`; anything else (absent, blank, typos) is `none`.
 * No trimming, for parity: `" encrypted"` is `none` in the original too.
 */
export function parseManifestEncryptionMode(value: string | null | undefined): ManifestEncryptionMode {
  switch (value?.toLowerCase()) {
    case 'encrypted':
      return 'encrypted';
    case 're-wrapped':
    case 'rewrapped':
      return 'rewrapped';
    default:
      return 'none';
  }
}

/** The extra name suffix of an encrypted manifest (`….gz.enc`). */
export function manifestEncryptionSuffix(mode: ManifestEncryptionMode): '' | '.enc' {
  return mode === 'none' ? '' : '.enc';
}

/** Inputs of {@link createManifestEncryption} / {@link encryptManifest}. */
export interface ManifestEncryptionOptions {
  mode: ManifestEncryptionMode;
  /** The DKS batch data key; required unless `mode` is `none`. */
  dataKey?: DataKey;
  /** The recipient's key from SSM; required when `mode` is `rewrapped`. */
  rewrapKey?: RewrapKey;
  /** `data_product` metadata (derived from the source prefix by the caller). */
  dataProduct: string;
  /** `data_product_type` metadata: `full`, `incremental` or `""`. */
  dataProductType: string;
  /** Fixed IV, for tests only; a fresh random one otherwise. */
  iv?: Buffer;
}

/** Metadata to PUT with the manifest, its name suffix and, when encrypting, the cipher to pipe through. */
export interface ManifestEncryption {
  metadata: Record<string, string>;
  suffix: '' | '.enc';
  /** AES-CTR cipher for the gzip bytes; `undefined` in mode `none`. */
  transform: Transform | undefined;
}

function envelopeFor(options: ManifestEncryptionOptions, iv: Buffer): HtmeEnvelope {
  const dataKey = options.dataKey;
  if (!dataKey) throw new TypeError(`manifest encryption mode '${options.mode}' needs options.dataKey`);
  if (options.mode === 'encrypted') {
    return { keyEncryptionKeyId: dataKey.keyEncryptionKeyId, encryptedDataKey: dataKey.encryptedDataKey, iv };
  }
  if (!options.rewrapKey) throw new TypeError("manifest encryption mode 'rewrapped' needs options.rewrapKey");
  return {
    keyEncryptionKeyId: options.rewrapKey.keyId,
    encryptedDataKey: rewrapDataKey(dataKey.plaintextDataKey, options.rewrapKey.publicKey),
    iv,
  };
}

function prepare(options: ManifestEncryptionOptions): {
  metadata: Record<string, string>;
  envelope: HtmeEnvelope | undefined;
} {
  const dataProducts = { data_product: options.dataProduct, data_product_type: options.dataProductType };
  if (options.mode === 'none') return { metadata: dataProducts, envelope: undefined };
  const envelope = envelopeFor(options, options.iv ?? randomIv());
  return { metadata: { ...htmeMetadata(envelope), ...dataProducts }, envelope };
}

/**
 * Prepares a manifest for upload: the metadata (always `data_product` and `data_product_type`;
 * plus `iv`, `ciphertext`, `datakeyencryptionkeyid` when encrypted) and, when encrypting, a
 * streaming AES-CTR cipher with a fresh IV. In `rewrapped` mode the key fields name the
 * recipient's RSA key, so only the recipient can read the manifest (behaviour §6.2).
 */
export function createManifestEncryption(options: ManifestEncryptionOptions): ManifestEncryption {
  const { metadata, envelope } = prepare(options);
  return {
    metadata,
    suffix: manifestEncryptionSuffix(options.mode),
    transform: envelope ? createCtrCipher(options.dataKey!.plaintextDataKey, envelope.iv) : undefined,
  };
}

/** Whole-buffer form of {@link createManifestEncryption} (manifests are small). */
export function encryptManifest(
  body: Buffer,
  options: ManifestEncryptionOptions,
): { body: Buffer; metadata: Record<string, string>; suffix: '' | '.enc' } {
  const { metadata, envelope } = prepare(options);
  const suffix = manifestEncryptionSuffix(options.mode);
  if (!envelope) return { body, metadata, suffix };
  return { body: encryptHtme(body, options.dataKey!, envelope.iv).body, metadata, suffix };
}
