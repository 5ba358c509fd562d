import { describe, expect, it } from 'vitest';
import { compileJavaRegex, javaReplaceAll, parseJavaReplacement } from '../../src/sft/config/java-regex.ts';

/** The subset route's filenameRegex, exactly as in the original's agent-application-config.yml. */
const SUBSET =
  '^db[.](core[.]\\b(statement|claimant|contract)\\b|accepted-data[.]\\b(address|childrenCircumstances|personDetails)\\b|crypto[.]\\b(encryptedData-unencrypted))(-[0-9]{3}-[0-9]{3}-[0-9]{6}[.][0-9]{8}[.]txt[.]gz[.]enc)$';

describe('filenameRegex (Java syntax, whole-name match)', () => {
  const subset = compileJavaRegex(SUBSET);

  it.each([
    ['db.core.claimant-045-070-000001.20210901.txt.gz.enc', true],
    ['db.core.statement-000-000-000000.20210901.txt.gz.enc', true],
    ['db.core.contract-001-002-000003.20221231.txt.gz.enc', true],
    ['db.accepted-data.address-045-070-000001.20210901.txt.gz.enc', true],
    ['db.accepted-data.childrenCircumstances-045-070-000001.20210901.txt.gz.enc', true],
    ['db.accepted-data.personDetails-045-070-000001.20210901.txt.gz.enc', true],
    ['db.crypto.encryptedData-unencrypted-045-070-000001.20210901.txt.gz.enc', true],
    ['db.core.claimant-20210901.control', false],
    ['db.core.claimantX-045-070-000001.20210901.txt.gz.enc', false],
    ['db.core.toDo-045-070-000001.20210901.txt.gz.enc', false],
    ['db.core.claimant-045-070-000001.20210901.txt.gz', false],
    ['xdb.core.claimant-045-070-000001.20210901.txt.gz.enc', false],
    ['db.core.claimant-045-070-000001.20210901.txt.gz.enc.bak', false],
  ])('%s → %s', (name, expected) => {
    expect(subset.fullMatch.test(name)).toBe(expected);
  });

  it.each([
    ['.*', 'anything.txt', true],
    ['^.*$', 'anything.txt', true],
    ['abc', 'xabcx', false], // matches() is whole-name, unlike find()
    ['abc', 'abc', true],
    ['(?i)ABC', 'abc', true],
    ['\\Aabc\\z', 'abc', true],
    ['\\Qa.b\\E', 'a.b', true],
    ['\\Qa.b\\E', 'axb', false],
    ['[]a]+', ']a]', true],
    ['(?m)^a$', 'a\nb', false], // (?m) cannot turn a whole-name match into a line match
  ])('%s on %j → %s', (pattern, name, expected) => {
    expect(compileJavaRegex(pattern).fullMatch.test(name)).toBe(expected);
  });

  it.each([
    ['a*+', /possessive/],
    ['(?>a)', /atomic/],
    ['\\p{Alpha}', /not supported/],
    ['a(?i)b', /only supported at the very start/],
    ['[a&&b]', /intersection/],
    ['(unclosed', /invalid regular expression/],
    ['[abc', /unterminated/],
  ])('refuses %s', (pattern, message) => {
    expect(() => compileJavaRegex(pattern)).toThrow(message);
  });

  it('counts groups, including named ones', () => {
    expect(compileJavaRegex(SUBSET).groupCount).toBe(5);
    expect(compileJavaRegex('(?<stem>.+)[.](?<ext>[a-z]+)').groupNames).toEqual(['stem', 'ext']);
  });
});

describe('rename rules (Java String.replaceAll)', () => {
  const rename = (pattern: string, replacement: string, name: string) => {
    const regex = compileJavaRegex(pattern);
    return javaReplaceAll(name, regex, parseJavaReplacement(replacement, regex));
  };

  it.each([
    ['(.+)', 'TEST_$1', 'file.txt', 'TEST_file.txt'],
    ['(.+)', 'TEST_$1', 'db.core.claimant-20210901.control', 'TEST_db.core.claimant-20210901.control'],
    ['^(.*)\\.enc$', '$1', 'a.txt.gz.enc', 'a.txt.gz'],
    ['(\\w+)-(\\d+)', '$2-$1', 'abc-123.txt', '123-abc.txt'],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Java's named-group reference, not a template
    ['(?<stem>.+)[.](?<ext>[a-z]+)', '${ext}.${stem}', 'name.csv', 'csv.name'],
    ['x', 'y', 'axbxc', 'aybyc'], // every occurrence, like replaceAll
    ['(a)', '$12', 'a', 'a2'], // $12 with one group is $1 then "2", as in Java
    ['(.+)', 'cost \\$5 $1', 'n', 'cost $5 n'],
    ['nomatch', 'X', 'name', 'name'],
    ['(a)|(b)', '[$2]', 'ab', '[][b]'], // an unmatched group is empty
  ])('%s → %s on %s gives %s', (pattern, replacement, name, expected) => {
    expect(rename(pattern, replacement, name)).toBe(expected);
  });

  it.each([
    ['(.+)', 'TEST_$2', /group \$2 but the pattern has 1/],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Java's named-group reference, not a template
    ['(.+)', '${nope}', /group named "nope"/],
    ['(.+)', 'cost $', /must be followed by a group number/],
    ['(.+)', 'trailing\\', /lone backslash/],
  ])('refuses replacement %s / %s', (pattern, replacement, message) => {
    expect(() => parseJavaReplacement(replacement, compileJavaRegex(pattern))).toThrow(message);
  });
});
