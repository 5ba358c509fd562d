import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseS3Request } from '../../src/edge/s3-request.ts';
import { BlobStore, BlobStoreDirectoryError } from '../../src/edge/s3-storage/blob-store.ts';
import { compareKeys, multipartEtag, ObjectCatalog } from '../../src/edge/s3-storage/object-catalog.ts';
import { copySourceRange, parseCopySource } from '../../src/edge/s3-storage/object-requests.ts';
import { resolveRange, sliceSegments } from '../../src/edge/s3-storage/range.ts';
import { silentLogger } from '../../src/logging/logger.ts';

describe('resolveRange (GetObject Range, as S3 reads it)', () => {
  it.each([
    ['no header', undefined, 100, 'whole'],
    ['first bytes', 'bytes=0-9', 100, { start: 0, end: 9 }],
    ['middle', 'bytes=10-19', 100, { start: 10, end: 19 }],
    ['end past the object is clamped', 'bytes=90-200', 100, { start: 90, end: 99 }],
    ['open end', 'bytes=95-', 100, { start: 95, end: 99 }],
    ['suffix', 'bytes=-10', 100, { start: 90, end: 99 }],
    ['suffix longer than the object is all of it', 'bytes=-500', 100, { start: 0, end: 99 }],
    ['last byte', 'bytes=99-99', 100, { start: 99, end: 99 }],
    ['start at the end', 'bytes=100-', 100, 'unsatisfiable'],
    ['start past the end', 'bytes=150-160', 100, 'unsatisfiable'],
    ['suffix of zero', 'bytes=-0', 100, 'unsatisfiable'],
    ['any range of an empty object', 'bytes=0-1', 0, 'unsatisfiable'],
    ['reversed range is ignored', 'bytes=20-10', 100, 'whole'],
    ['several ranges are ignored', 'bytes=0-1,5-6', 100, 'whole'],
    ['another unit is ignored', 'items=0-1', 100, 'whole'],
    ['garbage is ignored', 'bytes=abc', 100, 'whole'],
    ['empty bounds are ignored', 'bytes=-', 100, 'whole'],
  ])('%s: %s of %i bytes', (_name, header, size, expected) => {
    expect(resolveRange(header, size)).toEqual(expected);
  });
});

describe('sliceSegments (a range over an object made of parts)', () => {
  it.each([
    ['inside the first', [10, 10, 10], { start: 2, end: 5 }, [{ index: 0, start: 2, end: 5 }]],
    [
      'across a boundary',
      [10, 10, 10],
      { start: 8, end: 12 },
      [
        { index: 0, start: 8, end: 9 },
        { index: 1, start: 0, end: 2 },
      ],
    ],
    [
      'all of it',
      [10, 10, 5],
      { start: 0, end: 24 },
      [
        { index: 0, start: 0, end: 9 },
        { index: 1, start: 0, end: 9 },
        { index: 2, start: 0, end: 4 },
      ],
    ],
    ['exactly the second', [10, 10, 10], { start: 10, end: 19 }, [{ index: 1, start: 0, end: 9 }]],
    ['last byte', [10, 10, 10], { start: 29, end: 29 }, [{ index: 2, start: 9, end: 9 }]],
    [
      'empty segments are skipped',
      [0, 4, 0, 4],
      { start: 3, end: 4 },
      [
        { index: 1, start: 3, end: 3 },
        { index: 3, start: 0, end: 0 },
      ],
    ],
  ])('%s', (_name, sizes, range, expected) => {
    expect(sliceSegments(sizes, range)).toEqual(expected);
  });
});

describe('copy source and copy range headers', () => {
  it.each([
    ['bucket/key', { bucket: 'bucket', key: 'key' }],
    ['/bucket/dir/key.csv', { bucket: 'bucket', key: 'dir/key.csv' }],
    ['bucket/dir%20with%20space/%C3%BC%3F.csv', { bucket: 'bucket', key: 'dir with space/ü?.csv' }],
    ['bucket/key?versionId=abc', { bucket: 'bucket', key: 'key' }],
    ['bucket//leading', { bucket: 'bucket', key: '/leading' }],
  ])('%s', (value, expected) => {
    expect(parseCopySource(value)).toEqual(expected);
  });
  it.each(['bucket', 'bucket/', '/key-only', '%E0%A4%A'])('refuses %s', (value) => {
    expect(() => parseCopySource(value)).toThrow(expect.objectContaining({ code: 'InvalidArgument' }));
  });
  it.each([
    [undefined, 100, { start: 0, end: 99 }],
    ['bytes=0-9', 100, { start: 0, end: 9 }],
    ['bytes=90-99', 100, { start: 90, end: 99 }],
  ])('range %s of %i bytes', (value, size, expected) => {
    expect(copySourceRange(value, size)).toEqual(expected);
  });
  it.each(['bytes=0-100', 'bytes=5-1', 'bytes=-5', 'bytes=1-'])('refuses range %s', (value) => {
    expect(() => copySourceRange(value, 100)).toThrow(expect.objectContaining({ code: 'InvalidArgument' }));
  });
});

