import { describe, expect, it } from 'vitest';
import { describeError } from '../../src/cli/errors.ts';

describe('describeError', () => {
  const root = new Error('Unexpected end of JSON input');
  it.each([
    ['a plain error', new Error('boom'), 'boom'],
    [
      'a cause the message does not quote',
      new Error('cannot load', { cause: new Error('ECONNREFUSED') }),
      'cannot load: ECONNREFUSED',
    ],
    [
      'a cause the message quotes already',
      new Error(`cannot read x.json: ${root.message}`, { cause: root }),
      'cannot read x.json: Unexpected end of JSON input',
    ],
    ['a chain of causes', new Error('a', { cause: new Error('b', { cause: new Error('c') }) }), 'a: b: c'],
    ['a thrown string', 'just text', 'just text'],
  ])('%s', (_case, error, text) => {
    expect(describeError(error, false)).toBe(text);
  });

  it.each([
    ['an error: its stack', new Error('boom', { cause: new Error('inner') }), /^Error: boom\n\s+at /],
    ['a thrown string: the string', 'just text', /^just text$/],
  ])('in debug mode shows %s', (_case, error, pattern) => {
    expect(describeError(error, true)).toMatch(pattern);
  });
});
