import { createDecipheriv, randomBytes } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import {
  type CseObject,
  createCseDecipher,
  encryptCseAesWrap,
  encryptCseV1,
  encryptCseV2,
  isCseObject,
  readCseEnvelope,
} from '../../../src/egress/crypto/cse/index.ts';
import { CseDecryptionError, InvalidEnvelopeError } from '../../../src/egress/crypto/errors.ts';
import { chunksOf, runThrough } from './helpers.ts';

const MATDESC = { keyid: 'arn:aws:kms:eu-west-2:000000000000:key/1', encryptedkey: 'd3JhcHBlZC1tYXN0ZXI=' };

type Encryptor = (plaintext: Buffer, master: Buffer, matdesc: Record<string, string>) => CseObject;
const FORMATS: [string, Encryptor][] = [
  ['V2 (AES/GCM wrap, AES-GCM content)', encryptCseV2],
  ['AESWrap + AES-GCM content', (p, m, d) => encryptCseAesWrap(p, m, d, 'AES/GCM/NoPadding')],
  ['AESWrap + AES-CBC content', (p, m, d) => encryptCseAesWrap(p, m, d, 'AES/CBC/PKCS5Padding')],
  ['V1 (x-amz-key, AES-CBC content)', encryptCseV1],
];

async function decrypt(object: CseObject, masterKey: Buffer, chunkSize = 4096): Promise<Buffer> {
  const unwrap = vi.fn(async () => masterKey);
  const decipher = await createCseDecipher(readCseEnvelope(object.metadata), unwrap);
  return runThrough(decipher, chunksOf(object.body, chunkSize));
}

describe.each(FORMATS)('CSE format %s', (_name, encrypt) => {
  it.each([1, 15, 16, 17, 4095, 65537])('round-trips with %i-byte chunks', async (chunkSize) => {
    const masterKey = randomBytes(32);
    const plaintext = randomBytes(chunkSize === 1 ? 2001 : chunkSize * 3 + 11);
    const object = encrypt(plaintext, masterKey, MATDESC);
    expect(isCseObject(object.metadata)).toBe(true);
    expect(object.body.equals(plaintext)).toBe(false);
    const unwrap = vi.fn(async () => masterKey);
    const decipher = await createCseDecipher(readCseEnvelope(object.metadata), unwrap);
    expect((await runThrough(decipher, chunksOf(object.body, chunkSize))).equals(plaintext)).toBe(true);
    expect(unwrap).toHaveBeenCalledExactlyOnceWith(MATDESC.keyid, MATDESC.encryptedkey);
  });

  it.each([0, 1, 31])('round-trips a %i-byte object', async (length) => {
    const masterKey = randomBytes(16);
    const plaintext = randomBytes(length);
    expect((await decrypt(encrypt(plaintext, masterKey, MATDESC), masterKey, 7)).equals(plaintext)).toBe(
      true,
    );
  });

  it('refuses the wrong master key', async () => {
    const object = encrypt(randomBytes(100), randomBytes(32), MATDESC);
    await expect(decrypt(object, randomBytes(32))).rejects.toThrow(CseDecryptionError);
  });

  it('records the unencrypted length', () => {
    const envelope = readCseEnvelope(encrypt(randomBytes(1234), randomBytes(32), MATDESC).metadata);
    expect(envelope.unencryptedContentLength).toBe(1234);
    expect(envelope.matdesc).toEqual(MATDESC);
  });
});

