import { describe, expect, it } from 'vitest';
import { UnsafeDestinationError } from '../../src/egress/errors.ts';
import { resolveSftLocation } from '../../src/egress/plan/sft-paths.ts';

const ROOT = '/srv/sft-root';

describe('SFT directory resolution (plain join under sftRoot, contracts.md#sft-path-mapping)', () => {
  it.each([
    ['/testData/x', 'f.csv', '/srv/sft-root/testData/x', '/srv/sft-root/testData/x/f.csv'],
    ['/data-egress/sas/', 'f.csv', '/srv/sft-root/data-egress/sas', '/srv/sft-root/data-egress/sas/f.csv'],
    ['data-egress/RIS', 'f.csv', '/srv/sft-root/data-egress/RIS', '/srv/sft-root/data-egress/RIS/f.csv'],
    ['', 'f.csv', '/srv/sft-root', '/srv/sft-root/f.csv'],
    ['/', 'f.csv', '/srv/sft-root', '/srv/sft-root/f.csv'],
    ['//double//slash/', 'f.csv', '/srv/sft-root/double/slash', '/srv/sft-root/double/slash/f.csv'],
    ['/a/./b', 'f..', '/srv/sft-root/a/b', '/srv/sft-root/a/b/f..'],
    ['/ok', `${'д'.repeat(120)}.csv`, '/srv/sft-root/ok', `/srv/sft-root/ok/${'д'.repeat(120)}.csv`],
    ['/ok', 'x'.repeat(255), '/srv/sft-root/ok', `/srv/sft-root/ok/${'x'.repeat(255)}`],
  ])('%j + %j → %j', (directory, fileName, expectedDirectory, expectedFile) => {
    expect(resolveSftLocation(ROOT, directory, fileName)).toEqual({
      directory: expectedDirectory,
      file: expectedFile,
    });
  });

  it.each([
    ['../etc', 'f.csv', /'\.\.' segment/],
    ['/data-egress/../../etc', 'f.csv', /'\.\.' segment/],
    ['/a/../b', 'f.csv', /'\.\.' segment/], // refused even though it would stay inside: never rewritten
    ['..', 'f.csv', /'\.\.' segment/],
    ['/x\0y', 'f.csv', /NUL/],
    ['/ok', '..', /not a usable file name/],
    ['/ok', '.', /not a usable file name/],
    ['/ok', '', /not a usable file name/],
    ['/ok', 'a/b', /contains '\/' or NUL/],
    ['/ok', 'a\0b', /contains '\/' or NUL/],
    // Names the SFT agent ignores: written, they would count as sent and never leave (issue 12).
    ['/ok', '..f', /the SFT agent never sends it: it starts with "\."/],
    ['/ok', '.hidden.csv', /the SFT agent never sends it: it starts with "\."/],
    ['/ok', 'data.tmp', /the SFT agent never sends it: it ends with "\.tmp"/],
    ['/ok', 'data.csv.partial', /the SFT agent never sends it: it ends with "\.partial"/],
    // Names the filename header cannot carry (issue 12): refused here rather than stranded.
    ['/ok', 'tab\there.csv', /the SFT agent never sends it: it contains a control character/],
    ['/ok', 'new\nline.csv', /the SFT agent never sends it: it contains a control character/],
    ['/ok', 'c1\u0085.csv', /the SFT agent never sends it: it contains a control character/],
    // Over 255 bytes of UTF-8 (128 Cyrillic letters are 256 bytes but only 128 UTF-16 units).
    ['/ok', 'д'.repeat(128), /name too long: .* is 256 bytes, the limit is 255/],
    ['/ok', 'x'.repeat(256), /name too long: .* is 256 bytes/],
  ])('refuses directory %j with file %j', (directory, fileName, message) => {
    const attempt = () => resolveSftLocation(ROOT, directory, fileName);
    expect(attempt).toThrow(UnsafeDestinationError);
    expect(attempt).toThrow(message);
  });
});
