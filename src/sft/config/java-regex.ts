/**
 * The original agent is a Java program, so `filenameRegex` and `rename_regex` are
 * `java.util.regex` patterns. The common subset (classes, groups, alternation, `\b`, `{n}`,
 * named groups) means the same in JavaScript; this module translates the few Java-only forms
 * that have an exact JavaScript equivalent and refuses the rest with a message, rather than
 * letting a pattern silently mean something else (without the `u` flag JavaScript reads `\p{L}`
 * as the letters `p{L}`, for instance).
 */

/** A Java pattern compiled for JavaScript. */
export interface JavaRegex {
  /** The pattern as written in the configuration. */
  readonly source: string;
  /** Whole-name test, like Java's `Matcher.matches()` (what a file-name filter uses). */
  readonly fullMatch: RegExp;
  /** Global search, like the pattern Java's `String.replaceAll` scans with. */
  readonly global: RegExp;
  /** Number of capturing groups. */
  readonly groupCount: number;
  /** Names of the named capturing groups. */
  readonly groupNames: readonly string[];
}

const INLINE_FLAGS: Record<string, string> = { i: 'i', s: 's', m: 'm' };

/** Translates Java-only syntax; returns the JavaScript source and flags. Throws on unsupported forms. */
export function translateJavaRegex(source: string): { source: string; flags: string } {
  let flags = '';
  let rest = source;
  // Java allows embedded flags anywhere; JavaScript (Node 20) has none. A leading group applies
  // to the whole pattern, which is exactly what a RegExp flag does.
  const leading = /^\(\?([a-zA-Z]+)\)/.exec(rest);
  if (leading) {
    for (const flag of leading[1]!) {
      const js = INLINE_FLAGS[flag];
      if (!js) throw new Error(`inline flag (?${flag}) is not supported (only i, s and m)`);
      if (!flags.includes(js)) flags += js;
    }
    rest = rest.slice(leading[0].length);
  }

  let out = '';
  let inClass = false;
  for (let i = 0; i < rest.length; i++) {
    const c = rest[i]!;
    if (c === '\\') {
      const next = rest[i + 1];
      if (next === undefined) throw new Error('pattern ends with a lone backslash');
      if (next === 'Q') {
        // \Q…\E quotes literally.
        const end = rest.indexOf('\\E', i + 2);
        const literal = rest.slice(i + 2, end === -1 ? rest.length : end);
        out += literal.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
        i = end === -1 ? rest.length : end + 1;
        continue;
      }
      if (next === 'p' || next === 'P') {
        throw new Error(`\\${next}{…} character classes are not supported`);
      }
      if (!inClass && next === 'A') out += '(?<![\\s\\S])';
      else if (!inClass && next === 'z') out += '(?![\\s\\S])';
      else if (!inClass && next === 'Z') out += '(?=\\n?(?![\\s\\S]))';
      else out += c + next;
      i++;
      continue;
    }
    if (inClass) {
      if (c === '&' && rest[i + 1] === '&')
        throw new Error('character class intersection (&&) is not supported');
      if (c === '[') throw new Error('nested character classes are not supported');
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      // A `]` right after `[` or `[^` is a literal in both dialects; copy it so it does not close.
      if (rest[i + 1] === '^') out += rest[++i];
      if (rest[i + 1] === ']') out += `\\${rest[++i]}`;
      continue;
    }
    if (c === '(' && rest.startsWith('(?>', i)) throw new Error('atomic groups (?>…) are not supported');
    if (c === '(' && /^\(\?[a-zA-Z-]+[):]/.test(rest.slice(i))) {
      throw new Error('embedded flags are only supported at the very start of the pattern');
    }
    if (c === '+' && i > 0 && /[*+?}]/.test(rest[i - 1]!) && rest[i - 2] !== '\\') {
      throw new Error('possessive quantifiers (*+, ++, ?+, {n}+) are not supported');
    }
    out += c;
  }
  if (inClass) throw new Error('unterminated character class');
  return { source: out, flags };
}

/** Compiles a Java pattern. Throws an Error whose message says what is wrong with it. */
export function compileJavaRegex(source: string): JavaRegex {
  const { source: js, flags } = translateJavaRegex(source);
  let probe: RegExp;
  try {
    probe = new RegExp(`${js}|`, flags);
  } catch (error) {
    throw new Error(`invalid regular expression: ${(error as Error).message}`);
  }
  // An alternative that matches the empty string exposes every group in the result.
  const empty = probe.exec('')!;
  return {
    source,
    // Anchors that ignore the m flag, so a leading (?m) cannot make a partial name match.
    fullMatch: new RegExp(`(?<![\\s\\S])(?:${js})(?![\\s\\S])`, flags),
    global: new RegExp(js, `${flags}g`),
    groupCount: empty.length - 1,
    groupNames: Object.keys(empty.groups ?? {}),
  };
}

type ReplacementPart = string | { group: number } | { name: string };

/**
 * Parses a Java replacement string (`TEST_$1`, `${name}`, `\$` for a literal dollar) against a
 * pattern, refusing references to groups it does not have, as Java does at run time.
 */
export function parseJavaReplacement(replacement: string, regex: JavaRegex): ReplacementPart[] {
  const parts: ReplacementPart[] = [];
  let literal = '';
  for (let i = 0; i < replacement.length; i++) {
    const c = replacement[i]!;
    if (c === '\\') {
      if (i + 1 >= replacement.length) throw new Error('replacement ends with a lone backslash');
      literal += replacement[++i];
      continue;
    }
    if (c !== '$') {
      literal += c;
      continue;
    }
    if (literal) parts.push(literal);
    literal = '';
    const next = replacement[i + 1];
    if (next === '{') {
      const end = replacement.indexOf('}', i + 2);
      const name = end === -1 ? '' : replacement.slice(i + 2, end);
      if (!name || !regex.groupNames.includes(name)) {
        throw new Error(`replacement refers to a group named "${name}" that the pattern does not have`);
      }
      parts.push({ name });
      i = end;
      continue;
    }
    if (next === undefined || !/[0-9]/.test(next)) {
      throw new Error(
        'a "$" in the replacement must be followed by a group number or {name} (write \\$ for a dollar)',
      );
    }
    // Java reads as many digits as still form an existing group number ($12 is group 1 then "2"
    // when the pattern has fewer than 12 groups).
    let group = Number(next);
    i++;
    while (i + 1 < replacement.length && /[0-9]/.test(replacement[i + 1]!)) {
      const longer = group * 10 + Number(replacement[i + 1]);
      if (longer > regex.groupCount) break;
      group = longer;
      i++;
    }
    if (group > regex.groupCount) {
      throw new Error(
        `replacement refers to group $${group} but the pattern has ${regex.groupCount} group(s)`,
      );
    }
    parts.push({ group });
  }
  if (literal) parts.push(literal);
  return parts;
}

/** A compiled rename: Java's `name.replaceAll(regex, replacement)`. */
export function javaReplaceAll(input: string, regex: JavaRegex, parts: readonly ReplacementPart[]): string {
  return input.replace(regex.global, (...args: unknown[]) => {
    const last = args[args.length - 1];
    const hasNamed = typeof last === 'object' && last !== null;
    const groups = (hasNamed ? last : {}) as Record<string, string | undefined>;
    const match = args[0] as string;
    const captures = args.slice(1, 1 + regex.groupCount) as (string | undefined)[];
    return parts
      .map((part) => {
        if (typeof part === 'string') return part;
        if ('group' in part) return part.group === 0 ? match : (captures[part.group - 1] ?? '');
        return groups[part.name] ?? '';
      })
      .join('');
  });
}
