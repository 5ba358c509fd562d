import {
  constants,
  createHash,
  createPrivateKey,
  generateKeyPair,
  generateKeyPairSync,
  type KeyObject,
  privateDecrypt,
  randomBytes,
} from 'node:crypto';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  parseRewrapKeyParameter,
  RewrapKeyError,
  rewrapDataKey,
  rewrappedMetadata,
} from '../../../src/egress/crypto/rewrap/rewrap.ts';

const PARAMETER = '/dataworks/egress/recipient-public-key';
let publicKeyBase64: string;
let privateKey: KeyObject;

beforeAll(async () => {
  const pair = await promisify(generateKeyPair)('rsa', { modulusLength: 4096 });
  publicKeyBase64 = pair.publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
  // As the original's test: the private key travels as Base64 PKCS#8.
  const pkcs8 = pair.privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64');
  privateKey = createPrivateKey({ key: Buffer.from(pkcs8, 'base64'), format: 'der', type: 'pkcs8' });
});

function parameterValue(overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({
    ValidFrom: '2021-07-14 14:35:30',
    KeyId: '4f9fbf95-2e4d-4b2f-a1c9-0d6f6e1e8a11',
    PublicKey: publicKeyBase64,
    CustomerMasterKeySpec: 'RSA_4096',
    EncryptionAlgorithms: ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256'],
    ...overrides,
  });
}

/** MGF1 with SHA-256 (RFC 8017 B.2.1). */
function mgf1(seed: Buffer, length: number): Buffer {
  const blocks: Buffer[] = [];
  for (let counter = 0; blocks.length * 32 < length; counter += 1) {
    const c = Buffer.alloc(4);
    c.writeUInt32BE(counter);
    blocks.push(createHash('sha256').update(seed).update(c).digest());
  }
  return Buffer.concat(blocks).subarray(0, length);
}

/** EME-OAEP decoding with SHA-256 for both hash and MGF1, written out (RFC 8017 7.1.2). */
function oaepSha256Decode(encoded: Buffer): Buffer {
  const hashLength = 32;
  const maskedSeed = encoded.subarray(1, 1 + hashLength);
  const maskedDb = encoded.subarray(1 + hashLength);
  const seed = Buffer.from(maskedSeed.map((byte, i) => byte ^ mgf1(maskedDb, hashLength)[i]!));
  const db = Buffer.from(maskedDb.map((byte, i) => byte ^ mgf1(seed, maskedDb.length)[i]!));
  expect(encoded[0]).toBe(0);
  expect(db.subarray(0, hashLength).equals(createHash('sha256').digest())).toBe(true);
  const separator = db.indexOf(1, hashLength);
  expect(db.subarray(hashLength, separator).every((byte) => byte === 0)).toBe(true);
  return db.subarray(separator + 1);
}

