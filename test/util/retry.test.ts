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
  it.each([
    { policy: policy({ initialDelayMs: 100, maxDelayMs: 1000 }), failed: 1, random: 0, pause: 100 },
    { policy: policy({ initialDelayMs: 100, maxDelayMs: 1000 }), failed: 3, random: 0, pause: 400 },
    { policy: policy({ initialDelayMs: 100, maxDelayMs: 1000 }), failed: 5, random: 0, pause: 1000 },
    {
      policy: policy({ initialDelayMs: 100, multiplier: 1, maxDelayMs: 1000 }),
      failed: 4,
      random: 0,
      pause: 100,
    },
    {
      policy: policy({ initialDelayMs: 100, maxDelayMs: 1000, jitter: 0 }),
      failed: 2,
      random: 0.9,
      pause: 200,
    },
    {
      policy: policy({ initialDelayMs: 100, maxDelayMs: 1000, jitter: 0.5 }),
      failed: 2,
      random: 0,
      pause: 200,
    },
    {
      policy: policy({ initialDelayMs: 100, maxDelayMs: 1000, jitter: 0.5 }),
      failed: 2,
      random: 0.5,
      pause: 150,
    },
    {
      policy: policy({ initialDelayMs: 100, maxDelayMs: 1000, jitter: 1 }),
      failed: 2,
      random: 0.75,
      pause: 50,
    },
    {
      policy: policy({ initialDelayMs: 100, maxDelayMs: 1000, jitter: 0.2 }),
      failed: 9,
      random: 0.5,
      pause: 900,
    },
  ])('pauses $pause ms after failure $failed (jitter $policy.jitter, random $random)', (row) => {
    expect(backoffDelayMs(row.policy, row.failed, () => row.random)).toBe(row.pause);
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