describe('CSE V2 wire layout', () => {
  it('wraps the content key as nonce ‖ GCM(master, key, AAD "AES/GCM/NoPadding") ‖ tag and appends the content tag', () => {
    const masterKey = randomBytes(32);
    const plaintext = Buffer.from('hello, client-side encryption');
    const { body, metadata } = encryptCseV2(plaintext, masterKey, MATDESC);
    expect(metadata).toMatchObject({
      'x-amz-wrap-alg': 'AES/GCM',
      'x-amz-cek-alg': 'AES/GCM/NoPadding',
      'x-amz-tag-len': '128',
      'x-amz-unencrypted-content-length': String(plaintext.length),
      'x-amz-matdesc': JSON.stringify(MATDESC),
    });
    // Decode by hand, independently of the module's decipher.
    const wrapped = Buffer.from(metadata['x-amz-key-v2']!, 'base64');
    expect(wrapped).toHaveLength(12 + 32 + 16);
    const unwrap = createDecipheriv('aes-256-gcm', masterKey, wrapped.subarray(0, 12));
    unwrap.setAAD(Buffer.from('AES/GCM/NoPadding'));
    unwrap.setAuthTag(wrapped.subarray(44));
    const contentKey = Buffer.concat([unwrap.update(wrapped.subarray(12, 44)), unwrap.final()]);
    const iv = Buffer.from(metadata['x-amz-iv']!, 'base64');
    expect(iv).toHaveLength(12);
    expect(body).toHaveLength(plaintext.length + 16);
    const content = createDecipheriv('aes-256-gcm', contentKey, iv);
    content.setAuthTag(body.subarray(body.length - 16));
    expect(
      Buffer.concat([content.update(body.subarray(0, body.length - 16)), content.final()]).toString(),
    ).toBe(plaintext.toString());
  });
});

describe('CSE tampering', () => {
  const masterKey = randomBytes(32);
  const plaintext = randomBytes(50_000);

  it.each([
    ['the last tag byte', (body: Buffer) => body[body.length - 1]! ^ 1, (body: Buffer) => body.length - 1],
    ['a content byte', (body: Buffer) => body[100]! ^ 0x80, () => 100],
  ])('errors the stream when %s is flipped (GCM)', async (_name, flipped, at) => {
    const object = encryptCseV2(plaintext, masterKey, MATDESC);
    const body = Buffer.from(object.body);
    body[at(body)] = flipped(body);
    await expect(decrypt({ ...object, body }, masterKey, 1000)).rejects.toThrow(/authentication failed/);
  });

  it('errors when the body is shorter than the tag', async () => {
    const object = encryptCseV2(plaintext, masterKey, MATDESC);
    await expect(decrypt({ ...object, body: object.body.subarray(0, 10) }, masterKey)).rejects.toThrow(
      /shorter than its 16-byte GCM tag/,
    );
  });

  it('errors when the wrapped content key is tampered', async () => {
    const object = encryptCseV2(plaintext, masterKey, MATDESC);
    const wrapped = Buffer.from(object.metadata['x-amz-key-v2']!, 'base64');
    wrapped[20]! ^= 1;
    const metadata = { ...object.metadata, 'x-amz-key-v2': wrapped.toString('base64') };
    await expect(decrypt({ body: object.body, metadata }, masterKey)).rejects.toThrow(CseDecryptionError);
  });

  it('errors on a truncated CBC body', async () => {
    const object = encryptCseV1(plaintext, masterKey, MATDESC);
    await expect(
      decrypt({ ...object, body: object.body.subarray(0, object.body.length - 5) }, masterKey),
    ).rejects.toThrow(CseDecryptionError);
  });
});