describe('re-wrapping a data key for a recipient', () => {
  it('round-trips with a 4096-bit key: private-key decrypt gives the Base64 text of the key', () => {
    const key = parseRewrapKeyParameter(PARAMETER, parameterValue());
    expect(key.keyId).toBe('4f9fbf95-2e4d-4b2f-a1c9-0d6f6e1e8a11');
    const dataKey = randomBytes(16);
    const wrapped = rewrapDataKey(dataKey, key.publicKey);
    expect(Buffer.from(wrapped, 'base64')).toHaveLength(512);

    const text = privateDecrypt(
      { key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
      Buffer.from(wrapped, 'base64'),
    ).toString('utf8');
    expect(text).toBe(dataKey.toString('base64'));
    expect(Buffer.from(text, 'base64').equals(dataKey)).toBe(true);
  });

  it('uses SHA-256 for MGF1 too (decoded by hand from the raw RSA block)', () => {
    const key = parseRewrapKeyParameter(PARAMETER, parameterValue());
    const dataKey = randomBytes(32);
    const wrapped = Buffer.from(rewrapDataKey(dataKey, key.publicKey), 'base64');
    const raw = privateDecrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, wrapped);
    expect(oaepSha256Decode(raw).toString('utf8')).toBe(dataKey.toString('base64'));
    // SHA-1 OAEP (the other algorithm the key allows) must not decrypt it.
    expect(() =>
      privateDecrypt(
        { key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' },
        wrapped,
      ),
    ).toThrow();
  });

  it('writes the re-wrap metadata of behaviour §4.6', () => {
    const iv = randomBytes(16);
    expect(
      rewrappedMetadata({ iv }, { keyId: 'recipient-key' }, 'UlNB', { data_product: 'db.x', other: 'y' }),
    ).toEqual({
      iv: iv.toString('base64'),
      datakeyencryptionkeyid: 'recipient-key',
      ciphertext: 'UlNB',
      data_product: 'db.x',
      data_product_type: '',
    });
  });
});

describe('parseRewrapKeyParameter: what the original (Gson, lenient) accepted is accepted', () => {
  const KEY_ID = '4f9fbf95-2e4d-4b2f-a1c9-0d6f6e1e8a11';
  // Each value yields KeyId → the expected id and a usable PublicKey (the test's RSA key).
  const accepted: [string, () => string, string][] = [
    ['the KMS GetPublicKey shape with extra fields', () => parameterValue(), KEY_ID],
    ['only the two fields', () => JSON.stringify({ KeyId: 'k', PublicKey: publicKeyBase64 }), 'k'],
    ['single-quoted names and values', () => `{'KeyId': 'k1', 'PublicKey': '${publicKeyBase64}'}`, 'k1'],
    ['unquoted names', () => `{KeyId: "k2", PublicKey: "${publicKeyBase64}"}`, 'k2'],
    ['an unquoted KeyId value', () => `{"KeyId": abc-123, "PublicKey": "${publicKeyBase64}"}`, 'abc-123'],
    ['a numeric KeyId (read as its text)', () => `{"KeyId": 42, "PublicKey": "${publicKeyBase64}"}`, '42'],
    [
      'a boolean KeyId (read as its text)',
      () => `{"KeyId": true, "PublicKey": "${publicKeyBase64}"}`,
      'true',
    ],
    ['= and => separators', () => `{"KeyId" = "k3"; "PublicKey" => "${publicKeyBase64}"}`, 'k3'],
    ['; between members', () => `{"KeyId": "k4"; "PublicKey": "${publicKeyBase64}"}`, 'k4'],
    [
      '// # and /* */ comments',
      () =>
        `# recipient key\n{ // rotated yearly\n "KeyId": /* id */ "k5",\n "PublicKey": "${publicKeyBase64}" }\n`,
      'k5',
    ],
    ["the non-execute prefix )]}'", () => `)]}'\n{"KeyId": "k6", "PublicKey": "${publicKeyBase64}"}`, 'k6'],
    ['escapes \\/ and \\u', () => `{"KeyId": "a\\/b\\u0041", "PublicKey": "${publicKeyBase64}"}`, 'a/bA'],
    [
      'a duplicate field (the later wins)',
      () => `{"KeyId": "old", "PublicKey": "${publicKeyBase64}", "KeyId": "new"}`,
      'new',
    ],
    [
      'lenient extras: trailing array comma, NaN, nested objects',
      () =>
        `{"EncryptionAlgorithms": [RSAES_OAEP_SHA_256,, ], "Score": NaN, "Meta": {"a": [1; 2]}, "KeyId": "k7", "PublicKey": "${publicKeyBase64}"}`,
      'k7',
    ],
    [
      'a PublicKey without its Base64 padding',
      () => `{"KeyId": "k8", "PublicKey": "${publicKeyBase64.replace(/=+$/, '')}"}`,
      'k8',
    ],
    ['surrounding whitespace', () => `\n\t ${parameterValue({ KeyId: 'k9' })} \n`, 'k9'],
  ];
  it.each(accepted)('accepts %s', (_name, value, keyId) => {
    const key = parseRewrapKeyParameter(PARAMETER, value());
    expect(key.keyId).toBe(keyId);
    expect(key.publicKey.asymmetricKeyType).toBe('rsa');
  });
});

describe('parseRewrapKeyParameter: what the original refused is refused, naming the parameter and the fault', () => {
  const ecKey = () =>
    generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'der', type: 'spki' });

  it.each([
    ['missing', () => undefined, /is missing/],
    ['empty', () => '', /is missing/],
    ['null', () => 'null', /holds null/],
    ['not closed', () => '{KeyId: nope', /not a JSON object: unterminated object/],
    ['a JSON array', () => '[]', /not a JSON object: expected an object, found an array/],
    ['a JSON string', () => '"abc"', /expected an object, found a value/],
    ['followed by more text', () => `${parameterValue()} {}`, /followed by more text/],
    ['with a trailing comma in the object', () => '{"KeyId": "k",}', /expected a name/],
    ['with an unknown escape', () => '{"KeyId": "a\\qb"}', /invalid escape sequence/],
    ['with an unterminated string', () => '{"KeyId": "k', /unterminated string/],
    ['without PublicKey', () => JSON.stringify({ KeyId: 'k' }), /has no PublicKey/],
    ['without KeyId', () => JSON.stringify({ PublicKey: publicKeyBase64 }), /has no KeyId/],
    ['with a null KeyId', () => `{"KeyId": null, "PublicKey": "${publicKeyBase64}"}`, /has no KeyId/],
    ['with an empty KeyId', () => parameterValue({ KeyId: '' }), /has an empty KeyId/],
    ['with an object as KeyId', () => parameterValue({ KeyId: { id: 1 } }), /an object as KeyId/],
    [
      'with lower-case field names (Gson matches names exactly)',
      () => JSON.stringify({ keyId: 'k', publicKey: publicKeyBase64 }),
      /has no KeyId/,
    ],
    ['with a PublicKey that is not Base64', () => parameterValue({ PublicKey: 'not base64!' }), /not Base64/],
    [
      'with a PublicKey broken over lines (Java’s decoder refuses whitespace)',
      () => parameterValue({ PublicKey: `${publicKeyBase64.slice(0, 64)}\n${publicKeyBase64.slice(64)}` }),
      /not Base64/,
    ],
    ['with a PublicKey with wrong padding', () => parameterValue({ PublicKey: 'QUJD=' }), /not Base64/],
    [
      'with a PublicKey that is not a key',
      () => parameterValue({ PublicKey: 'QUJD' }),
      /SubjectPublicKeyInfo/,
    ],
    ['with an EC key', () => parameterValue({ PublicKey: ecKey().toString('base64') }), /RSA is required/],
  ])('refuses a parameter %s', (_name, value, problem) => {
    const parse = () => parseRewrapKeyParameter(PARAMETER, value());
    expect(parse).toThrow(RewrapKeyError);
    expect(parse).toThrow(problem);
    expect(parse).toThrow(PARAMETER);
  });
});
