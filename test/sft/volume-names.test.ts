import { describe, expect, it } from 'vitest';
import {
  fitName,
  ignoredNameReason,
  MAX_NAME_BYTES,
  temporaryName,
  truncateUtf8,
  utf8Length,
} from '../../src/sft/volume/names.ts';

describe('names the SFT agent ignores (one definition for the agent and the service)', () => {
  it.each([
    ['.hidden', /starts with "\."/],
    ['.file.txt.1234.partial', /starts with "\."/],
    ['file.partial', /ends with "\.partial"/],
    ['file.tmp', /ends with "\.tmp"/],
    ['data.csv.tmp', /ends with "\.tmp"/],
    ['file.txt', undefined],
    ['partial.txt', undefined],
    ['tmp', undefined],
    ['file.TMP', undefined],
    ['a.b.c', undefined],
    ['db.core.claimant-045-070-000001.20210901.txt.gz.enc', undefined],
  ])('%s → %s', (name, reason) => {
    const actual = ignoredNameReason(name);
    if (reason === undefined) expect(actual).toBeUndefined();
    else expect(actual).toMatch(reason);
  });
});

const cyrillic = (characters: number) => 'д'.repeat(characters);
const emoji = (count: number) => '😀'.repeat(count);

describe('truncateUtf8 caps bytes, never cutting a character', () => {
  it.each([
    ['ascii under the cap', 'abc', 5, 'abc'],
    ['ascii at the cap', 'abcde', 5, 'abcde'],
    ['ascii over the cap', 'abcdef', 5, 'abcde'],
    ['Cyrillic (2 bytes each), even cap', cyrillic(10), 6, cyrillic(3)],
    ['Cyrillic, odd cap: the half character is dropped', cyrillic(10), 7, cyrillic(3)],
    ['emoji (4 bytes, a surrogate pair each)', emoji(5), 10, emoji(2)],
    ['emoji, cap below one character', emoji(1), 3, ''],
    ['mixed', `a${cyrillic(2)}${emoji(1)}b`, 6, `a${cyrillic(2)}`],
    ['empty', '', 0, ''],
  ])('%s', (_what, text, maxBytes, expected) => {
    const result = truncateUtf8(text, maxBytes);
    expect(result).toBe(expected);
    expect(utf8Length(result)).toBeLessThanOrEqual(maxBytes);
    // Valid UTF-16: no lone surrogate (it would be written as U+FFFD, another name).
    expect(Buffer.from(result, 'utf8').toString('utf8')).toBe(result);
  });
});

describe('generated names fit in 255 bytes', () => {
  it.each([
    ['short ASCII', 'sft.csv'],
    ['244-byte Cyrillic (a valid name; once failed with ENAMETOOLONG)', `${cyrillic(120)}.csv`],
    ['255-byte ASCII', 'x'.repeat(255)],
    ['emoji', `${emoji(63)}.csv`],
    ['Cyrillic with an odd byte budget', `a${cyrillic(127)}`],
  ])('temporaryName: %s', (_what, name) => {
    const temporary = temporaryName(name, 'abcdef123456');
    expect(utf8Length(temporary)).toBeLessThanOrEqual(MAX_NAME_BYTES);
    expect(temporary).toMatch(/^\..*\.abcdef123456\.partial$/);
    expect(ignoredNameReason(temporary)).toBeDefined();
    expect(name.startsWith(temporary.slice(1, -'.abcdef123456.partial'.length))).toBe(true);
    expect(Buffer.from(temporary, 'utf8').toString('utf8')).toBe(temporary);
  });

  it.each([
    ['fits as it is', 'data.csv', '.error.json', 'data.csv.error.json'],
    ['shortened before the suffix', 'x'.repeat(250), '.error.json', `${'x'.repeat(244)}.error.json`],
    ['Cyrillic shortened by whole characters', cyrillic(127), '.ab', `${cyrillic(126)}.ab`],
  ])('fitName: %s', (_what, name, suffix, expected) => {
    const fitted = fitName(name, suffix);
    expect(utf8Length(fitted)).toBeLessThanOrEqual(MAX_NAME_BYTES);
    expect(fitted).toBe(expected);
  });

  it('refuses a suffix that leaves no room', () => {
    expect(() => fitName('x', 'y'.repeat(255))).toThrow(/no room for a name within 255 bytes/);
  });
});
