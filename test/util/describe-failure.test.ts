import { describe, expect, it } from 'vitest';
import { ObjectTransferError } from '../../src/egress/errors.ts';
import { describeFailure } from '../../src/util/describe-failure.ts';

describe('describeFailure', () => {
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
    [
      'a cause repeated down the chain',
      new Error('a', { cause: new Error('b', { cause: new Error('b') }) }),
      'a: b',
    ],
    ['a cause that is not an Error', new Error('a', { cause: 'text' }), 'a'],
    [
      'an egress error with its cause',
      new ObjectTransferError('object failed', {}, { cause: new Error('NoSuchBucket') }),
      'object failed: NoSuchBucket',
    ],
    ['a thrown string', 'just text', 'just text'],
    ['a thrown number', 42, '42'],
    ['undefined', undefined, 'undefined'],
  ])('%s', (_case, error, text) => {
    expect(describeFailure(error)).toBe(text);
  });
});
