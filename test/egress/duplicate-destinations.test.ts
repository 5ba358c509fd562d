import { describe, expect, it } from 'vitest';
import type { Destination } from '../../src/egress/plan/destinations.ts';
import {
  describeDuplicates,
  findDuplicateDestinations,
  planRuleDestinations,
} from '../../src/egress/plan/duplicate-destinations.ts';
import { planRule } from '../../src/egress/plan/rule-plan.ts';
import { resolvedFrom } from './support/rules.ts';

const s3 = (key: string, bucket = 'destination'): Destination => ({ transferType: 'S3', bucket, key });
const sft = (fileName: string, directory = '/data-egress/sas/'): Destination => ({
  transferType: 'SFT',
  directory,
  fileName,
});

describe('findDuplicateDestinations (pure)', () => {
  it.each([
    ['no entries', [], []],
    [
      'distinct S3 keys',
      [
        ['a', s3('out/a')],
        ['b', s3('out/b')],
      ],
      [],
    ],
    [
      'same key, two buckets',
      [
        ['a', s3('out/a', 'one')],
        ['b', s3('out/a', 'two')],
      ],
      [],
    ],
    [
      'same S3 key from two sources',
      [
        ['north/totals.csv', s3('out/totals.csv')],
        ['south/totals.csv', s3('out/totals.csv')],
      ],
      [{ target: 's3://destination/out/totals.csv', sources: ['north/totals.csv', 'south/totals.csv'] }],
    ],
    [
      'three sources, listing order kept',
      [
        ['c/x', s3('x')],
        ['a/x', s3('x')],
        ['b/y', s3('y')],
        ['b/x', s3('x')],
      ],
      [{ target: 's3://destination/x', sources: ['c/x', 'a/x', 'b/x'] }],
    ],
    [
      'same SFT file name',
      [
        ['north/totals.csv', sft('totals.csv')],
        ['south/totals.csv', sft('totals.csv')],
      ],
      [{ target: 'sft:/data-egress/sas/totals.csv', sources: ['north/totals.csv', 'south/totals.csv'] }],
    ],
    [
      'SFT names differing in case (distinct on a case-sensitive file system)',
      [
        ['a', sft('T.csv')],
        ['b', sft('t.csv')],
      ],
      [],
    ],
    [
      'SFT same name, other directory',
      [
        ['a', sft('t.csv', '/x')],
        ['b', sft('t.csv', '/y')],
      ],
      [],
    ],
    [
      'a data object named like the control file',
      [
        ['in/done.ctl', s3('out/done.ctl')],
        ['control file', s3('out/done.ctl')],
      ],
      [{ target: 's3://destination/out/done.ctl', sources: ['in/done.ctl', 'control file'] }],
    ],
  ] as [string, [string, Destination][], unknown[]][])('%s', (_what, entries, expected) => {
    expect(
      findDuplicateDestinations(entries.map(([source, destination]) => ({ source, destination }))),
    ).toEqual(expected);
  });
});

