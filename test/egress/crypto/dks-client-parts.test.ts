import { describe, expect, it, vi } from 'vitest';
import { DEFAULT_DKS_RETRY_POLICY } from '../../../src/egress/crypto/dks/dks-client.ts';
import { LruCache } from '../../../src/egress/crypto/dks/lru-cache.ts';
import { SingleFlight } from '../../../src/egress/crypto/dks/single-flight.ts';
import { backoffDelayMs } from '../../../src/util/retry.ts';

describe('DKS back-off', () => {
  it.each([
    [1, 1000],
    [2, 2000],
    [3, 4000],
    [4, 8000],
    [5, 16_000],
    [6, 30_000],
    [10, 30_000],
  ])('after attempt %i pauses %i ms by default', (attempt, delay) => {
    expect(backoffDelayMs(DEFAULT_DKS_RETRY_POLICY, attempt)).toBe(delay);
  });
});

describe('LruCache', () => {
  it('evicts the least recently used entry and reports it', () => {
    const evicted: string[] = [];
    const cache = new LruCache<string, string>(2, (value) => evicted.push(value));
    cache.set('a', 'A');
    cache.set('b', 'B');
    expect(cache.get('a')).toBe('A'); // a is now the most recent
    cache.set('c', 'C');
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe('A');
    expect(evicted).toEqual(['B']);
    cache.clear();
    expect(cache.size).toBe(0);
    expect(evicted.sort()).toEqual(['A', 'B', 'C']);
  });

  it.each([0, -1, 1.5])('refuses maxEntries %s', (size) => {
    expect(() => new LruCache(size)).toThrow(RangeError);
  });
});

describe('SingleFlight', () => {
  it('runs concurrent identical work once and shares the result', async () => {
    const flights = new SingleFlight<string, number>();
    let release!: (value: number) => void;
    const work = vi.fn(() => new Promise<number>((resolve) => (release = resolve)));
    const results = Promise.all([flights.run('k', work), flights.run('k', work), flights.run('k', work)]);
    release(42);
    expect(await results).toEqual([42, 42, 42]);
    expect(work).toHaveBeenCalledOnce();
    expect(flights.size).toBe(0);
  });

  it('lets one caller abort without failing the others, and stops the work when all have left', async () => {
    const flights = new SingleFlight<string, number>();
    let workSignal!: AbortSignal;
    let release!: (value: number) => void;
    const work = (signal: AbortSignal) => {
      workSignal = signal;
      return new Promise<number>((resolve) => (release = resolve));
    };
    const first = new AbortController();
    const second = new AbortController();
    const a = flights.run('k', work, first.signal);
    const b = flights.run('k', work, second.signal);
    first.abort(new Error('first gave up'));
    await expect(a).rejects.toThrow('first gave up');
    expect(workSignal.aborted).toBe(false);
    second.abort(new Error('second gave up'));
    await expect(b).rejects.toThrow('second gave up');
    expect(workSignal.aborted).toBe(true);
    expect(flights.size).toBe(0);
    release(1);
  });
});