describe('CSE master key resolution', () => {
  it('uses the batch key when the matdesc names no key', async () => {
    const masterKey = randomBytes(32);
    const object = encryptCseV2(Buffer.from('batch'), masterKey, {});
    const unwrap = vi.fn(async () => randomBytes(32));
    const batchKey = vi.fn(async () => masterKey);
    const decipher = await createCseDecipher(readCseEnvelope(object.metadata), unwrap, batchKey);
    expect((await runThrough(decipher, [object.body])).toString()).toBe('batch');
    expect(unwrap).not.toHaveBeenCalled();
    expect(batchKey).toHaveBeenCalledOnce();
  });

  it('fails when the matdesc names no key and there is no batch key', async () => {
    const object = encryptCseV2(Buffer.from('x'), randomBytes(32), {});
    await expect(createCseDecipher(readCseEnvelope(object.metadata), vi.fn())).rejects.toThrow(
      /no batch data key/,
    );
  });

  it.each([
    [{ keyid: 'k' }, /has 'keyid' but not 'encryptedkey'/],
    [{ encryptedkey: 'e' }, /has 'encryptedkey' but not 'keyid'/],
  ])('fails when the matdesc has only one of the two fields: %j', async (matdesc, problem) => {
    const object = encryptCseV2(Buffer.from('x'), randomBytes(32), matdesc);
    const unwrap = vi.fn();
    await expect(createCseDecipher(readCseEnvelope(object.metadata), unwrap, vi.fn())).rejects.toThrow(
      problem,
    );
    expect(unwrap).not.toHaveBeenCalled();
  });

  it('propagates a failing DKS unwrap', async () => {
    const object = encryptCseV2(Buffer.from('x'), randomBytes(32), MATDESC);
    const failure = new Error('dks says no');
    await expect(
      createCseDecipher(readCseEnvelope(object.metadata), async () => Promise.reject(failure)),
    ).rejects.toBe(failure);
  });
});

describe('CSE envelope parsing', () => {
  const valid = encryptCseV2(Buffer.from('x'), randomBytes(32), MATDESC).metadata;

  it.each([
    [{}, false],
    [{ iv: 'x', ciphertext: 'y', datakeyencryptionkeyid: 'z' }, false],
    [{ 'x-amz-matdesc': '{}' }, true],
    [{ 'X-Amz-Matdesc': '{}' }, true],
  ])('detects CSE by x-amz-matdesc: %j → %s', (metadata, expected) => {
    expect(isCseObject(metadata)).toBe(expected);
  });

  it.each([
    ['x-amz-matdesc', { 'x-amz-matdesc': 'not json' }],
    ['x-amz-matdesc', { 'x-amz-matdesc': '[1]' }],
    ['x-amz-matdesc', { 'x-amz-matdesc': '{"keyid": 7}' }],
    ['x-amz-key-v2', { 'x-amz-key-v2': undefined }],
    ['x-amz-key-v2', { 'x-amz-key-v2': 'not base64!' }],
    ['x-amz-wrap-alg', { 'x-amz-wrap-alg': 'kms+context' }],
    ['x-amz-wrap-alg', { 'x-amz-wrap-alg': undefined }],
    ['x-amz-cek-alg', { 'x-amz-cek-alg': 'AES/CTR/NoPadding' }],
    ['x-amz-iv', { 'x-amz-iv': randomBytes(16).toString('base64') }],
    ['x-amz-iv', { 'x-amz-iv': undefined }],
    ['x-amz-tag-len', { 'x-amz-tag-len': '64' }],
    ['x-amz-tag-len', { 'x-amz-tag-len': 'abc' }],
    ['x-amz-unencrypted-content-length', { 'x-amz-unencrypted-content-length': '-1' }],
  ])('names %s when it is wrong', (field, change) => {
    const metadata: Record<string, string | undefined> = { ...valid, ...change };
    for (const [key, value] of Object.entries(change)) if (value === undefined) delete metadata[key];
    let thrown: unknown;
    try {
      readCseEnvelope(metadata);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidEnvelopeError);
    expect((thrown as InvalidEnvelopeError).field).toBe(field);
  });

  it('refuses a V1 envelope with a 12-byte IV (CBC needs 16)', () => {
    const metadata = { ...encryptCseV1(Buffer.from('x'), randomBytes(32), MATDESC).metadata };
    metadata['x-amz-iv'] = randomBytes(12).toString('base64');
    expect(() => readCseEnvelope(metadata)).toThrow(/16 bytes for AES\/CBC/);
  });

  it('reads V1 defaults: AES wrap, CBC content', () => {
    const envelope = readCseEnvelope(encryptCseV1(Buffer.from('x'), randomBytes(32), MATDESC).metadata);
    expect(envelope).toMatchObject({
      format: 'v1',
      wrapAlgorithm: 'AES',
      contentAlgorithm: 'AES/CBC/PKCS5Padding',
    });
    expect(envelope.tagLengthBits).toBeUndefined();
  });
});
