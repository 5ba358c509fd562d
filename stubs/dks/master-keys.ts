import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { decodeStrictBase64 } from '../../src/egress/crypto/index.ts';

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Why a wrapped key was refused; becomes the 400 body's `reason`. */
export type UnwrapRefusal =
  | 'unknown keyId'
  | 'ciphertext is not valid Base64'
  | 'ciphertext does not unwrap under keyId';

/**
 * The stub's key-encryption keys: one random AES-256 master key per key id, alive for the life of
 * the stub. Wrapping is real authenticated encryption — AES-256-GCM with the key id as AAD — so a
 * tampered, truncated or foreign ciphertext is refused exactly as the real DKS would refuse it.
 * Wire form: Base64(iv ‖ ciphertext ‖ tag).
 */
export class MasterKeys {
  readonly #keys = new Map<string, Buffer>();
  readonly #current: string;

  constructor(keyIds: readonly string[]) {
    if (keyIds.length === 0) throw new RangeError('keyIds must name at least one master key');
    for (const keyId of keyIds) {
      if (keyId.length === 0) throw new RangeError('keyIds must not contain an empty id');
      this.#keys.set(keyId, randomBytes(32));
    }
    this.#current = keyIds[0]!;
  }

  /** The id new data keys are wrapped under (the first configured). */
  get currentKeyId(): string {
    return this.#current;
  }

  get keyIds(): string[] {
    return [...this.#keys.keys()];
  }

  wrap(dataKey: Buffer, keyId: string = this.#current): string {
    const master = this.#keys.get(keyId);
    if (!master) throw new RangeError(`unknown keyId '${keyId}'`);
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', master, iv);
    cipher.setAAD(Buffer.from(keyId, 'utf8'));
    return Buffer.concat([iv, cipher.update(dataKey), cipher.final(), cipher.getAuthTag()]).toString(
      'base64',
    );
  }

  unwrap(keyId: string, ciphertext: string): { dataKey: Buffer } | { refusal: UnwrapRefusal } {
    const master = this.#keys.get(keyId);
    if (!master) return { refusal: 'unknown keyId' };
    const bytes = decodeStrictBase64(ciphertext);
    if (!bytes) return { refusal: 'ciphertext is not valid Base64' };
    if (bytes.length <= IV_BYTES + TAG_BYTES) return { refusal: 'ciphertext does not unwrap under keyId' };
    try {
      const decipher = createDecipheriv('aes-256-gcm', master, bytes.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(keyId, 'utf8'));
      decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
      const dataKey = Buffer.concat([
        decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)),
        decipher.final(),
      ]);
      return { dataKey };
    } catch {
      return { refusal: 'ciphertext does not unwrap under keyId' };
    }
  }
}
