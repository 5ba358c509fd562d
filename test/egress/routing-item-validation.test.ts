import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseRoutingItem, parseRoutingItems } from '../../src/egress/rules/schema.ts';
import { routingItem } from './support/rules.ts';

const FIXTURE = '/work/shared/fixtures/routing-items.json';

describe('routing item validation', () => {
  it('applies the defaults of behaviour §2.1 to unspecified optional columns', () => {
    const result = parseRoutingItem({
      source_prefix: 'p/',
      pipeline_name: 'P',
      transfer_type: 'S3',
      source_bucket: 'src',
      destination_bucket: 'dst',
    });
    expect(result).toEqual({
      ok: true,
      rule: {
        key: { sourcePrefix: 'p/', pipelineName: 'P' },
        recipientName: '',
        transferType: 'S3',
        sourceBucket: 'src',
        destinationBucket: 'dst',
        destinationPrefix: '',
        decrypt: false,
        rewrapDatakey: false,
        encryptingKeySsmParameterName: undefined,
        compression: undefined,
        roleArn: undefined,
        controlFilePrefix: undefined,
        manifestFileName: undefined,
        manifestEncryption: 'plaintext',
        timestampFiles: false,
      },
    });
  });

  it.each([
    ['S3', 'S3'],
    ['s3', 'S3'],
    ['Sft', 'SFT'],
    ['sft', 'SFT'],
  ])('accepts transfer_type %j case-insensitively as %s', (stored, normalised) => {
    const result = parseRoutingItem(routingItem({ transfer_type: stored }));
    expect(result.ok && result.rule.transferType).toBe(normalised);
  });

  it.each([
    ['compress gz', { compress: true, compress_fmt: 'gz' }, 'gz'],
    ['compress z', { compress: true, compress_fmt: 'z' }, 'z'],
    [
      'format without compress: not compressed, no suffix',
      { compress: false, compress_fmt: 'gz' },
      undefined,
    ],
    ['unknown format without compress is ignored', { compress_fmt: 'bz2' }, undefined],
  ])('%s', (_name, overrides, compression) => {
    const result = parseRoutingItem(routingItem(overrides));
    expect(result.ok && result.rule.compression).toBe(compression);
  });

  it.each([
    [undefined, 'plaintext'],
    ['', 'plaintext'],
    ['encrypted', 'encrypted'],
    ['ENCRYPTED', 'encrypted'],
    ['re-wrapped', 'rewrapped'],
    ['Rewrapped', 'rewrapped'],
  ])('manifest_file_encryption %j → %s', (stored, mode) => {
    const result = parseRoutingItem(routingItem({ manifest_file_encryption: stored }));
    expect(result.ok && result.rule.manifestEncryption).toBe(mode);
  });

  it.each([
    [
      'blank strings mean "not set"',
      { role_arn: '', control_file_prefix: '  ', encrypting_key_ssm_parm_name: '' },
    ],
    ['NULL attributes mean "not set"', { role_arn: null, decrypt: null, control_file_prefix: null }],
  ])('%s', (_name, overrides) => {
    const result = parseRoutingItem(routingItem(overrides));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.rule.roleArn).toBeUndefined();
    expect(result.rule.controlFilePrefix).toBeUndefined();
    expect(result.rule.encryptingKeySsmParameterName).toBeUndefined();
    expect(result.rule.decrypt).toBe(false);
  });

  it('ignores fixture metadata (`_…`) and columns the original never read', () => {
    const result = parseRoutingItem(routingItem({ _resource: 'x', _note: 42, table_name: 'data-egress' }));
    expect(result.ok).toBe(true);
  });

  it('drops destination_bucket from SFT rules', () => {
    const result = parseRoutingItem(routingItem({ transfer_type: 'SFT', destination_bucket: 'ignored' }));
    expect(result.ok && result.rule.destinationBucket).toBeUndefined();
  });

  it.each([
    // [case, overrides, the reason must contain…]
    [
      'decrypt as the string "true"',
      { decrypt: 'true' },
      'decrypt: expected a boolean (BOOL) or nothing, got string "true"',
    ],
    [
      'rewrap_datakey as a number',
      { rewrap_datakey: 1 },
      'rewrap_datakey: expected a boolean (BOOL) or nothing, got number 1',
    ],
    [
      'timestamp_files as "false"',
      { timestamp_files: 'false' },
      'timestamp_files: expected a boolean (BOOL)',
    ],
    ['compress as "true"', { compress: 'true' }, 'compress: expected a boolean (BOOL)'],
    [
      'missing source_prefix',
      { source_prefix: undefined },
      'source_prefix: expected a string (S), got nothing (column absent)',
    ],
    ['missing pipeline_name', { pipeline_name: undefined }, 'pipeline_name: expected a string (S)'],
    ['missing transfer_type', { transfer_type: undefined }, 'transfer_type: expected a string (S)'],
    ['missing source_bucket', { source_bucket: undefined }, 'source_bucket: expected a string (S)'],
    ['empty source_bucket', { source_bucket: '' }, 'source_bucket: must not be empty'],
    ['S3 without destination_bucket', { destination_bucket: undefined }, 'destination_bucket: required'],
    ['S3 with blank destination_bucket', { destination_bucket: ' ' }, 'destination_bucket: required'],
    ['unknown transfer_type', { transfer_type: '3FT' }, 'transfer_type: unknown transfer type "3FT"'],
    [
      'transfer_type as BOOL',
      { transfer_type: true },
      'transfer_type: expected a string (S), got boolean true',
    ],
    [
      'role_arn as a map',
      { role_arn: { S: 'arn' } },
      'role_arn: expected a string (S) or nothing, got a map',
    ],
    [
      'destination_prefix as a set',
      { destination_prefix: new Set(['a']) },
      'destination_prefix: expected a string (S) or nothing, got a set',
    ],
    [
      'decrypt and rewrap_datakey both true on an S3 rule',
      { decrypt: true, rewrap_datakey: true },
      'rewrap_datakey: cannot be true together with decrypt on an S3 rule',
    ],
    [
      'compress without format',
      { compress: true },
      'compress_fmt: must be "gz" or "z" when compress is true, got nothing',
    ],
    [
      'compress with an unknown format',
      { compress: true, compress_fmt: 'bz2' },
      'compress_fmt: must be "gz" or "z" when compress is true, got "bz2"',
    ],
    [
      'compress with a wrong-case format',
      { compress: true, compress_fmt: 'GZ' },
      'compress_fmt: must be "gz" or "z"',
    ],
    [
      'unknown manifest encryption',
      { manifest_file_encryption: 'encryptd' },
      'manifest_file_encryption: unknown manifest encryption "encryptd"',
    ],
  ])('invalid: %s', (_name, overrides, reason) => {
    const result = parseRoutingItem(routingItem(overrides));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.invalid.reason).toContain(reason);
    expect(result.invalid.key).toEqual({
      sourcePrefix: 'source_prefix' in overrides ? overrides.source_prefix : 'source/prefix/',
      pipelineName: 'pipeline_name' in overrides ? overrides.pipeline_name : 'TEST',
    });
  });

  it('reports every problem of an item at once', () => {
    const result = parseRoutingItem(routingItem({ decrypt: 'yes', rewrap_datakey: 'no', source_bucket: 7 }));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.invalid.reason).toMatch(/source_bucket: .*; decrypt: .*; rewrap_datakey: /);
  });

  it('reports an item that is not a map', () => {
    const result = parseRoutingItem('not an item');
    expect(result.ok).toBe(false);
  });
});

