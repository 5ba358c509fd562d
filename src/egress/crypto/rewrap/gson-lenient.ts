/**
 * Reads a JSON object the way the original service did: Gson 2.8 `fromJson(text, SomeClass)` with a
 * lenient reader (`GsonBuilder().setLenient()`, behaviour §4.5). The re-wrap key parameter is parsed
 * this way, so an operator's hand-written value that the original accepted must be accepted here.
 *
 * What Gson's lenient mode accepts beyond JSON, and what this reader therefore accepts:
 *
 * - comments: `// …` and `# …` to the end of the line, `/* … *\/` (not nested);
 * - the non-execute prefix `)]}'` + newline at the very start;
 * - names and strings in single quotes, or unquoted (an unquoted literal ends at whitespace or one
 *   of `{ } [ ] : , ; = # / \`);
 * - `=` or `=>` between a name and its value; `;` between members or array elements;
 * - keywords `true` / `false` / `null` in any letter case; NaN and Infinity as unquoted literals;
 * - control characters (even newlines) inside quoted strings; the escape `\'` and an escaped newline;
 * - in arrays, a missing element (`[1,,2]`) stands for null.
 *
 * What it refuses, like Gson: trailing commas in objects, a second top-level value or anything
 * else after the object, unknown escapes, and a top-level value that is not an object.
 *
 * Duplicate names: the later wins (Gson's reflective adapter assigns the field again).
 */

/** A member's value, as much as a Gson `String` field sees of it. */
export type LenientValue =
  /** A quoted string, or the text of an unquoted literal, number or `true`/`false`. */
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'null' }
  /** An object or array (a `String` field cannot take it). */
  | { readonly kind: 'structure'; readonly type: 'object' | 'array' };

/** Text Gson would refuse; `position` is the 0-based offset of the problem. */
export class LenientJsonError extends Error {
  override readonly name = 'LenientJsonError';
  constructor(
    readonly problem: string,
    readonly position: number,
  ) {
    super(`${problem} at offset ${position}`);
  }
}

const NON_EXECUTE_PREFIX = ")]}'\n";
/** Characters that end an unquoted literal (Gson's `isLiteral` returns false for these). */
const LITERAL_END = new Set([
  '{',
  '}',
  '[',
  ']',
  ':',
  ',',
  ' ',
  '\t',
  '\f',
  '\r',
  '\n',
  ';',
  '=',
  '#',
  '/',
  '\\',
]);
const ESCAPES: Record<string, string> = {
  '"': '"',
  "'": "'",
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  '\n': '\n',
};

class Reader {
  pos = 0;
  constructor(private readonly text: string) {}

  fail(problem: string, at = this.pos): never {
    throw new LenientJsonError(problem, at);
  }

  /** The next character that is not whitespace or inside a comment, consumed; `undefined` at the end. */
  nextNonWhitespace(): string | undefined {
    const text = this.text;
    while (this.pos < text.length) {
      const c = text[this.pos++]!;
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') continue;
      if (c === '#') {
        this.skipToEndOfLine();
        continue;
      }
      if (c === '/' && text[this.pos] === '/') {
        this.skipToEndOfLine();
        continue;
      }
      if (c === '/' && text[this.pos] === '*') {
        const end = text.indexOf('*/', this.pos + 1);
        if (end < 0) this.fail('unterminated comment');
        this.pos = end + 2;
        continue;
      }
      return c;
    }
    return undefined;
  }

  private skipToEndOfLine(): void {
    const end = this.text.indexOf('\n', this.pos);
    this.pos = end < 0 ? this.text.length : end + 1;
  }

  quoted(quote: string): string {
    let out = '';
    const text = this.text;
    while (this.pos < text.length) {
      const c = text[this.pos++]!;
      if (c === quote) return out;
      if (c !== '\\') {
        out += c;
        continue;
      }
      const escaped = text[this.pos++];
      if (escaped === undefined) this.fail('unterminated escape sequence');
      if (escaped === 'u') {
        const hex = text.slice(this.pos, this.pos + 4);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail(`invalid \\u escape "\\u${hex}"`, this.pos - 2);
        out += String.fromCharCode(Number.parseInt(hex, 16));
        this.pos += 4;
        continue;
      }
      const decoded = ESCAPES[escaped];
      if (decoded === undefined) this.fail(`invalid escape sequence "\\${escaped}"`, this.pos - 2);
      out += decoded;
    }
    return this.fail('unterminated string');
  }

