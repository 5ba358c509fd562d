import { setTimeout as delay } from 'node:timers/promises';

/** Exponential back-off settings. */
export interface RetryPolicy {
  /** Total attempts including the first. @defaultValue 5 */
  attempts: number;
  /** Pause after the first failure. @defaultValue 1000 ms */
  initialDelayMs: number;
  /** Growth factor of the pause per attempt. @defaultValue 2 */
  multiplier: number;
  /** Upper bound of a single pause. @defaultValue 30 000 ms */
  maxDelayMs: number;
}

/** The original's intended (but never enabled) DKS retry: 5 attempts, 1 s, ×2 (behaviour §4.2). */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  attempts: 5,
  initialDelayMs: 1000,
  multiplier: 2,
  maxDelayMs: 30_000,
};

/** Pause before attempt `failedAttempt + 1` (1-based count of attempts made so far). */
export function backoffDelayMs(policy: RetryPolicy, failedAttempt: number): number {
  return Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.multiplier ** (failedAttempt - 1));
}

/** Outcome of one failed attempt: whether another one may help. */
export interface RetryOptions {
  policy: RetryPolicy;
  /** Decides whether an error is worth another attempt. */
  isRetryable: (error: unknown) => boolean;
  /** Called before each pause (for logging). */
  onRetry?: (error: unknown, failedAttempt: number, delayMs: number) => void;
  signal?: AbortSignal;
}

/** Thrown when every attempt failed or a non-retryable error stopped the loop. */
export class RetriesExhausted extends Error {
  override readonly name = 'RetriesExhausted';
  constructor(
    readonly attempts: number,
    readonly lastError: unknown,
  ) {
    super(`gave up after ${attempts} attempt(s)`, { cause: lastError });
  }
}

/**
 * Runs `operation` until it succeeds, a non-retryable error occurs, or attempts run out; the
 * latter two throw {@link RetriesExhausted} carrying the attempt count and the last error.
 * An abort of `signal` propagates at once as the signal's reason.
 */
export async function withRetry<T>(
  operation: (attempt: number) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  const { policy, signal } = options;
  for (let attempt = 1; ; attempt += 1) {
    signal?.throwIfAborted();
    try {
      return await operation(attempt);
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (attempt >= policy.attempts || !options.isRetryable(error))
        throw new RetriesExhausted(attempt, error);
      const pause = backoffDelayMs(policy, attempt);
      options.onRetry?.(error, attempt, pause);
      try {
        await delay(pause, undefined, signal ? { signal } : undefined);
      } catch (abort) {
        throw signal?.reason ?? abort;
      }
    }
  }
}
