import { describe, expect, it } from 'vitest';
import { type CryptoRuleSettings, planObjectHandling } from '../../../src/egress/crypto/object-handling.ts';

const HTME = { datakeyencryptionkeyid: 'kek', ciphertext: 'wrapped', iv: 'AAAAAAAAAAAAAAAAAAAAAA==' };
const CSE = { 'x-amz-matdesc': '{}', 'x-amz-key-v2': 'k' };

function rule(overrides: Partial<CryptoRuleSettings> = {}): CryptoRuleSettings {
  return {
    decrypt: false,
    rewrapDatakey: false,
    encryptingKeySsmParameterName: '/recipient/key',
    transferType: 'S3',
    ...overrides,
  };
}

describe('planObjectHandling (behaviour §4.6 with the documented fixes)', () => {
  it.each([
    ['plain, decrypt', {}, { decrypt: true }, { kind: 'plain' }],
    ['plain, rewrap', { data_product: 'x' }, { rewrapDatakey: true }, { kind: 'plain' }],
    ['HTME, neither', HTME, {}, { kind: 'htme', action: 'pass-through' }],
    ['HTME, decrypt', HTME, { decrypt: true }, { kind: 'htme', action: 'decrypt' }],
    ['HTME, rewrap S3', HTME, { rewrapDatakey: true }, { kind: 'htme', action: 'rewrap' }],
    [
      'HTME, rewrap SFT (re-wrap is S3-only)',
      HTME,
      { rewrapDatakey: true, transferType: 'SFT' },
      { kind: 'htme', action: 'pass-through' },
    ],
    [
      'HTME, decrypt + rewrap SFT',
      HTME,
      { decrypt: true, rewrapDatakey: true, transferType: 'SFT' },
      { kind: 'htme', action: 'decrypt' },
    ],
    ['HTME, decrypt SFT', HTME, { decrypt: true, transferType: 'SFT' }, { kind: 'htme', action: 'decrypt' }],
    ['CSE, decrypt false', CSE, {}, { kind: 'cse' }],
    ['CSE with HTME keys too (CSE wins)', { ...CSE, ...HTME }, { rewrapDatakey: true }, { kind: 'cse' }],
    [
      'HTME keys in another case',
      { DataKeyEncryptionKeyId: 'kek', Ciphertext: 'w', IV: 'AAAAAAAAAAAAAAAAAAAAAA==' },
      { decrypt: true },
      { kind: 'htme', action: 'decrypt' },
    ],
  ] as const)('%s', (_name, metadata, overrides, expected) => {
    expect(planObjectHandling(metadata, rule(overrides))).toEqual(expected);
  });

  it.each([
    [
      'decrypt and rewrap both true on S3',
      HTME,
      { decrypt: true, rewrapDatakey: true },
      /both decrypt and rewrap_datakey/,
    ],
    [
      'rewrap without a parameter name',
      HTME,
      { rewrapDatakey: true, encryptingKeySsmParameterName: undefined },
      /encrypting_key_ssm_parm_name is not set/,
    ],
    [
      'decrypt with an incomplete envelope',
      { iv: HTME.iv, ciphertext: 'w' },
      { decrypt: true },
      /has ciphertext, iv but not datakeyencryptionkeyid, so it cannot be decrypted/,
    ],
    [
      'rewrap with an incomplete envelope',
      { datakeyencryptionkeyid: 'k' },
      { rewrapDatakey: true },
      /cannot be re-wrapped/,
    ],
  ] as const)('refuses: %s', (_name, metadata, overrides, reason) => {
    const handling = planObjectHandling(metadata, rule(overrides));
    expect(handling.kind).toBe('refused');
    expect(handling.kind === 'refused' && handling.reason).toMatch(reason);
  });

  it('passes an incomplete envelope through as plain, with a warning, when nothing is asked of it', () => {
    expect(planObjectHandling({ iv: HTME.iv }, rule())).toEqual({
      kind: 'plain',
      warning: 'incomplete HTME metadata: has iv but not datakeyencryptionkeyid, ciphertext; sent as it is',
    });
  });
});
