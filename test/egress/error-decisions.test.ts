import { describe, expect, it } from 'vitest';
import {
  decisionFor,
  InvalidRuleError,
  MalformedMessageError,
  ObjectTransferError,
  TransientEgressError,
  UnsafeDestinationError,
} from '../../src/egress/errors.ts';

describe('error decisions', () => {
  it.each([
    [new MalformedMessageError('bad body', { messageId: 'm1' }), 'dead-letter'],
    [new InvalidRuleError('decrypt: not a BOOL', { rule: 'p|P' }), 'skip'],
    [new ObjectTransferError('GET failed', { bucket: 'b', key: 'k' }), 'retry'],
    [new UnsafeDestinationError('../etc would leave the SFT root'), 'retry'],
    [new TransientEgressError('scan failed'), 'retry'],
    [new Error('anything else'), 'retry'],
    ['a string', 'retry'],
  ])('%s → %s', (error, decision) => {
    expect(decisionFor(error)).toBe(decision);
  });

  it('carries its context', () => {
    const error = new ObjectTransferError('x', { messageId: 'm', bucket: 'b', key: 'k', rule: 'p|P' });
    expect(error.context).toEqual({ messageId: 'm', bucket: 'b', key: 'k', rule: 'p|P' });
    expect(error).toBeInstanceOf(Error);
    expect(new UnsafeDestinationError('y')).toBeInstanceOf(ObjectTransferError);
  });
});
