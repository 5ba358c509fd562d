import { describe, expect, it } from 'vitest';
import {
  controlFileBody,
  controlFileEntry,
  type Destination,
  manifestBody,
  manifestEntry,
  planControlFile,
  planDataObject,
  planManifest,
} from '../../src/egress/plan/destinations.ts';
import {
  basename,
  dataProduct,
  dataProductType,
  isEgressableKey,
  sftDataFileName,
  targetKey,
  timestampedName,
} from '../../src/egress/plan/naming.ts';
import type { ResolvedRule } from '../../src/egress/rules/matching.ts';
import { resolvedFrom, ruleFrom, SPEC_STAMPS } from './support/rules.ts';

describe('basename (Java File.getName)', () => {
  it.each([
    ['a/b/c.csv', 'c.csv'],
    ['c.csv', 'c.csv'],
    ['x/dir/', 'dir'],
    ['a//b', 'b'],
    ['/', ''],
    ['', ''],
    ['/leading/slash.csv', 'slash.csv'],
  ])('%j → %j', (name, expected) => {
    expect(basename(name)).toBe(expected);
  });
});

describe('targetKey (behaviour §3.3 worked examples)', () => {
  it.each([
    // [destination_prefix, name, decrypt, compression, target key]
    [
      'cbol/2021-09-01/',
      'dataegress/cbol-report/2021-09-01/report.csv.enc',
      true,
      undefined,
      'cbol/2021-09-01/report.csv',
    ],
    ['/', 'opsmi/weekly/ops.csv', true, undefined, 'ops.csv'],
    ['', 'opsmi/weekly/ops.csv', false, undefined, 'ops.csv'],
    [
      'ucds/ad_survey/ad_summary_stats',
      'x/ad_summary_stats/part-0000.csv',
      true,
      undefined,
      'ucds/ad_survey/ad_summary_stats/part-0000.csv',
    ],
    ['a//', 'x/y.csv', false, undefined, 'a//y.csv'],
    ['/abs/path', 'x/y.csv', false, undefined, 'abs/path/y.csv'],
    ['out/', 'x/y.csv.enc', false, 'gz', 'out/y.csv.enc.gz'],
    ['out/', 'x/y.csv.enc', true, 'gz', 'out/y.csv.gz'],
    ['out/', 'x/y.csv', false, 'z', 'out/y.csv.z'],
    ['out/', 'x/dir/', false, undefined, 'out/dir'],
    [
      'collections/2021-09-01/incremental/',
      'c/database.collection5-3.20210901.csv.enc',
      true,
      undefined,
      'collections/2021-09-01/incremental/database.collection5-3.20210901.csv',
    ],
    // More edges: .enc only stripped at the very end, only one leading slash removed.
    ['out', 'x/y.enc.csv', true, undefined, 'out/y.enc.csv'],
    ['//twice', 'x/y.csv', false, undefined, '/twice/y.csv'],
  ] as const)(
    'prefix %j, name %j, decrypt %s, compression %s → %j',
    (prefix, name, decrypt, compression, expected) => {
      expect(targetKey(name, { destinationPrefix: prefix, decrypt, compression })).toBe(expected);
    },
  );
});

describe('timestampedName (behaviour §3.4, stamp 20210901)', () => {
  it.each([
    ['directory/filename.ex1', 'directory/filename.20210901.ex1'],
    ['directory/filename.ex1.ex2', 'directory/filename.20210901.ex1.ex2'],
    ['directory/filename1.filename2.ex1.ex2', 'directory/filename1.filename2.20210901.ex1.ex2'],
    ['directory/filename', 'directory/filename.20210901'],
    ['db.core.statement-045-070-000001.txt.gz.enc', 'db.core.statement-045-070-000001.20210901.txt.gz.enc'],
    ['file.json', 'file.json.20210901'],
    ['x/part-0.snappy.parquet', 'x/part-0.snappy.parquet.20210901'],
    // Deliberate fix (§10.16): the stamp goes on the basename; the original produced `a.20210901.b/c.txt`.
    ['a.b/c.txt', 'a.b/c.20210901.txt'],
    ['x/file.', 'x/file..20210901'],
    ['v1.2/data', 'v1.2/data.20210901'],
  ])('%j → %j', (key, expected) => {
    expect(timestampedName(key, '20210901')).toBe(expected);
  });
});

