import { createDecipheriv, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { InvalidEnvelopeError, InvalidKeyError } from '../../../src/egress/crypto/errors.ts';
import { createCtrCipher, createCtrDecipher } from '../../../src/egress/crypto/htme/htme.ts';
import { chunksOf, referenceCtr, runThrough } from './helpers.ts';

const CHUNK_SIZES = [1, 15, 17, 4095, 65537];

/** Enough data for many chunks at every size, without 1-byte chunks taking seconds. */
function lengthFor(chunkSize: number): number {
  return chunkSize === 1 ? 3001 : chunkSize * 7 + 5;
}

describe.each([16, 24, 32])('AES-CTR with a %i-byte key', (keyBytes) => {
  it.each(CHUNK_SIZES)('round-trips a stream cut into %i-byte chunks', async (chunkSize) => {
    const key = randomBytes(keyBytes);
    const iv = randomBytes(16);
    const plaintext = randomBytes(lengthFor(chunkSize));
    const reference = referenceCtr(key, iv, plaintext);

    const encrypted = await runThrough(createCtrCipher(key, iv), chunksOf(plaintext, chunkSize));
    expect(encrypted.equals(reference)).toBe(true);
    const decrypted = await runThrough(createCtrDecipher(key, iv), chunksOf(reference, chunkSize));
    expect(decrypted.equals(plaintext)).toBe(true);
  });

  it('decrypts irregular chunking (many random cuts) like a one-shot reference', async () => {
    const key = randomBytes(keyBytes);
    const iv = randomBytes(16);
    const plaintext = randomBytes(100_000);
    const ciphertext = referenceCtr(key, iv, plaintext);
    const chunks: Buffer[] = [];
    for (let offset = 0; offset < ciphertext.length; ) {
      const size = 1 + Math.floor(Math.random() * 700);
      chunks.push(ciphertext.subarray(offset, offset + size));
      offset += size;
    }
    expect(chunks.length).toBeGreaterThan(100);
    expect((await runThrough(createCtrDecipher(key, iv), chunks)).equals(plaintext)).toBe(true);
  });
});

/** CTR with a 64-bit counter in the low half (high half fixed): what the carry test must reject. */
function counter64Ctr(key: Buffer, iv: Buffer, data: Buffer): Buffer {
  const out = Buffer.alloc(data.length);
  const high = iv.subarray(0, 8);
  let low = iv.readBigUInt64BE(8);
  for (let offset = 0; offset < data.length; offset += 16) {
    const block = Buffer.alloc(16);
    high.copy(block);
    block.writeBigUInt64BE(low, 8);
    referenceCtr(key, block, data.subarray(offset, offset + 16)).copy(out, offset);
    low = (low + 1n) & 0xffffffffffffffffn;
  }
  return out;
}

describe('AES-CTR counter', () => {
  it.each([
    ['the low 64 bits', Buffer.concat([randomBytes(8), Buffer.alloc(8, 0xff)])],
    ['the low 64 bits minus 2', Buffer.concat([randomBytes(8), Buffer.from('fffffffffffffffd', 'hex')])],
    ['all 128 bits', Buffer.alloc(16, 0xff)],
  ])('carries across %s big-endian (128-bit increment)', async (_name, iv) => {
    const key = randomBytes(32);
    const plaintext = randomBytes(16 * 6 + 7);
    const reference = referenceCtr(key, iv, plaintext);
    const oneShot = createDecipheriv('aes-256-ctr', key, iv);
    const oneShotOut = Buffer.concat([oneShot.update(reference), oneShot.final()]);

    const streamed = await runThrough(createCtrDecipher(key, iv), chunksOf(reference, 5));
    expect(streamed.equals(plaintext)).toBe(true);
    expect(oneShotOut.equals(plaintext)).toBe(true);
    // The check is sensitive: a counter that wraps within its low 64 bits gives other bytes.
    expect(counter64Ctr(key, iv, plaintext).equals(reference)).toBe(false);
  });
});

describe('AES-CTR with the wrong material', () => {
  it('gives different bytes with a wrong key or a wrong IV', async () => {
    const key = randomBytes(16);
    const iv = randomBytes(16);
    const plaintext = randomBytes(4096);
    const ciphertext = referenceCtr(key, iv, plaintext);
    const wrongKey = await runThrough(createCtrDecipher(randomBytes(16), iv), [ciphertext]);
    const wrongIv = await runThrough(createCtrDecipher(key, randomBytes(16)), [ciphertext]);
    expect(wrongKey.equals(plaintext)).toBe(false);
    expect(wrongIv.equals(plaintext)).toBe(false);
    expect(wrongKey.length).toBe(plaintext.length);
  });

  it.each([0, 8, 15, 17, 31, 33, 64])('refuses a %i-byte key', (length) => {
    expect(() => createCtrDecipher(Buffer.alloc(length), randomBytes(16))).toThrow(InvalidKeyError);
    expect(() => createCtrCipher(Buffer.alloc(length), randomBytes(16))).toThrow(/16, 24 or 32 bytes/);
  });

  it.each([0, 12, 15, 17])('refuses a %i-byte IV', (length) => {
    expect(() => createCtrDecipher(randomBytes(32), Buffer.alloc(length))).toThrow(InvalidEnvelopeError);
  });
});