describe('planRuleDestinations + findDuplicateDestinations: what a rule would overwrite', () => {
  it.each([
    [
      'S3: sub-folders flatten to one name',
      {},
      ['p/north/totals.csv', 'p/south/totals.csv', 'p/other.csv'],
      [['s3://destination/out/totals.csv', ['p/north/totals.csv', 'p/south/totals.csv']]],
    ],
    [
      'SFT: sub-folders flatten to one name',
      { transfer_type: 'SFT', destination_bucket: undefined, destination_prefix: '/data-egress/sas/' },
      ['p/north/totals.csv', 'p/south/totals.csv'],
      [['sft:/data-egress/sas/totals.csv', ['p/north/totals.csv', 'p/south/totals.csv']]],
    ],
    [
      'S3 decrypt strips .enc: a.csv.enc and a.csv collide',
      { decrypt: true },
      ['p/a.csv.enc', 'p/a.csv'],
      [['s3://destination/out/a.csv', ['p/a.csv.enc', 'p/a.csv']]],
    ],
    [
      'SFT keeps .enc: no collision',
      { transfer_type: 'SFT', destination_bucket: undefined, destination_prefix: '/x/', decrypt: true },
      ['p/a.csv.enc', 'p/a.csv'],
      [],
    ],
    [
      'gz suffix: a.csv → a.csv.gz and a.csv.gz → a.csv.gz.gz',
      { compress: true, compress_fmt: 'gz' },
      ['p/a.csv', 'p/a.csv.gz'],
      [],
    ],
    [
      'a data object collides with the control file',
      { control_file_prefix: 'done.ctl' },
      ['p/x/done.ctl', 'p/a.csv'],
      [['s3://destination/out/done.ctl', ['p/x/done.ctl', 'control file']]],
    ],
    [
      'a data object collides with the manifest',
      { manifest_file_name: 'm.csv' },
      ['p/m.csv.gz'],
      [['s3://destination/out/m.csv.gz', ['p/m.csv.gz', 'manifest']]],
    ],
    [
      'timestamped names collide too',
      { timestamp_files: true },
      ['p/a/r.csv', 'p/b/r.csv'],
      [['s3://destination/out/r.20210901.csv', ['p/a/r.csv', 'p/b/r.csv']]],
    ],
    [
      'names that cannot be planned are left to fail on their own',
      { transfer_type: 'SFT', destination_bucket: undefined, destination_prefix: '/x/' },
      ['p/a/.hidden', 'p/b/.hidden'],
      [],
    ],
  ] as [string, Record<string, unknown>, string[], [string, string[]][]][])(
    '%s',
    (_what, rule, keys, expected) => {
      const resolved = resolvedFrom({ source_prefix: 'p/', ...rule });
      const duplicates = findDuplicateDestinations(planRuleDestinations(resolved, keys));
      expect(duplicates.map((duplicate) => [duplicate.target, duplicate.sources])).toEqual(expected);
    },
  );

  it('describes every duplicate with all its sources', () => {
    expect(
      describeDuplicates([
        { target: 's3://d/out/totals.csv', sources: ['north/totals.csv', 'south/totals.csv'] },
        { target: 'sft:/x/a', sources: ['1/a', '2/a', '3/a'] },
      ]),
    ).toBe(
      '2 destination names would each be written by more than one source, so one would overwrite the other: ' +
        's3://d/out/totals.csv from "north/totals.csv" and "south/totals.csv"; sft:/x/a from "1/a", "2/a" and "3/a"',
    );
  });
});

describe('planRule (what explain shows) agrees with the service on duplicates', () => {
  it('a rule whose listing has two sources for one name sends nothing and fails naming both', () => {
    const plan = planRule(resolvedFrom({ control_file_prefix: 'done.ctl' }), [
      'p/north/totals.csv',
      'p/south/totals.csv',
      'p/other.csv',
      'p/pipeline_success.flag',
    ]);
    expect(plan.outcome).toBe('fails');
    expect(plan.duplicates).toEqual([
      { target: 's3://destination/out/totals.csv', sources: ['p/north/totals.csv', 'p/south/totals.csv'] },
    ]);
    expect(plan.objects.map(({ decision }) => decision.action)).toEqual([
      'withhold',
      'withhold',
      'withhold',
      'skip',
    ]);
    expect(plan.failures).toEqual([expect.stringMatching(/p\/north\/totals\.csv.*p\/south\/totals\.csv/)]);
    expect(plan.controlEntries).toEqual([]);
  });

  it('without duplicates every object is sent, as before', () => {
    const plan = planRule(resolvedFrom(), ['p/a.csv', 'p/b.csv']);
    expect(plan).toMatchObject({ outcome: 'completes', duplicates: [], failures: [] });
    expect(plan.objects.map(({ decision }) => decision.action)).toEqual(['send', 'send']);
  });
});