describe('which listed keys are egressed', () => {
  it.each([
    ['a/b.csv', true],
    ['a/pipeline_success.flag', false],
    ['a/db.core.claimant-pipeline_success.flag', false],
    ['a/dir/', false],
    ['a/pipeline_success.flag.bak', true],
  ])('%j → %s', (key, egressed) => {
    expect(isEgressableKey(key)).toBe(egressed);
  });
});

function s3Key(destination: Destination | undefined): string | undefined {
  return destination?.transferType === 'S3' ? destination.key : undefined;
}

function sftName(destination: Destination | undefined): string | undefined {
  return destination?.transferType === 'SFT' ? destination.fileName : undefined;
}

describe('data object destinations', () => {
  it('integration scenario 1: decrypted, timestamped collection files', () => {
    const resolved = resolvedFrom({
      source_prefix: 'collections/$TODAYS_DATE/incremental/database.collection5-',
      destination_prefix: 'collections/$TODAYS_DATE/incremental/',
      decrypt: true,
      timestamp_files: true,
    });
    expect(
      planDataObject(resolved, 'collections/2021-09-01/incremental/database.collection5-3.csv.enc'),
    ).toEqual({
      transferType: 'S3',
      bucket: 'destination',
      key: 'collections/2021-09-01/incremental/database.collection5-3.20210901.csv',
    });
  });

  it.each([
    // [rule overrides, source key, S3 key]
    [{ compress: true, compress_fmt: 'gz' }, 'gz/gz.csv', 'out/gz.csv.gz'],
    [{ compress: true, compress_fmt: 'z' }, 'z/z.csv', 'out/z.csv.z'],
    // Deliberate fix (§10.13): a format without `compress` adds no suffix.
    [{ compress: false, compress_fmt: 'gz' }, 'gz/gz.csv', 'out/gz.csv'],
    [{ compress_fmt: 'bz2' }, 'x/y.csv', 'out/y.csv'],
    [
      { destination_prefix: 'today/$TODAYS_DATE' },
      'today/2021-09-01/today.csv',
      'today/2021-09-01/today.csv',
    ],
    [{ decrypt: false }, 'htme/htme.csv.enc', 'out/htme.csv.enc'],
    [{ decrypt: true }, 'htme/htme.csv.enc', 'out/htme.csv'],
  ])('S3 rule %j, key %j → %j', (overrides, sourceKey, expected) => {
    expect(s3Key(planDataObject(resolvedFrom(overrides), sourceKey))).toBe(expected);
  });

  it.each([
    // SFT data files keep .enc and get no compression suffix, exactly as the original (§3.5).
    [
      { decrypt: true, timestamp_files: true },
      'c/db.core.claimant-045-070-000001.txt.gz.enc',
      'db.core.claimant-045-070-000001.20210901.txt.gz.enc',
    ],
    [{ compress: true, compress_fmt: 'gz' }, 'x/y.csv', 'y.csv'],
    [{}, '/dataworks-data-egress/sft/sft.csv', 'sft.csv'],
  ])('SFT rule %j, key %j → file %j', (overrides, sourceKey, expected) => {
    const resolved = resolvedFrom({
      transfer_type: 'SFT',
      destination_prefix: '/testData/sft',
      ...overrides,
    });
    const destination = planDataObject(resolved, sourceKey);
    expect(sftName(destination)).toBe(expected);
    expect(destination).toMatchObject({ directory: '/testData/sft' });
  });

  it.each([
    ['S3 key with NUL', { destination_prefix: 'out\0/' }, 'x/y.csv', /contains NUL/],
    ['SFT file name with NUL', { transfer_type: 'SFT' }, 'x/y\0.csv', /contains '\/' or NUL/],
    ['SFT file name ..', { transfer_type: 'SFT' }, 'x/..', /not a usable file name/],
  ])('refuses %s', (_name, overrides, sourceKey, message) => {
    expect(() => planDataObject(resolvedFrom(overrides), sourceKey)).toThrow(message);
  });
});

