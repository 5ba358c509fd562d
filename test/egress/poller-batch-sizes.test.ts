import { describe, expect, it } from 'vitest';
import { pollerBatchSizes } from '../../src/egress/consumer/queue-consumer.ts';

describe('pollerBatchSizes', () => {
  it.each([
    [4, 1, [1, 1, 1, 1]],
    [4, 2, [2, 2]],
    [5, 2, [2, 2, 1]],
    [10, 10, [10]],
    [3, 10, [3]],
    [1, 1, [1]],
  ])('%i messages in flight with batch %i → pollers %j', (inFlight, batch, expected) => {
    expect(pollerBatchSizes(inFlight, batch)).toEqual(expected);
  });
});
