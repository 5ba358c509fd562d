import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RECEIVE_BACKOFF,
  receiveBackoffDelayMs,
  receiveBackoffPolicy,
} from '../../src/egress/consumer/receive-backoff.ts';

describe('receive back-off (pure)', () => {
  const policy = receiveBackoffPolicy({ jitter: 0 });

  it.each([
    [1, 500],
    [2, 1_000],
    [3, 2_000],
    [4, 4_000],
    [5, 8_000],
    [6, 16_000],
    [7, 20_000],
    [50, 20_000],
    [1_000_000, 20_000],
    [0, 500],
  ])('retry %i waits %i ms (0.5 s → 20 s, doubling)', (retry, expected) => {
    expect(receiveBackoffDelayMs(policy, retry, 0.5)).toBe(expected);
  });

  it.each([
    [0, 4_000],
    [0.5, 3_600],
    [0.999, 3_201],
    [1, 3_200],
    [-3, 4_000],
    [7, 3_200],
  ])(
    'jitter 0.2 with random %d: retry 4 waits %i ms (never longer than without jitter)',
    (random, expected) => {
      expect(receiveBackoffDelayMs(DEFAULT_RECEIVE_BACKOFF, 4, random)).toBe(expected);
    },
  );

  it('the defaults are 0.5 s → 20 s, ×2, 20 % jitter', () => {
    expect(receiveBackoffPolicy()).toEqual({ initialMs: 500, maxMs: 20_000, multiplier: 2, jitter: 0.2 });
  });

  it.each([
    [{ initialMs: 0 }, /initialMs must be at least 1 ms, got 0/],
    [{ maxMs: 100 }, /maxMs must be at least initialMs \(500 ms\), got 100/],
    [{ multiplier: 0.5 }, /multiplier must be at least 1, got 0.5/],
    [{ jitter: 1.5 }, /jitter must be between 0 and 1, got 1.5/],
    [{ initialMs: Number.NaN }, /initialMs must be at least 1 ms, got NaN/],
  ])('refuses %j naming the limit', (overrides, message) => {
    expect(() => receiveBackoffPolicy(overrides)).toThrow(message);
  });
});