describe('control file (behaviour §6.1)', () => {
  it('names the spec example with yyyyMMdd', () => {
    const resolved = resolvedFrom({
      destination_prefix: 'collections/$TODAYS_DATE/incremental/',
      control_file_prefix: 'database.collection5-$TODAYS_DATE.control',
    });
    expect(s3Key(planControlFile(resolved))).toBe(
      'collections/2021-09-01/incremental/database.collection5-20210901.control',
    );
  });

  it.each([
    [{ control_file_prefix: 'c.control' }, 'out/c.control'],
    [{ control_file_prefix: 'c.control.enc', decrypt: true }, 'out/c.control'],
    [{ control_file_prefix: 'c.control.enc', decrypt: false }, 'out/c.control.enc'],
    // The control file is never compressed, so it never gets a compression suffix (deliberate fix).
    [{ control_file_prefix: 'c.control', compress: true, compress_fmt: 'gz' }, 'out/c.control'],
    [{ control_file_prefix: 'c-$TODAYS_DATE.control' }, 'out/c-20210901.control'],
  ])('S3 %j → %j', (overrides, expected) => {
    expect(s3Key(planControlFile(resolvedFrom(overrides)))).toBe(expected);
  });

  it('is absent when the rule has no control_file_prefix', () => {
    expect(planControlFile(resolvedFrom())).toBeUndefined();
  });

  it('SFT control files go to the rule directory under their basename (RIS rule)', () => {
    const resolved = resolvedFrom({
      transfer_type: 'SFT',
      destination_prefix: '/data-egress/RIS',
      control_file_prefix: 'ris-collection-$TODAYS_DATE.control',
      decrypt: true,
    });
    expect(planControlFile(resolved)).toEqual({
      transferType: 'SFT',
      directory: '/data-egress/RIS',
      fileName: 'ris-collection-20210901.control',
    });
  });

  it('calendar year on 31 December (the original wrote next year)', () => {
    const resolved = resolvedFrom(
      { control_file_prefix: 'c-$TODAYS_DATE.control' },
      new Date('2024-12-31T10:00:00Z'),
    );
    expect(s3Key(planControlFile(resolved))).toBe('out/c-20241231.control');
  });

  it('lists basenames, one per line; length = Σ basename length + entries', () => {
    const destinations: Destination[] = Array.from({ length: 10 }, (_, index) => ({
      transferType: 'S3',
      bucket: 'b',
      key: `destinationPrefix/key-${index}.csv`,
    }));
    const entries = destinations.map(controlFileEntry);
    const body = controlFileBody(entries);
    expect(entries[3]).toBe('key-3.csv');
    expect(body.length).toBe(entries.reduce((sum, entry) => sum + entry.length, 0) + 10);
    expect(body.split('\n')).toHaveLength(11);
    expect(controlFileBody([])).toBe('');
  });
});

