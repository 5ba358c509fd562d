import { InvalidKeyError } from './errors.ts';

/** AES key sizes in bytes. */
export type AesKeyBits = 128 | 192 | 256;

/**
 * The AES variant for a raw key. DKS keys are 128-bit in production and 256-bit from the stub,
 * so the algorithm follows the key rather than being configured (behaviour §4.1).
 */
export function aesBits(key: Buffer, purpose: string): AesKeyBits {
  switch (key.length) {
    case 16:
      return 128;
    case 24:
      return 192;
    case 32:
      return 256;
    default:
      throw new InvalidKeyError(`${purpose} must be 16, 24 or 32 bytes for AES, got ${key.length}`);
  }
}