describe('key order and multipart ETags', () => {
  it('orders keys by UTF-8 bytes, as S3 lists them', () => {
    const keys = ['b', 'B', 'a', 'A', 'é', 'z', '\u{1F600}', '\uFF5E', 'a/b', 'a-b'];
    expect([...keys].sort(compareKeys)).toEqual([
      'A',
      'B',
      'a',
      'a-b',
      'a/b',
      'b',
      'z',
      'é',
      '\uFF5E',
      '\u{1F600}',
    ]);
  });
  it('computes the multipart ETag from the parts’ MD5s', () => {
    const parts = ['one', 'two', 'three'].map((text) => createHash('md5').update(text).digest('hex'));
    const expected = createHash('md5')
      .update(Buffer.concat(parts.map((md5) => Buffer.from(md5, 'hex'))))
      .digest('hex');
    expect(multipartEtag(parts)).toBe(`"${expected}-3"`);
  });
});

describe('BlobStore and ObjectCatalog', () => {
  let directory: string;
  beforeEach(async () => {
    directory = await mkdtemp(path.join(os.tmpdir(), 's3-storage-unit-'));
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  const open = (options: { inlineMaxBytes?: number; inlineTotalMaxBytes?: number } = {}) =>
    BlobStore.open({ directory: path.join(directory, 'store'), logger: silentLogger(), ...options });
  const files = async () => readdir(path.join(directory, 'store', 'blobs'));

  it('keeps small bodies in memory and spills large ones to a file, streaming', async () => {
    const store = await open({ inlineMaxBytes: 1024 });
    const small = await store.write(Readable.from([Buffer.from('tiny')]));
    const large = await store.write(
      Readable.from(Array.from({ length: 40 }, () => Buffer.alloc(64 * 1024, 7))),
    );
    expect(small.bytes?.toString()).toBe('tiny');
    expect(large.bytes).toBeUndefined();
    expect(large.size).toBe(40 * 64 * 1024);
    expect(large.md5).toBe(
      createHash('md5')
        .update(Buffer.alloc(40 * 64 * 1024, 7))
        .digest('hex'),
    );
    expect(store.stats()).toEqual({ memoryBytes: 4, memoryBlobs: 1, fileBytes: 40 * 64 * 1024, files: 1 });
    expect(await files()).toHaveLength(1);
    store.release(large);
    store.release(small);
    await store.settle();
    expect(await files()).toHaveLength(0);
    expect(store.stats()).toEqual({ memoryBytes: 0, memoryBlobs: 0, fileBytes: 0, files: 0 });
  });

  it('caps the memory all small bodies take together (the rest go to files)', async () => {
    const store = await open({ inlineMaxBytes: 100 * 1024, inlineTotalMaxBytes: 1024 * 1024 });
    for (let i = 0; i < 100; i++) await store.write(Readable.from([Buffer.alloc(100 * 1024, i)]));
    const stats = store.stats();
    expect(stats.memoryBytes).toBeLessThanOrEqual(1024 * 1024);
    expect(stats.memoryBlobs + stats.files).toBe(100);
    expect(stats.files).toBeGreaterThanOrEqual(89);
  });

  it('removes the partial file when the source fails mid-body', async () => {
    const store = await open({ inlineMaxBytes: 0 });
    const failing = Readable.from(
      (async function* () {
        yield Buffer.alloc(3 * 1024 * 1024);
        throw new Error('client hung up');
      })(),
    );
    await expect(store.write(failing)).rejects.toThrow('client hung up');
    expect(await files()).toHaveLength(0);
    expect(store.stats().files).toBe(0);
  });

  it('refuses a directory it did not create, and cleans one it did', async () => {
    const foreign = path.join(directory, 'foreign');
    await BlobStore.open({ directory: foreign, logger: silentLogger() }).then((s) => s.destroy());
    await writeFile(path.join(directory, 'someone-elses.txt'), 'keep me');
    await expect(BlobStore.open({ directory, logger: silentLogger() })).rejects.toBeInstanceOf(
      BlobStoreDirectoryError,
    );
    const first = await open({ inlineMaxBytes: 0 });
    await first.write(Readable.from([Buffer.from('left behind by a killed run')]));
    expect(await files()).toHaveLength(1);
    await open();
    expect(await files()).toHaveLength(0);
  });

  it('keeps bodies private (directories 0700, files 0600) whatever the umask and earlier modes', async () => {
    const store = path.join(directory, 'store');
    await mkdir(store, { mode: 0o755 });
    await chmod(store, 0o755);
    const previousUmask = process.umask(0);
    try {
      const blobs = await open({ inlineMaxBytes: 0 });
      await blobs.write(Readable.from([Buffer.from('a decrypted delivery')]));
      const mode = async (entry: string) => (await stat(entry)).mode & 0o777;
      expect(await mode(store)).toBe(0o700);
      expect(await mode(path.join(store, 'blobs'))).toBe(0o700);
      const [body] = await files();
      expect(await mode(path.join(store, 'blobs', body!))).toBe(0o600);
    } finally {
      process.umask(previousUmask);
    }
  });

  it('validates its limits at construction, naming them', async () => {
    await expect(open({ inlineMaxBytes: -1 })).rejects.toThrow(/inlineMaxBytes must be an integer from 0/);
    await expect(open({ inlineTotalMaxBytes: 1.5 })).rejects.toThrow(/inlineTotalMaxBytes/);
  });

  it('lists in S3 order with prefixes, delimiters, markers and max-keys', async () => {
    const catalog = new ObjectCatalog(await open());
    catalog.createBucket('b');
    for (const key of ['b/2', 'a/1', 'A', 'a/2', 'c', 'a/sub/3', 'b/1']) {
      catalog.putObject('b', key, Buffer.from(key));
    }
    const keys = (result: ReturnType<ObjectCatalog['listObjects']>) => ({
      keys: result.objects.map((o) => o.key),
      prefixes: result.commonPrefixes,
      truncated: result.isTruncated,
    });
    expect(keys(catalog.listObjects('b'))).toEqual({
      keys: ['A', 'a/1', 'a/2', 'a/sub/3', 'b/1', 'b/2', 'c'],
      prefixes: [],
      truncated: false,
    });
    expect(keys(catalog.listObjects('b', { delimiter: '/' }))).toEqual({
      keys: ['A', 'c'],
      prefixes: ['a/', 'b/'],
      truncated: false,
    });
    expect(keys(catalog.listObjects('b', { prefix: 'a/', delimiter: '/' }))).toEqual({
      keys: ['a/1', 'a/2'],
      prefixes: ['a/sub/'],
      truncated: false,
    });
    expect(keys(catalog.listObjects('b', { maxKeys: 2 }))).toEqual({
      keys: ['A', 'a/1'],
      prefixes: [],
      truncated: true,
    });
    expect(keys(catalog.listObjects('b', { startAfter: 'a/1', maxKeys: 2 }))).toEqual({
      keys: ['a/2', 'a/sub/3'],
      prefixes: [],
      truncated: true,
    });
    expect(keys(catalog.listObjects('b', { delimiter: '/', startAfter: 'a/' }))).toEqual({
      keys: ['c'],
      prefixes: ['b/'],
      truncated: false,
    });
    catalog.deleteObject('b', 'a/2');
    expect(keys(catalog.listObjects('b', { prefix: 'a/' })).keys).toEqual(['a/1', 'a/sub/3']);
  });
});

describe('parseS3Request keeps keys exactly as sent (no URL path normalisation)', () => {
  it.each([
    ['/b/x/..', 'b', 'x/..'],
    ['/b/corpus/r1/bad/..', 'b', 'corpus/r1/bad/..'],
    ['/b/a/./b', 'b', 'a/./b'],
    ['/b/..', 'b', '..'],
    ['/b/../x', 'b', '../x'],
    ['/b/a%5Cb', 'b', 'a\\b'],
    ['/b//lead?uploadId=1&partNumber=2', 'b', '/lead'],
  ])('%s', (url, bucket, key) => {
    expect(parseS3Request(url)).toMatchObject({ bucket, key });
  });
  it('reads the query', () => {
    expect(parseS3Request('/b/k?uploadId=u%2B1&partNumber=2')?.query.get('uploadId')).toBe('u+1');
  });
});
