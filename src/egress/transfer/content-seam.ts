import type { Readable } from 'node:stream';
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { Logger } from '../../logging/logger.ts';
import { ObjectTransferError } from '../errors.ts';
import type { Destination } from '../plan/destinations.ts';
import type { ResolvedRule } from '../rules/matching.ts';

/**
 * THE CRYPTO SEAM. The transfer pipeline is
 *
 *   GetObject body ─▶ {@link EgressCrypto.transformObject} ─▶ optional gzip/deflate ─▶ S3 Upload | SFT file
 *
 * and manifests are `gzip(text) ─▶ {@link EgressCrypto.sealManifest} ─▶ S3 | SFT`. The service
 * builds its implementation (`crypto/egress-crypto.ts`) from `config.dks`; without a DKS URL it
 * uses `cryptoWithoutDks` (plain objects and HTME pass-through only). A caller may supply its own
 * {@link EgressCrypto} through `startEgressService(config, { crypto })`.
 */

/** A source object as read by ONE GetObject: the body stream and the response's metadata. */
export interface SourceObject {
  readonly bucket: string;
  readonly key: string;
  /** The object body; consume it exactly once. */
  readonly body: Readable;
  /** S3 user metadata from the GET response (keys lower-case, without `x-amz-meta-`). */
  readonly metadata: Readonly<Record<string, string>>;
  readonly contentLength: number | undefined;
}

/** What the rest of the pipeline gets for one object. */
export interface ObjectContent {
  /**
   * The bytes to (optionally) compress and write. It must end when the source ends and fail when it
   * fails — build it with `stream.pipeline`/`compose`, not bare `.pipe()`.
   */
  readonly body: Readable;
  /**
   * S3 user metadata for the destination object (behaviour §4.6: HTME pass-through copies `iv`,
   * `ciphertext`, `datakeyencryptionkeyid`, `data_product`, `data_product_type`; re-wrap replaces the
   * key fields; decrypted, CSE and plain objects get none). Ignored for SFT, as in the original.
   */
  readonly metadata: Readonly<Record<string, string>>;
}

/** Everything a content transformation may need besides the object itself. */
export interface ContentContext {
  readonly rule: ResolvedRule;
  readonly destination: Destination;
  readonly correlationId: string;
  readonly signal: AbortSignal;
  readonly logger: Logger;
  /**
   * SSM for re-wrap public keys: through the rule's assumed role when it has `role_arn`, else the
   * service's own credentials (behaviour §4.5). Clients are cached per role.
   */
  readonly ssm: () => SSMClient;
}

/** A gzipped manifest and the rule it belongs to. */
export interface ManifestToSeal {
  /** The gzip bytes of the manifest text. */
  readonly gzipped: Buffer;
  readonly rule: ResolvedRule;
  readonly destination: Destination;
  readonly correlationId: string;
  readonly signal: AbortSignal;
  readonly ssm: () => SSMClient;
  /** `data_product` and `data_product_type` (behaviour §6.2), already derived. */
  readonly dataProductMetadata: Readonly<Record<string, string>>;
}

/** Encryption support plugged into the pipeline. */
export interface EgressCrypto {
  /**
   * Classifies the object (CSE `x-amz-matdesc`, HTME, plain) and returns the content to write:
   * decrypted (HTME with `decrypt`, CSE always), passed through with its envelope metadata, or
   * re-wrapped. Throwing fails the object (wrap in an error explaining why; never log key material).
   */
  transformObject(source: SourceObject, context: ContentContext): Promise<ObjectContent>;
  /**
   * Encrypts a manifest for the rule's `manifest_file_encryption` (`encrypted`, `rewrapped`) and
   * returns the body and S3 metadata to write. Called only for those two modes.
   */
  sealManifest(manifest: ManifestToSeal): Promise<ObjectContent>;
}

/**
 * Objects as they are, no destination metadata, encrypted manifests refused — it does not look at
 * encryption metadata at all. A base for test doubles; the service's own default without a DKS is
 * `cryptoWithoutDks`, which refuses what it cannot handle truthfully.
 */
export const plainContentOnly: EgressCrypto = {
  async transformObject(source) {
    return { body: source.body, metadata: {} };
  },
  async sealManifest(manifest) {
    throw new ObjectTransferError(
      `manifest_file_encryption ${manifest.rule.rule.manifestEncryption} needs the crypto integration, ` +
        'which this service was started without',
    );
  },
};
