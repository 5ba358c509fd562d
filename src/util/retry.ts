import { setTimeout as delay } from 'node:timers/promises';

/** Exponential back-off: how many attempts, and how long to pause between them. */
export interface BackoffPolicy {
  /** Attempts in all, the first one included. */
  attempts: number;
  /** Pause after the first failure (ms). */
  initialDelayMs: number;
  /** Growth factor of the pause per failed attempt. */
  multiplier: number;
  /** Upper bound of a single pause (ms). */
  maxDelayMs: number;
  /**
   * Share of each pause drawn at random, 0–1: with 0.2 a pause lasts 80–100 % of its computed
   * length, so callers that failed together do not all retry together. @defaultValue 0 (exact pauses)
   */
  jitter?: number;
}

/**
 * Pause after failed attempt `failedAttempt` (1-based): initialDelay × multiplier^(n-1), capped at
 * maxDelay, then shortened by up to `jitter` of itself.
 */
export function backoffDelayMs(
  policy: Omit<BackoffPolicy, 'attempts'>,
  failedAttempt: number,
  random: () => number = Math.random,
): number {
  const pause = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.multiplier ** (failedAttempt - 1));
  const jitter = policy.jitter ?? 0;
  return jitter > 0 ? Math.round(pause * (1 - jitter * random())) : pause;
}

/** Options of {@link withRetry}. */
export interface RetryOptions {
  policy: BackoffPolicy;
  /** Decides whether an error is worth another attempt. */
  isRetryable: (error: unknown) => boolean;
  /** Called before each pause (for logging). */
  onRetry?: ((error: unknown, failedAttempt: number, delayMs: number) => void) | undefined;
  /**
   * Stops retrying: a failure once it is aborted, or a pause it cuts short, throws its reason.
   * An attempt that has started runs its course; give the operation the signal to stop it too.
   */
  signal?: AbortSignal | undefined;
  /** Source of the jitter, 0 ≤ value < 1. @defaultValue Math.random */
  random?: () => number;
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
 */
export async function withRetry<T>(
  operation: (attempt: number) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  const { policy, signal } = options;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await operation(attempt);
    } catch (error) {
      signal?.throwIfAborted();
      if (attempt >= policy.attempts || !options.isRetryable(error))
        throw new RetriesExhausted(attempt, error);
      const pause = backoffDelayMs(policy, attempt, options.random);
      options.onRetry?.(error, attempt, pause);
      try {
        await delay(pause, undefined, signal ? { signal } : undefined);
      } catch (abort) {
        throw signal?.reason ?? abort;
      }
    }
  }
}
