import { createDecipheriv, type DecipherGCM } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { aesBits } from '../aes.ts';
import { CseDecryptionError } from '../errors.ts';

const EMPTY = Buffer.alloc(0);

/**
 * Streaming AES-GCM decryption of `ciphertext ‖ tag`. The tag is only known once the stream ends,
 * so the last `tagBytes` seen are always held back and handed to `setAuthTag` before `final()`.
 *
 * Plaintext is emitted before the tag is checked (that is what streaming GCM means); a bad tag
 * errors the stream at its end, so consumers must treat the output as void unless the stream
 * finishes cleanly — an S3 upload or file write fed by a failed pipeline is aborted, not committed.
 */
export class GcmDecipherStream extends Transform {
  readonly #decipher: DecipherGCM;
  readonly #tagBytes: number;
  #tail: Buffer = EMPTY;

  constructor(key: Buffer, iv: Buffer, tagLengthBits = 128, aad?: Buffer) {
    super();
    this.#tagBytes = tagLengthBits / 8;
    this.#decipher = createDecipheriv(`aes-${aesBits(key, 'content key')}-gcm`, key, iv, {
      authTagLength: this.#tagBytes,
    });
    if (aad) this.#decipher.setAAD(aad);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      const tagBytes = this.#tagBytes;
      if (chunk.length >= tagBytes) {
        // Common case: no concatenation of large chunks, only the small held-back tail moves.
        if (this.#tail.length > 0) this.#emit(this.#decipher.update(this.#tail));
        this.#emit(this.#decipher.update(chunk.subarray(0, chunk.length - tagBytes)));
        this.#tail = Buffer.from(chunk.subarray(chunk.length - tagBytes));
      } else {
        const data = Buffer.concat([this.#tail, chunk]);
        const cut = data.length - tagBytes;
        if (cut > 0) this.#emit(this.#decipher.update(data.subarray(0, cut)));
        this.#tail = cut > 0 ? data.subarray(cut) : data;
      }
      callback();
    } catch (error) {
      callback(new CseDecryptionError('AES-GCM content decryption failed', { cause: error }));
    }
  }

  override _flush(callback: TransformCallback): void {
    if (this.#tail.length < this.#tagBytes) {
      callback(new CseDecryptionError(`content is shorter than its ${this.#tagBytes}-byte GCM tag`));
      return;
    }
    try {
      this.#decipher.setAuthTag(this.#tail);
      this.#emit(this.#decipher.final());
      callback();
    } catch (error) {
      callback(
        new CseDecryptionError('AES-GCM authentication failed: content or key is wrong', { cause: error }),
      );
    }
  }

  #emit(bytes: Buffer): void {
    if (bytes.length > 0) this.push(bytes);
  }
}
