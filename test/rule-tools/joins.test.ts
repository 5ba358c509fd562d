import { describe, expect, it } from 'vitest';
import { describeDestination, s3Url } from '../../src/egress/plan/locations.ts';
import { destinationKeyPrefix, targetKey } from '../../src/egress/plan/naming.ts';
import { formatRuleTable, listRules, recordsFromItems } from '../../src/rule-tools/index.ts';
import { DEPLOYED_RULES } from './support/deployed-rules.ts';

/*
 * Issue 19 item 6: `routes list` printed `s3://opsmi-bucket-name//` for the OpsMI rule, whose
 * `destination_prefix` is `/` (the bucket root). One function writes S3 locations (`s3Url`), and
 * destinations are shown as the service writes them (`destinationKeyPrefix`), never the raw column.
 */

const REAL_RULES = DEPLOYED_RULES;

describe('s3Url: the one join of a bucket and a key', () => {
  it.each([
    ['b', '', 's3://b/'],
    ['b', undefined, 's3://b/'],
    ['b', 'a/', 's3://b/a/'],
    ['b', 'a/b.csv', 's3://b/a/b.csv'],
    // A key that really begins with `/` is shown as it is (the AWS CLI addresses it so).
    ['b', '/dataworks-data-egress/sft/', 's3://b//dataworks-data-egress/sft/'],
  ])('%j + %j → %j', (bucket, key, url) => {
    expect(s3Url(bucket, key)).toBe(url);
  });

  it('describes S3 and SFT destinations alike', () => {
    expect(describeDestination({ transferType: 'S3', bucket: 'b', key: 'k/x.csv' })).toBe('s3://b/k/x.csv');
    expect(describeDestination({ transferType: 'SFT', directory: '/data-egress/sas/', fileName: 'x' })).toBe(
      '/data-egress/sas/x',
    );
    expect(describeDestination({ transferType: 'SFT', directory: 'testData/x', fileName: 'y' })).toBe(
      '/testData/x/y',
    );
  });
});

describe('destinationKeyPrefix: what the service puts in front of a file name', () => {
  it.each([
    ['cbol/2021-09-01/', 'cbol/2021-09-01/'],
    ['/', ''],
    ['', ''],
    ['ucds/ad_survey/ad_summary_stats', 'ucds/ad_survey/ad_summary_stats/'],
    ['/abs/path', 'abs/path/'],
    ['a//', 'a//'],
    ['//x', '/x/'],
    ['$TODAYS_DATE/', '$TODAYS_DATE/'],
  ])('%j → %j, the same as targetKey', (prefix, expected) => {
    expect(destinationKeyPrefix(prefix)).toBe(expected);
    expect(targetKey('any/dir/file.csv', { destinationPrefix: prefix, decrypt: false })).toBe(
      `${expected}file.csv`,
    );
  });
});

describe('egress routes list joins as the service writes', () => {
  it('shows the OpsMI rule’s destination as the bucket root, not s3://opsmi-destination//', () => {
    const opsmi = listRules(REAL_RULES).find((row) => row.pipeline === 'OpsMI');
    expect(opsmi?.destination).toBe('s3://opsmi-destination/');
  });

  it('no location of the 97 deployed rules has an empty path segment', () => {
    const text = formatRuleTable(listRules(REAL_RULES));
    expect(text).not.toMatch(/s3:\/\/[^/\s]*\/\//);
    for (const row of listRules(REAL_RULES)) {
      expect(row.source, row.label).toMatch(/^s3:\/\/[a-z0-9-]+\/[^/]/);
      if (row.type === 'S3') expect(row.destination, row.label).not.toMatch(/^s3:\/\/[^/]*\/\//);
    }
  });

  it('an invalid S3 item is shown the same way', () => {
    const [row] = listRules(
      recordsFromItems(
        [
          {
            source_prefix: 'x/',
            pipeline_name: 'BAD',
            transfer_type: 'S3',
            source_bucket: 'src',
            destination_bucket: 'dst',
            destination_prefix: '/',
            decrypt: 'true',
          },
        ],
        'items',
      ),
    );
    expect(row).toMatchObject({ valid: false, destination: 's3://dst/' });
  });
});
