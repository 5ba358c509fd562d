import { describe, expect, it, vi } from 'vitest';
import { ActionError, isRetryableStatus } from '../../src/sft/actions/action-error.ts';
import { RetriesExhaustedError, redeliveryBackoff, withRedelivery } from '../../src/sft/redelivery.ts';
import { backoffDelayMs } from '../../src/util/retry.ts';

const ORIGINAL = {
  redeliveryDelayMs: 600_000,
  backOffMultiplier: 2,
  maximumRedeliveries: 3,
  maximumRedeliveryDelayMs: 3_600_000,
};

describe('redelivery schedule', () => {
  it.each([
    [1, 600_000],
    [2, 1_200_000],
    [3, 2_400_000],
    [4, 3_600_000], // capped by maximumRedeliveryDelay
    [10, 3_600_000],
  ])('the original policy waits before redelivery %i: %i ms', (n, expected) => {
    expect(backoffDelayMs(redeliveryBackoff(ORIGINAL), n)).toBe(expected);
  });

  it.each([
    [200, false],
    [400, false],
    [401, false],
    [403, false],
    [404, false],
    [408, true],
    [413, false],
    [429, true],
    [500, true],
    [502, true],
    [503, true],
  ])('HTTP %i retryable: %s', (status, expected) => {
    expect(isRetryableStatus(status)).toBe(expected);
  });
});

describe('withRedelivery', () => {
  const fast = {
    redeliveryDelayMs: 1,
    backOffMultiplier: 2,
    maximumRedeliveries: 3,
    maximumRedeliveryDelayMs: 4,
  };

  it('retries retryable failures until success and reports each wait', async () => {
    const onRetry = vi.fn();
    let calls = 0;
    const result = await withRedelivery(
      fast,
      async () => {
        calls++;
        if (calls < 3) throw new ActionError('HTTP 503', { retryable: true, status: 503 });
        return 'ok';
      },
      { onRetry },
    );
    expect(result).toEqual({ value: 'ok', attempts: 3 });
    expect(onRetry.mock.calls.map(([info]) => [info.attempt, info.delayMs])).toEqual([
      [1, 1],
      [2, 2],
    ]);
  });

  it('gives up after 1 + maximumRedeliveries attempts', async () => {
    const attempt = vi.fn(async () => {
      throw new ActionError('ECONNREFUSED', { retryable: true, code: 'ECONNREFUSED' });
    });
    const error = await withRedelivery(fast, attempt).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetriesExhaustedError);
    expect((error as RetriesExhaustedError).attempts).toBe(4);
    expect(attempt).toHaveBeenCalledTimes(4);
  });

  it('stops at once on a permanent failure', async () => {
    const attempt = vi.fn(async () => {
      throw new ActionError('HTTP 400', { retryable: false, status: 400 });
    });
    const error = (await withRedelivery(fast, attempt).catch((e: unknown) => e)) as RetriesExhaustedError;
    expect(error.attempts).toBe(1);
    expect(error.message).toMatch(/failed permanently: HTTP 400/);
  });

  it('treats unknown errors (file system) as retryable', async () => {
    let calls = 0;
    const result = await withRedelivery(fast, async () => {
      if (++calls === 1) throw Object.assign(new Error('EBUSY'), { code: 'EBUSY' });
      return calls;
    });
    expect(result.attempts).toBe(2);
  });

  it('ends a wait when the signal aborts', async () => {
    const controller = new AbortController();
    const slow = { ...fast, redeliveryDelayMs: 60_000, maximumRedeliveryDelayMs: 60_000 };
    const running = withRedelivery(
      slow,
      async () => {
        throw new ActionError('down', { retryable: true });
      },
      { signal: controller.signal, onRetry: () => controller.abort() },
    );
    await expect(running).rejects.toThrow(/abort/i);
  });
});
