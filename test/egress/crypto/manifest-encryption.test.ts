import { constants, generateKeyPairSync, privateDecrypt, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { createCtrDecipher, readHtmeEnvelope } from '../../../src/egress/crypto/htme/htme.ts';
import {
  createManifestEncryption,
  encryptManifest,
  manifestEncryptionSuffix,
  parseManifestEncryptionMode,
} from '../../../src/egress/crypto/manifest-encryption.ts';
import { chunksOf, runThrough } from './helpers.ts';

const manifest = gzipSync(Buffer.from('out/y.csv  10240 2021-09-01\n'.repeat(200)));
const dataKey = {
  keyEncryptionKeyId: 'arn:aws:kms:eu-west-2:000000000000:key/dks',
  encryptedDataKey: 'ZGtzLXdyYXBwZWQ=',
  plaintextDataKey: randomBytes(32),
};
const products = { dataProduct: 'db.core.contract', dataProductType: 'incremental' };

describe('parseManifestEncryptionMode', () => {
  it.each([
    ['encrypted', 'encrypted'],
    ['ENCRYPTED', 'encrypted'],
    ['Encrypted', 'encrypted'],
    ['re-wrapped', 'rewrapped'],
    ['Re-Wrapped', 'rewrapped'],
    ['rewrapped', 'rewrapped'],
    ['REWRAPPED', 'rewrapped'],
    [undefined, 'none'],
    [null, 'none'],
    ['', 'none'],
    ['none', 'none'],
    [' encrypted', 'none'],
    ['re_wrapped', 'none'],
    ['true', 'none'],
  ] as const)('%j → %s', (value, mode) => {
    expect(parseManifestEncryptionMode(value)).toBe(mode);
  });

  it('adds .enc only when encrypting', () => {
    expect(manifestEncryptionSuffix('none')).toBe('');
    expect(manifestEncryptionSuffix('encrypted')).toBe('.enc');
    expect(manifestEncryptionSuffix('rewrapped')).toBe('.enc');
  });
});

describe('manifest encryption', () => {
  it('leaves the gzip bytes alone in mode none, with data-product metadata only', () => {
    const result = encryptManifest(manifest, { mode: 'none', dataKey, ...products });
    expect(result.body).toBe(manifest);
    expect(result.suffix).toBe('');
    expect(result.metadata).toEqual({ data_product: 'db.core.contract', data_product_type: 'incremental' });
  });

  it('encrypts with the DKS data key and writes its HTME metadata', async () => {
    const result = encryptManifest(manifest, { mode: 'encrypted', dataKey, ...products });
    expect(result.suffix).toBe('.enc');
    expect(result.metadata).toMatchObject({
      datakeyencryptionkeyid: dataKey.keyEncryptionKeyId,
      ciphertext: dataKey.encryptedDataKey,
      data_product: 'db.core.contract',
      data_product_type: 'incremental',
    });
    const envelope = readHtmeEnvelope(result.metadata)!;
    const plain = await runThrough(createCtrDecipher(dataKey.plaintextDataKey, envelope.iv), [result.body]);
    expect(plain.equals(manifest)).toBe(true);
    // Fresh IV per manifest even with the same batch key.
    expect(encryptManifest(manifest, { mode: 'encrypted', dataKey, ...products }).metadata.iv).not.toBe(
      result.metadata.iv,
    );
  });

  it('re-wraps the data key for the recipient in mode rewrapped', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const rewrapKey = { keyId: 'recipient-key-id', publicKey };
    const result = encryptManifest(manifest, { mode: 'rewrapped', dataKey, rewrapKey, ...products });
    expect(result.metadata.datakeyencryptionkeyid).toBe('recipient-key-id');
    expect(result.metadata.ciphertext).not.toBe(dataKey.encryptedDataKey);
    const keyText = privateDecrypt(
      { key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
      Buffer.from(result.metadata.ciphertext!, 'base64'),
    ).toString('utf8');
    const envelope = readHtmeEnvelope(result.metadata)!;
    const plain = await runThrough(createCtrDecipher(Buffer.from(keyText, 'base64'), envelope.iv), [
      result.body,
    ]);
    expect(plain.equals(manifest)).toBe(true);
  });

  it('streams the same bytes as the buffer form', async () => {
    const iv = randomBytes(16);
    const options = { mode: 'encrypted' as const, dataKey, iv, ...products };
    const streamed = createManifestEncryption(options);
    const body = await runThrough(streamed.transform!, chunksOf(manifest, 33));
    const whole = encryptManifest(manifest, options);
    expect(body.equals(whole.body)).toBe(true);
    expect(streamed.metadata).toEqual(whole.metadata);
    expect(createManifestEncryption({ ...options, mode: 'none' }).transform).toBeUndefined();
  });

  it('says which input is missing', () => {
    expect(() => encryptManifest(manifest, { mode: 'encrypted', ...products })).toThrow(/options.dataKey/);
    expect(() => encryptManifest(manifest, { mode: 'rewrapped', dataKey, ...products })).toThrow(
      /options.rewrapKey/,
    );
  });
});
