/**
 * The object's encryption metadata is unusable (missing companion field, bad Base64, wrong IV
 * length, unknown algorithm). The object fails; it is never decrypted with a guessed value.
 */
export class InvalidEnvelopeError extends Error {
  override readonly name = 'InvalidEnvelopeError';
  /** The metadata key at fault, e.g. `iv` or `x-amz-key-v2`. */
  readonly field: string;

  constructor(field: string, problem: string, options?: ErrorOptions) {
    super(`invalid encryption metadata '${field}': ${problem}`, options);
    this.field = field;
  }
}

/** A key of an unusable size was handed to a cipher (e.g. a DKS key that is not 16/24/32 bytes). */
export class InvalidKeyError extends Error {
  override readonly name = 'InvalidKeyError';
}

/**
 * A client-side-encrypted object could not be decrypted although its envelope parsed: the master
 * key does not unwrap the content key, or the content fails GCM authentication / CBC padding.
 */
export class CseDecryptionError extends Error {
  override readonly name = 'CseDecryptionError';
}
