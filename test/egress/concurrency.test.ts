import { describe, expect, it } from 'vitest';
import { createLimiter } from '../../src/egress/concurrency.ts';
import { pollerBatchSizes } from '../../src/egress/consumer/queue-consumer.ts';

describe('createLimiter', () => {
  const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

  it('never runs more than the limit at once and starts waiting tasks in arrival order', async () => {
    const limit = createLimiter(3);
    let running = 0;
    let peak = 0;
    const started: number[] = [];
    const durations = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9];
    const task = (index: number, ticks: number) =>
      limit(async () => {
        started.push(index);
        running += 1;
        peak = Math.max(peak, running);
        for (let count = 0; count < ticks; count += 1) await tick();
        running -= 1;
      });
    const all = durations.map((ticks, index) => task(index, ticks));
    // Newcomers keep arriving while slots free up.
    for (let index = durations.length; index < durations.length + 5; index += 1) {
      await tick();
      all.push(task(index, 1));
    }
    await Promise.all(all);
    expect(peak).toBe(3);
    expect(started).toEqual([...started].sort((a, b) => a - b));
    expect(started).toHaveLength(20);
  });

  it('frees the slot of a task that throws', async () => {
    const limit = createLimiter(1);
    await expect(limit(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(limit(async () => 'next')).resolves.toBe('next');
  });

  it.each([0, -1, 1.5])('refuses limit %s', (limit) => {
    expect(() => createLimiter(limit)).toThrow(RangeError);
  });
});

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
