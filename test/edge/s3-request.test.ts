import { describe, expect, it } from 'vitest';
import { hasDotSegment, InvalidS3RequestError, parseS3Request } from '../../src/edge/s3-request.ts';

/*
 * Issue 12, item 5: S3 takes keys literally. The edge parses bucket and key from the raw request
 * path — split once after the bucket, percent-decoded once, never normalised — so that the key the
 * notifier announces is the key the emulator stores.
 */

describe('parseS3Request: keys literally from the raw path', () => {
  it.each([
    ['/bkt/a/./one.flag', 'bkt', 'a/./one.flag'],
    ['/bkt/a/../two.flag', 'bkt', 'a/../two.flag'],
    ['/destination/../source/p/pipeline_success.flag', 'destination', '../source/p/pipeline_success.flag'],
    ['/bkt/..', 'bkt', '..'],
    ['/bkt/.', 'bkt', '.'],
    ['/bkt/a/..', 'bkt', 'a/..'],
    ['/bkt/a/%2E%2E/b', 'bkt', 'a/../b'],
    ['/bkt/a/%2e/b', 'bkt', 'a/./b'],
    ['/bkt/x%2Fy', 'bkt', 'x/y'],
    ['/bkt//lead', 'bkt', '/lead'],
    ['/bkt/a//b', 'bkt', 'a//b'],
    ['/bkt/a/b/', 'bkt', 'a/b/'],
    ['/bkt/a\\b', 'bkt', 'a\\b'],
    ['/bkt/plus+sign', 'bkt', 'plus+sign'],
    ['/bkt/dir%20with%20space/%C3%BC', 'bkt', 'dir with space/ü'],
    ['/bkt/h%23x', 'bkt', 'h#x'],
    ['/bkt/q%3Fx?uploadId=1', 'bkt', 'q?x'],
    ['/bkt/pct%2525', 'bkt', 'pct%25'],
    ['/bkt/tab%09x', 'bkt', 'tab\tx'],
    ['/bkt/s;emi', 'bkt', 's;emi'],
  ])('%s → bucket %s, key %j', (target, bucket, key) => {
    expect(parseS3Request(target)).toMatchObject({ bucket, key });
  });

  it.each([
    ['/bkt', 'bkt'],
    ['/bkt/', 'bkt'],
    ['/bkt?list-type=2', 'bkt'],
    ['/bkt/?delete', 'bkt'],
  ])('%s is a bucket-level request of %s', (target, bucket) => {
    const info = parseS3Request(target)!;
    expect(info.bucket).toBe(bucket);
    expect(info.key).toBeUndefined();
  });

  it.each(['/', '//key', '/?x=1'])('%s names no bucket', (target) => {
    expect(parseS3Request(target)).toBeUndefined();
  });

  it('reads the query after the first "?" only, decoded once', () => {
    const info = parseS3Request('/bkt/k?list-type=2&prefix=a%2F..%2Fb&x=1?y')!;
    expect(info.key).toBe('k');
    expect(info.query.get('prefix')).toBe('a/../b');
    expect(info.query.get('x')).toBe('1?y');
  });

  it.each([
    ['/bkt/%zz', 'InvalidURI', /percent-encoding/],
    ['/bkt/%FF', 'InvalidURI', /percent-encoding/],
    ['/bkt/%', 'InvalidURI', /percent-encoding/],
    ['/%zz/key', 'InvalidURI', /percent-encoding/],
    ['/bkt/h#frag', 'InvalidURI', /#/],
    ['http://evil.example/bkt/key', 'InvalidURI', /not a path/],
    ['*', 'InvalidURI', /not a path/],
    ['/../source/key', 'InvalidBucketName', /not a bucket name/],
    ['/./key', 'InvalidBucketName', /not a bucket name/],
    ['/%2E%2E/key', 'InvalidBucketName', /not a bucket name/],
  ])('%s is refused with %s', (target, code, message) => {
    let thrown: unknown;
    try {
      parseS3Request(target);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidS3RequestError);
    expect(thrown).toMatchObject({ code, target, message: expect.stringMatching(message) });
  });
});

describe('hasDotSegment', () => {
  it.each([
    ['a/./b', true],
    ['a/../b', true],
    ['..', true],
    ['.', true],
    ['../x', true],
    ['x/..', true],
    ['a.b/c', false],
    ['...', false],
    ['.hidden/x', false],
    ['a/b..', false],
    ['', false],
  ])('%j → %s', (key, expected) => {
    expect(hasDotSegment(key)).toBe(expected);
  });
});
