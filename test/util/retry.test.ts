import { describe, expect, it, vi } from 'vitest';
import { type BackoffPolicy, backoffDelayMs, RetriesExhausted, withRetry } from '../../src/util/retry.ts';

const policy = (overrides: Partial<BackoffPolicy> = {}): BackoffPolicy => ({
  attempts: 5,
  initialDelayMs: 1,
  multiplier: 2,
  maxDelayMs: 4,
  ...overrides,
});

describe('backoffDelayMs', () => {
  // Pauses of 100 ms × multiplier^(n-1), capped at 1000 ms, less up to `jitter` of themselves.
  it.each([
    // multiplier, jitter, failed attempt, random, pause
    [2, 0, 1, 0, 100],
    [2, 0, 3, 0, 400],
    [2, 0, 5, 0, 1000],
    [1, 0, 4, 0, 100],
    [2, 0, 2, 0.9, 200],
    [2, 0.5, 2, 0, 200],
    [2, 0.5, 2, 0.5, 150],
    [2, 1, 2, 0.75, 50],
    [2, 0.2, 9, 0.5, 900],
  ])('×%d with jitter %d: failure %d, random %d → %d ms', (multiplier, jitter, failed, random, pause) => {
    const backoff = policy({ initialDelayMs: 100, maxDelayMs: 1000, multiplier, jitter });
    expect(backoffDelayMs(backoff, failed, () => random)).toBe(pause);
  });
});

describe('withRetry', () => {
  const failing = (errors: unknown[], value = 'ok') => {
    const operation = vi.fn<(attempt: number) => Promise<string>>();
    for (const error of errors) operation.mockRejectedValueOnce(error);
    return operation.mockResolvedValue(value);
  };

  it.each([
    { case: 'succeeds at once', failures: 0, attempts: 5, result: 'ok', calls: 1, pauses: [] },
    {
      case: 'succeeds after two retryable failures',
      failures: 2,
      attempts: 5,
      result: 'ok',
      calls: 3,
      pauses: [1, 2],
    },
    {
      case: 'gives up when attempts run out',
      failures: 9,
      attempts: 4,
      result: 4,
      calls: 4,
      pauses: [1, 2, 4],
    },
    { case: 'makes one attempt with attempts 1', failures: 9, attempts: 1, result: 1, calls: 1, pauses: [] },
  ])('$case', async (row) => {
    const operation = failing(Array.from({ length: row.failures }, () => new Error('transient')));
    const onRetry = vi.fn();
    const outcome = await withRetry(operation, {
      policy: policy({ attempts: row.attempts }),
      isRetryable: () => true,
      onRetry,
    }).catch((error: unknown) => error);
    if (typeof row.result === 'number') {
      expect(outcome).toBeInstanceOf(RetriesExhausted);
      expect((outcome as RetriesExhausted).attempts).toBe(row.result);
    } else {
      expect(outcome).toBe(row.result);
    }
    expect(operation.mock.calls.map(([attempt]) => attempt)).toEqual(
      Array.from({ length: row.calls }, (_, index) => index + 1),
    );
    expect(onRetry.mock.calls.map(([, failed, pause]) => [failed, pause])).toEqual(
      row.pauses.map((pause, index) => [index + 1, pause]),
    );
  });

  it('stops at the first non-retryable error and reports the attempts', async () => {
    const operation = failing([new Error('transient'), new Error('fatal')]);
    const error = await withRetry(operation, {
      policy: policy(),
      isRetryable: (e) => (e as Error).message === 'transient',
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetriesExhausted);
    expect((error as RetriesExhausted).attempts).toBe(2);
    expect(((error as RetriesExhausted).lastError as Error).message).toBe('fatal');
  });

  it('stops waiting when aborted during a pause, with the signal’s reason', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const run = withRetry(() => Promise.reject(new Error('down')), {
      policy: policy({ initialDelayMs: 10_000, multiplier: 1, maxDelayMs: 10_000 }),
      isRetryable: () => true,
      signal: controller.signal,
      onRetry: () => controller.abort(new Error('stop')),
    });
    await expect(run).rejects.toThrow('stop');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('lets a started attempt run, then throws the abort reason instead of retrying', async () => {
    const controller = new AbortController();
    const operation = vi.fn(async () => {
      controller.abort(new Error('stop'));
      throw new Error('down');
    });
    await expect(
      withRetry(operation, { policy: policy(), isRetryable: () => true, signal: controller.signal }),
    ).rejects.toThrow('stop');
    expect(operation).toHaveBeenCalledTimes(1);
  });
});
