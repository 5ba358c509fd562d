import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeStrictBase64 } from '../../../src/egress/crypto/base64.ts';
import { InvalidEnvelopeError } from '../../../src/egress/crypto/errors.ts';
import {
  createCtrDecipher,
  dataProductMetadata,
  encryptHtme,
  htmeMetadata,
  passThroughMetadata,
  readHtmeEnvelope,
} from '../../../src/egress/crypto/htme/htme.ts';
import { runThrough } from './helpers.ts';

const IV = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
const IV_TEXT = IV.toString('base64'); // ABEiM0RVZneImaq7zN3u/w==
const base = {
  datakeyencryptionkeyid: 'arn:aws:kms:eu-west-2:0:key/1',
  ciphertext: 'd3JhcHBlZA==',
  iv: IV_TEXT,
};

describe('strict Base64', () => {
  it.each([
    ['QQ==', 'A'],
    ['QUI=', 'AB'],
    ['QUJD', 'ABC'],
    ['+/+/', '\u00fb\u00ff\u00bf'],
  ])('decodes %s', (text, expected) => {
    expect(decodeStrictBase64(text)?.toString('latin1')).toBe(expected);
  });

  it.each([
    ['empty', ''],
    ['missing padding', 'QQ'],
    ['one pad short', 'QUI'],
    ['whitespace inside', 'QU JD'],
    ['trailing newline', 'QUJD\n'],
    ['leading space', ' QUJD'],
    ['URL-safe alphabet', '-_-_'],
    ['padding in the middle', 'QQ==QUJD'],
    ['non-canonical trailing bits', 'QR=='],
    ['not Base64 at all', 'not base64!'],
  ])('refuses %s', (_name, text) => {
    expect(decodeStrictBase64(text)).toBeUndefined();
  });
});

describe('readHtmeEnvelope', () => {
  it.each([
    ['no metadata', {}],
    ['iv only', { iv: IV_TEXT }],
    ['ciphertext and iv only', { ciphertext: 'x', iv: IV_TEXT }],
    ['key id and ciphertext only', { datakeyencryptionkeyid: 'k', ciphertext: 'x' }],
    ['CSE metadata', { 'x-amz-matdesc': '{}', 'x-amz-iv': IV_TEXT }],
  ])('returns undefined for %s', (_name, metadata) => {
    expect(readHtmeEnvelope(metadata)).toBeUndefined();
  });

  it('reads the three fields and decodes the IV', () => {
    expect(readHtmeEnvelope({ ...base, data_product: 'x' })).toEqual({
      keyEncryptionKeyId: base.datakeyencryptionkeyid,
      encryptedDataKey: base.ciphertext,
      iv: IV,
    });
  });

  it('tolerates metadata keys in another case', () => {
    const envelope = readHtmeEnvelope({ DataKeyEncryptionKeyId: 'k', CipherText: 'c', IV: IV_TEXT });
    expect(envelope?.keyEncryptionKeyId).toBe('k');
    expect(envelope?.iv.equals(IV)).toBe(true);
  });

  it.each([
    ['not Base64', 'not base64 at all!'],
    ['15 bytes', randomBytes(15).toString('base64')],
    ['17 bytes', randomBytes(17).toString('base64')],
    ['12 bytes', randomBytes(12).toString('base64')],
    ['a leading space', ` ${IV_TEXT}`],
    ['a trailing newline', `${IV_TEXT}\n`],
    ['whitespace inside', `${IV_TEXT.slice(0, 8)} ${IV_TEXT.slice(8)}`],
    ['missing padding', IV_TEXT.replace(/=+$/, '')],
    ['URL-safe characters', IV_TEXT.replace('/', '_')],
    ['empty', ''],
  ])('refuses an IV with %s, naming the field', (_name, iv) => {
    const read = () => readHtmeEnvelope({ ...base, iv });
    expect(read).toThrow(InvalidEnvelopeError);
    expect(read).toThrow(/'iv'/);
    try {
      read();
    } catch (error) {
      expect((error as InvalidEnvelopeError).field).toBe('iv');
    }
  });

  it.each([
    ['datakeyencryptionkeyid', { ...base, datakeyencryptionkeyid: '' }],
    ['ciphertext', { ...base, ciphertext: '' }],
  ])('refuses an empty %s', (field, metadata) => {
    expect(() => readHtmeEnvelope(metadata)).toThrow(new RegExp(`'${field}'`));
  });
});

describe('HTME metadata', () => {
  it('writes the three keys and reads back the same envelope', () => {
    const envelope = { keyEncryptionKeyId: 'k:1,2', encryptedDataKey: 'abc', iv: IV };
    const metadata = htmeMetadata(envelope);
    expect(metadata).toEqual({ iv: IV_TEXT, ciphertext: 'abc', datakeyencryptionkeyid: 'k:1,2' });
    expect(readHtmeEnvelope(metadata)).toEqual(envelope);
  });

  it('copies data_product fields or writes empty strings', () => {
    expect(dataProductMetadata({ data_product: 'db.core.contract', data_product_type: 'full' })).toEqual({
      data_product: 'db.core.contract',
      data_product_type: 'full',
    });
    expect(dataProductMetadata({})).toEqual({ data_product: '', data_product_type: '' });
  });

  it('passes the source key fields through verbatim, with data-product fields', () => {
    const source = { ...base, data_product: 'db.x', unrelated: 'dropped' };
    expect(passThroughMetadata(readHtmeEnvelope(source)!, source)).toEqual({
      iv: base.iv,
      ciphertext: base.ciphertext,
      datakeyencryptionkeyid: base.datakeyencryptionkeyid,
      data_product: 'db.x',
      data_product_type: '',
    });
  });

  it('encrypts an object that decrypts through its own metadata', async () => {
    const dataKey = {
      keyEncryptionKeyId: 'k',
      encryptedDataKey: 'wrapped',
      plaintextDataKey: randomBytes(16),
    };
    const plaintext = Buffer.from('a,b,c\n'.repeat(1000));
    const { body, envelope } = encryptHtme(plaintext, dataKey);
    expect(body.equals(plaintext)).toBe(false);
    const read = readHtmeEnvelope(htmeMetadata(envelope))!;
    const decrypted = await runThrough(createCtrDecipher(dataKey.plaintextDataKey, read.iv), [body]);
    expect(decrypted.equals(plaintext)).toBe(true);
    // A fresh IV each time.
    expect(encryptHtme(plaintext, dataKey).envelope.iv.equals(envelope.iv)).toBe(false);
  });
});
