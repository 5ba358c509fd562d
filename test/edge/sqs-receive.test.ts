import { describe, expect, it } from 'vitest';
import { receiptHandles } from '../../src/edge/sqs-receive.ts';

/* The receipt handles a dead long poll's answer holds: the messages the edge makes visible again. */
describe('receiptHandles', () => {
  it.each([
    ['{"Messages":[{"ReceiptHandle":"a"},{"ReceiptHandle":"b"}]}', ['a', 'b']],
    ['{"Messages":[{"ReceiptHandle":"a"},{"Body":"no handle"},{"ReceiptHandle":7}]}', ['a']],
    ['{}', []],
    ['{"Messages":[]}', []],
    ['not json', []],
    ['', []],
  ])('%s → %j', (payload, handles) => {
    expect(receiptHandles(Buffer.from(payload))).toEqual(handles);
  });
});
