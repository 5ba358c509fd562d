import { describe, expect, it } from 'vitest';
import { describeError } from '../../src/cli/errors.ts';

// The cause-chain text itself is describeFailure's, tabled in test/util/describe-failure.test.ts.
describe('describeError', () => {
  const root = new Error('Unexpected end of JSON input');
  it.each([
    ['a cause chain', new Error('a', { cause: new Error('b', { cause: new Error('c') }) }), 'a: b: c'],
    [
      'a cause the message quotes already',
      new Error(`cannot read x.json: ${root.message}`, { cause: root }),
      'cannot read x.json: Unexpected end of JSON input',
    ],
    ['a thrown string', 'just text', 'just text'],
  ])('outside debug mode shows the failure text: %s', (_case, error, text) => {
    expect(describeError(error, false)).toBe(text);
  });

  it.each([
    ['an error: its stack', new Error('boom', { cause: new Error('inner') }), /^Error: boom\n\s+at /],
    ['a thrown string: the string', 'just text', /^just text$/],
  ])('in debug mode shows %s', (_case, error, pattern) => {
    expect(describeError(error, true)).toMatch(pattern);
  });
});
