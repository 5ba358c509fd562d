import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../src/sft/config/duration.ts';

describe('parseDuration', () => {
  it.each([
    [20000, 20000],
    ['20000', 20000],
    ['3600000ms', 3_600_000],
    ['20000ms', 20000],
    ['20s', 20000],
    ['20 seconds', 20000],
    ['1 second', 1000],
    ['1.5s', 1500],
    ['2m', 120_000],
    ['5 minutes', 300_000],
    ['1h', 3_600_000],
    ['1d', 86_400_000],
    ['1ns', 1],
    ['1500us', 2],
    [' 7 MS ', 7],
    [0, 0],
  ])('%j → %i ms', (input, expected) => {
    expect(parseDuration(input)).toBe(expected);
  });

  it.each([['-1'], ['ten seconds'], ['10 fortnights'], ['1e3'], [''], [-5], [Number.NaN], ['10s5']])(
    'refuses %j',
    (input) => {
      expect(() => parseDuration(input)).toThrow(/duration/);
    },
  );
});
