import type { TransferType } from '../rules/rule.ts';
import { isCseObject } from './cse/cse-envelope.ts';
import { HTME_METADATA } from './htme/htme.ts';
import { metadataValue, type ObjectMetadata } from './metadata.ts';

/** The rule columns that decide how an encrypted object is handled. */
export interface CryptoRuleSettings {
  readonly decrypt: boolean;
  readonly rewrapDatakey: boolean;
  readonly encryptingKeySsmParameterName: string | undefined;
  readonly transferType: TransferType;
}

/** What to do with one source object (behaviour §4.6, with the fixes documented in docs/encryption.md). */
export type ObjectHandling =
  /** Not encrypted (or not recognisably): bytes as they are, no destination metadata. */
  | { readonly kind: 'plain'; readonly warning?: string }
  /** Client-side encrypted: always decrypted, no destination metadata. */
  | { readonly kind: 'cse' }
  /** HTME: decrypted, passed through with its envelope, or re-wrapped for the recipient. */
  | { readonly kind: 'htme'; readonly action: 'decrypt' | 'pass-through' | 'rewrap' }
  /** The object cannot be handled truthfully under this rule: it fails with this reason. */
  | { readonly kind: 'refused'; readonly reason: string };

const HTME_KEYS = [HTME_METADATA.keyEncryptionKeyId, HTME_METADATA.encryptedDataKey, HTME_METADATA.iv];

/**
 * Classifies a source object for its rule. Pure: metadata and rule columns in, decision out.
 *
 * - `x-amz-matdesc` → CSE, whatever `decrypt` says (behaviour §4.4; it takes precedence over HTME).
 * - all of `datakeyencryptionkeyid`, `ciphertext`, `iv` → HTME:
 *   - S3 with `rewrap_datakey` and `decrypt` both true → refused: the original wrote plaintext
 *     under metadata claiming it was encrypted (behaviour §10.17); here nothing is written;
 *   - S3 with `rewrap_datakey` → re-wrap (needs `encrypting_key_ssm_parm_name`);
 *   - `decrypt` → decrypt; otherwise pass-through. Re-wrap is S3-only (behaviour §4.5): an SFT rule
 *     with `rewrap_datakey` follows `decrypt` alone.
 * - some but not all HTME keys → refused when the rule would decrypt or re-wrap (it cannot, and
 *   writing the ciphertext under a decrypted name would lie); passed as plain with a warning
 *   otherwise (the original treated such objects as plain).
 * - nothing → plain.
 */
export function planObjectHandling(metadata: ObjectMetadata, rule: CryptoRuleSettings): ObjectHandling {
  if (isCseObject(metadata)) return { kind: 'cse' };
  const present = HTME_KEYS.filter((name) => metadataValue(metadata, name) !== undefined);
  const rewrap = rule.rewrapDatakey && rule.transferType === 'S3';
  if (present.length === 0) return { kind: 'plain' };
  if (present.length < HTME_KEYS.length) {
    const missing = HTME_KEYS.filter((name) => !present.includes(name));
    const incomplete = `incomplete HTME metadata: has ${present.join(', ')} but not ${missing.join(', ')}`;
    if (rule.decrypt || rewrap) {
      return {
        kind: 'refused',
        reason: `${incomplete}, so it cannot be ${rule.decrypt ? 'decrypted' : 're-wrapped'}`,
      };
    }
    return { kind: 'plain', warning: `${incomplete}; sent as it is` };
  }
  if (rewrap && rule.decrypt) {
    return {
      kind: 'refused',
      reason:
        'the rule sets both decrypt and rewrap_datakey: the body would be written decrypted under ' +
        're-wrapped key metadata claiming it is encrypted; refused (set only one of them)',
    };
  }
  if (rewrap) {
    if (rule.encryptingKeySsmParameterName === undefined) {
      return {
        kind: 'refused',
        reason: 'rewrap_datakey is true but encrypting_key_ssm_parm_name is not set',
      };
    }
    return { kind: 'htme', action: 'rewrap' };
  }
  return { kind: 'htme', action: rule.decrypt ? 'decrypt' : 'pass-through' };
}