describe('manifest (behaviour §6.2)', () => {
  function literalPrefix(overrides: Record<string, unknown>): ResolvedRule {
    // The original's unit-test example (behaviour §6.2) passes a prefix the manifest service does not substitute itself.
    return {
      ...resolvedFrom(overrides),
      destinationPrefix: 'destinationPrefix/$TODAYS_YYYYMMDD_FORMATTED_DATE',
    };
  }

  it.each([
    [{}, 'destinationPrefix/$TODAYS_YYYYMMDD_FORMATTED_DATE/collection.a.b-manifest.csv.gz'],
    [
      { manifest_file_encryption: 'encrypted' },
      'destinationPrefix/$TODAYS_YYYYMMDD_FORMATTED_DATE/collection.a.b-manifest.csv.gz.enc',
    ],
    [
      { manifest_file_encryption: 're-wrapped' },
      'destinationPrefix/$TODAYS_YYYYMMDD_FORMATTED_DATE/collection.a.b-manifest.csv.gz.enc',
    ],
    // Never `.gz.gz` (deliberate fix of §10.13).
    [
      { compress: true, compress_fmt: 'gz' },
      'destinationPrefix/$TODAYS_YYYYMMDD_FORMATTED_DATE/collection.a.b-manifest.csv.gz',
    ],
    [
      { compress: true, compress_fmt: 'z' },
      'destinationPrefix/$TODAYS_YYYYMMDD_FORMATTED_DATE/collection.a.b-manifest.csv.gz',
    ],
  ])('spec example with %j → %j', (overrides, expected) => {
    const resolved = literalPrefix({ manifest_file_name: 'collection.a.b-manifest.csv', ...overrides });
    expect(s3Key(planManifest(resolved))).toBe(expected);
  });

  it('expands all three placeholders in the manifest name', () => {
    const resolved = resolvedFrom({
      manifest_file_name:
        'm-$TODAYS_DATE-$TODAYS_YYYYMMDD_FORMATTED_DATE-$TODAYS_YYYYMMDD_HHMMSS_FORMATTED_DATE.csv',
    });
    expect(s3Key(planManifest(resolved))).toBe('out/m-2021-09-01-20210901-20210901_123456.csv.gz');
  });

  it('SFT manifests go to the rule directory under their basename', () => {
    const resolved = resolvedFrom({
      transfer_type: 'SFT',
      destination_prefix: '/d/',
      manifest_file_name: 'm.csv',
    });
    expect(planManifest(resolved)).toEqual({ transferType: 'SFT', directory: '/d/', fileName: 'm.csv.gz' });
    expect(planManifest(resolvedFrom())).toBeUndefined();
  });

  it('formats lines as "<name>  <size> <yyyy-MM-dd>\\n"', () => {
    expect(manifestBody([{ name: 'out/y.csv', size: 10240 }], SPEC_STAMPS.isoDate)).toBe(
      'out/y.csv  10240 2021-09-01\n',
    );
    expect(manifestBody([], SPEC_STAMPS.isoDate)).toBe('');
  });

  it.each([
    [{ transferType: 'S3', bucket: 'b', key: 'out/y.csv.gz' }, 'out/y.csv.gz'],
    [{ transferType: 'SFT', directory: '/data-egress/sas/', fileName: 'y.csv' }, 'data-egress/sas/y.csv'],
  ] as const)('manifest entry of %j is %j', (destination, expected) => {
    expect(manifestEntry(destination)).toBe(expected);
  });

  it.each([
    ['collections/2021-09-01/incremental/db.core.contract-', 'db.core.contract', 'incremental'],
    ['htme/full/db.core.claimant-', 'db.core.claimant', 'full'],
    ['FULL/x', 'x', 'full'],
    ['opsmi/', '', ''],
    ['plain', 'plain', ''],
  ])('source prefix %j → data_product %j, data_product_type %j', (prefix, product, type) => {
    expect(dataProduct(prefix)).toBe(product);
    expect(dataProductType(prefix)).toBe(type);
  });
});

describe('sftDataFileName', () => {
  it('is the basename of the (timestamped) key', () => {
    expect(sftDataFileName('a/b/c.txt.gz.enc')).toBe('c.txt.gz.enc');
    expect(ruleFrom({ transfer_type: 'sft' }).transferType).toBe('SFT');
  });
});
