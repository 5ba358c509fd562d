import { describe, expect, it } from 'vitest';
import { ROUTING_ITEM_COLUMNS } from '../../src/egress/rules/schema.ts';
import { describeUnknownColumn, nearMiss, unknownColumns } from '../../src/egress/rules/unknown-columns.ts';

describe('nearMiss (Levenshtein ≤ 2 to a column the service reads)', () => {
  it.each([
    ['destination_prefx', 'destination_prefix'], // one deletion
    ['destinaton_prefix', 'destination_prefix'],
    ['destination_prefixx', 'destination_prefix'], // one insertion
    ['Destination_Prefix', 'destination_prefix'], // case only
    ['destination-prefix', 'destination_prefix'], // one substitution
    ['destniation_prefix', 'destination_prefix'], // a transposition is two edits
    ['compres', 'compress'],
    ['compress_fmts', 'compress_fmt'],
    ['timestamp_file', 'timestamp_files'],
    ['rolearn', 'role_arn'],
    ['src_prefix', undefined], // three edits away
    ['source_prfx', 'source_prefix'], // two edits
    ['destination', undefined],
    ['note', undefined],
    ['', undefined],
    ['decrypt', undefined], // a known column is no near miss
  ])('%j → %j', (name, expected) => {
    expect(nearMiss(name)).toBe(expected);
  });

  it('prefers the closest column, then the first in order', () => {
    expect(nearMiss('ab', ['xy', 'ac', 'ab_'])).toBe('ac');
    expect(nearMiss('ab', ['abc', 'abd'])).toBe('abc');
  });
});

describe('unknownColumns', () => {
  it.each([
    [{ source_prefix: 'a/', pipeline_name: 'P' }, []],
    [{ source_prefix: 'a/', _resource: 'tf_item', _note: 'x' }, []],
    [{ destination_prefx: 'x/' }, [{ column: 'destination_prefx', suggestion: 'destination_prefix' }]],
    [{ owner: 'team-a' }, [{ column: 'owner' }]],
    [
      { decrpyt: true, compress_fmt: 'gz', comment: '' },
      [{ column: 'decrpyt', suggestion: 'decrypt' }, { column: 'comment' }],
    ],
  ])('%j', (item, expected) => {
    expect(unknownColumns(item)).toEqual(expected);
  });

  it('knows every column of the schema (behaviour §2.1)', () => {
    expect(ROUTING_ITEM_COLUMNS).toEqual([
      'source_prefix',
      'pipeline_name',
      'recipient_name',
      'transfer_type',
      'source_bucket',
      'destination_bucket',
      'destination_prefix',
      'decrypt',
      'rewrap_datakey',
      'encrypting_key_ssm_parm_name',
      'compress',
      'compress_fmt',
      'role_arn',
      'control_file_prefix',
      'manifest_file_name',
      'manifest_file_encryption',
      'timestamp_files',
    ]);
  });
});

describe('describeUnknownColumn', () => {
  it.each([
    [
      { column: 'destination_prefx', suggestion: 'destination_prefix' },
      'destination_prefx: not a column the egress service reads; did you mean destination_prefix?',
    ],
    [{ column: 'owner' }, 'owner: not a column the egress service reads (ignored)'],
  ])('%j', (unknown, text) => {
    expect(describeUnknownColumn(unknown)).toBe(text);
  });
});
