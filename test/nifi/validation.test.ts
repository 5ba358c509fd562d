import { describe, expect, it } from 'vitest';
import { metadataFromHeaders } from '../../stubs/nifi/metadata.ts';
import { checkFilename, checkTargetPath, objectKey } from '../../stubs/nifi/validation.ts';

describe('filename header', () => {
  it.each([
    ['db.core.claimant-045-070-000001.20210901.txt.gz.enc'],
    ['TEST_file.txt'],
    ['with space.csv'],
    ['.leading-dot'],
    ['ünïcode.txt'],
  ])('accepts %j', (name) => {
    expect(checkFilename(name)).toEqual({ filename: name });
  });

  // Node hands a header over one byte per character; the SFT agent and curl send UTF-8 bytes.
  const asReceived = (name: string) => Buffer.from(name, 'utf8').toString('latin1');
  it.each([['отчёт.csv'], ['ünïcode.txt'], ['😀 report.csv'], ['д'.repeat(125)]])(
    'reads %j sent as UTF-8 bytes back as that name',
    (name) => {
      expect(checkFilename(asReceived(name))).toEqual({ filename: name });
    },
  );

  it('refuses a C1 control character sent as UTF-8 (U+0085, next line)', () => {
    expect(checkFilename(asReceived('a\u0085b'))).toMatchObject({
      status: 400,
      reason: expect.stringMatching(/control character/),
    });
  });

  it.each([
    [undefined, /missing filename/],
    ['', /missing filename/],
    ['a/b', /single path segment/],
    ['a\\b', /single path segment/],
    ['..', /must not contain "\.\."/],
    ['../etc/passwd', /single path segment/],
    ['a..b', /must not contain "\.\."/],
    ['.', /not a file name/],
    ['tab\there', /control character/],
    ['new\nline', /control character/],
    ['nul\0', /control character/],
    ['del\x7f', /control character/],
    [['a', 'b'], /more than one/],
  ])('refuses %j', (header, reason) => {
    const result = checkFilename(header as string | string[] | undefined);
    expect(result).toMatchObject({ status: 400, reason: expect.stringMatching(reason) });
  });
});

describe('request path → key prefix', () => {
  it.each([
    ['/DA', ['DA']],
    ['/internal/DA/inbound/Test', ['internal', 'DA', 'inbound', 'Test']],
    ['/internal/DA/inbound/Test/', ['internal', 'DA', 'inbound', 'Test']],
    ['//a///b', ['a', 'b']],
    ['/', []],
    ['/with%20space/x?query=1', ['with space', 'x']],
  ])('%s → %j', (url, segments) => {
    expect(checkTargetPath(url)).toEqual({ segments });
  });

  it.each([
    ['/a/../b', /"\." or "\.\." segments/],
    ['/a/./b', /"\." or "\.\." segments/],
    ['/a/%2e%2e/b', /"\." or "\.\." segments/],
    ['/a%2Fb', /encoded \/ or \\/],
    ['/a%5Cb', /encoded \/ or \\/],
    ['/a%09b', /control character/],
    ['/bad%E0%A4%A', /malformed percent-encoding/],
  ])('refuses %s', (url, reason) => {
    expect(checkTargetPath(url)).toMatchObject({ status: 400, reason: expect.stringMatching(reason) });
  });

  it('joins the path and the filename into the key', () => {
    expect(objectKey(['internal', 'DA'], 'f.txt')).toEqual({ key: 'internal/DA/f.txt' });
    expect(objectKey([], 'f.txt')).toEqual({ key: 'f.txt' });
    expect(objectKey(['x'.repeat(1020)], 'f.txt')).toMatchObject({ status: 400 });
  });
});

describe('headers → S3 user metadata', () => {
  it('keeps names and values S3 can carry, hides secrets, drops transport headers', () => {
    const metadata = metadataFromHeaders({
      filename: 'f.txt',
      'content-type': 'application/octet-stream',
      'content-length': '12',
      host: '127.0.0.1:8091',
      connection: 'keep-alive',
      'x-api-key': 'secret-value',
      'user-agent': 'agent/1 ünï',
      'x_odd.name': 'v',
    });
    expect(metadata).toEqual({
      filename: 'f.txt',
      'content-type': 'application/octet-stream',
      'x-api-key': 'present',
      'user-agent': 'agent/1 %C3%BCn%C3%AF',
      'x-odd-name': 'v',
    });
  });

  it('stays within a small budget, keeping filename first', () => {
    const headers: Record<string, string> = { filename: 'keep.txt' };
    for (let i = 0; i < 50; i++) headers[`x-h${i}`] = 'v'.repeat(300);
    const metadata = metadataFromHeaders(headers);
    expect(metadata.filename).toBe('keep.txt');
    const size = Object.entries(metadata).reduce((sum, [k, v]) => sum + k.length + v.length, 0);
    expect(size).toBeLessThanOrEqual(1024);
  });
});