describe('the 97 deployed routing items (fixtures/routing-items.json)', () => {
  const items = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Record<string, unknown>[];
  const { rules, invalid } = parseRoutingItems(items);

  it('parses every item or reports it invalid, nothing lost', () => {
    expect(items).toHaveLength(97);
    expect(rules.length + invalid.length).toBe(97);
  });

  it('reports only the PDM→RTG item, whose boolean columns hold placeholder strings', () => {
    expect(invalid).toEqual([
      {
        key: { sourcePrefix: 'rtg-pdm-queries-source-prefix', pipelineName: 'PDM_RTG' },
        reason:
          'decrypt: expected a boolean (BOOL) or nothing, got string "rtg-pdm-queries-decrypt"; ' +
          'rewrap_datakey: expected a boolean (BOOL) or nothing, got string "rtg-pdm-queries-rewrap-datakey"',
      },
    ]);
  });

  it('keeps the split of 86 S3 and 10 SFT valid rules', () => {
    expect(rules.filter((rule) => rule.transferType === 'S3')).toHaveLength(86);
    expect(rules.filter((rule) => rule.transferType === 'SFT')).toHaveLength(10);
  });

  it.each(items.filter((item) => typeof item.decrypt === 'boolean'))(
    '$_resource parses with its columns',
    (item) => {
      const result = parseRoutingItem(item);
      expect(result.ok).toBe(true);
      if (!result.ok) return;
      expect(result.rule.key).toEqual({ sourcePrefix: item.source_prefix, pipelineName: item.pipeline_name });
      expect(result.rule.decrypt).toBe(item.decrypt);
      expect(result.rule.timestampFiles).toBe(item.timestamp_files ?? false);
      expect(result.rule.controlFilePrefix).toBe(item.control_file_prefix);
      expect(result.rule.destinationPrefix).toBe(item.destination_prefix);
    },
  );
});