  unquoted(): string {
    const start = this.pos;
    while (this.pos < this.text.length && !LITERAL_END.has(this.text[this.pos]!)) this.pos++;
    if (this.pos === start) this.fail('expected a value');
    return this.text.slice(start, this.pos);
  }

  name(first: string): string {
    if (first === '"' || first === "'") return this.quoted(first);
    this.pos--;
    return this.unquoted();
  }

  value(): LenientValue {
    const c = this.nextNonWhitespace();
    if (c === undefined) return this.fail('expected a value, found the end');
    return this.valueStartingWith(c);
  }

  valueStartingWith(c: string): LenientValue {
    if (c === '"' || c === "'") return { kind: 'text', text: this.quoted(c) };
    if (c === '{') {
      this.object();
      return { kind: 'structure', type: 'object' };
    }
    if (c === '[') {
      this.array();
      return { kind: 'structure', type: 'array' };
    }
    if (c === '}' || c === ']' || c === ',' || c === ';' || c === ':' || c === '=') {
      this.fail(`unexpected "${c}"`, this.pos - 1);
    }
    this.pos--;
    const literal = this.unquoted();
    // Gson reads `null` (in any letter case) as null; `true`/`false` and numbers keep their text.
    return literal.toLowerCase() === 'null' ? { kind: 'null' } : { kind: 'text', text: literal };
  }

  /** After `{`: the members, last one of a name winning. */
  object(): Map<string, LenientValue> {
    const members = new Map<string, LenientValue>();
    let c = this.nextNonWhitespace();
    if (c === '}') return members;
    for (;;) {
      if (c === undefined) this.fail('unterminated object');
      if (c === '}') this.fail('expected a name after the separator', this.pos - 1);
      const name = this.name(c);
      const separator = this.nextNonWhitespace();
      if (separator === '=') {
        if (this.text[this.pos] === '>') this.pos++;
      } else if (separator !== ':') {
        this.fail(`expected ':' after the name "${name}"`, this.pos - 1);
      }
      members.set(name, this.value());
      c = this.nextNonWhitespace();
      if (c === '}') return members;
      if (c !== ',' && c !== ';') this.fail('unterminated object', this.pos - 1);
      c = this.nextNonWhitespace();
    }
  }

  /** After `[`: elements; an empty slot between separators is a null element. */
  array(): void {
    let c = this.nextNonWhitespace();
    if (c === ']') return;
    for (;;) {
      if (c === undefined) this.fail('unterminated array');
      if (c === ',' || c === ';') {
        // A missing element: null (Gson's "unnecessary array separators").
        c = this.nextNonWhitespace();
        if (c === ']') return;
        continue;
      }
      this.valueStartingWith(c);
      c = this.nextNonWhitespace();
      if (c === ']') return;
      if (c !== ',' && c !== ';') this.fail('unterminated array', this.pos - 1);
      c = this.nextNonWhitespace();
      if (c === ']') return;
    }
  }
}

/**
 * The members of the JSON object in `text`, read as Gson's lenient reader reads them.
 *
 * @returns `undefined` when the text holds no value at all (Gson returns null then)
 * @throws LenientJsonError where Gson would throw, naming the problem and the offset
 */
export function readLenientObject(text: string): Map<string, LenientValue> | undefined {
  const reader = new Reader(text);
  // The prefix is only recognised at the start, after whitespace.
  const start = text.length - text.trimStart().length;
  if (text.startsWith(NON_EXECUTE_PREFIX, start)) reader.pos = start + NON_EXECUTE_PREFIX.length;
  const first = reader.nextNonWhitespace();
  if (first === undefined) return undefined;
  if (first !== '{') {
    const value = reader.valueStartingWith(first);
    const found =
      value.kind === 'structure' ? `an ${value.type}` : value.kind === 'null' ? 'null' : 'a value';
    if (value.kind === 'null' && reader.nextNonWhitespace() === undefined) return undefined;
    reader.fail(`expected an object, found ${found}`, start);
  }
  const members = reader.object();
  if (reader.nextNonWhitespace() !== undefined)
    reader.fail('the object is followed by more text', reader.pos - 1);
  return members;
}
