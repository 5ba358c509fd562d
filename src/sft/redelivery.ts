import { type BackoffPolicy, RetriesExhausted, withRetry } from '../util/retry.ts';
import { type ActionError, asActionError } from './actions/action-error.ts';
import type { RetryPolicy } from './config/types.ts';

/** The agent's `retryBehaviour` as a back-off: 1 + maximumRedeliveries attempts, no jitter. */
export function redeliveryBackoff(policy: RetryPolicy): BackoffPolicy {
  return {
    attempts: 1 + policy.maximumRedeliveries,
    initialDelayMs: policy.redeliveryDelayMs,
    multiplier: policy.backOffMultiplier,
    maxDelayMs: policy.maximumRedeliveryDelayMs,
  };
}

/** Every action attempt failed, or one failed permanently. */
export class RetriesExhaustedError extends Error {
  override readonly name = 'RetriesExhaustedError';
  constructor(
    readonly attempts: number,
    readonly lastError: ActionError,
    readonly firstAttemptAt: Date,
  ) {
    super(
      lastError.retryable
        ? `failed after ${attempts} attempt(s): ${lastError.message}`
        : `failed permanently: ${lastError.message}`,
      { cause: lastError },
    );
  }
}

export interface RedeliveryHooks {
  /** Called before each wait. */
  onRetry?: (info: { attempt: number; delayMs: number; error: ActionError }) => void;
  /** Cancels waiting between attempts (agent stop); the abort reason is thrown. */
  signal?: AbortSignal | undefined;
}

/**
 * Runs one action's `attempt` with redelivery (see {@link withRetry}) until it succeeds, fails
 * permanently, or `maximumRedeliveries` redeliveries have failed ({@link RetriesExhaustedError}).
 * An aborted `signal` ends the loop with its reason, so a stopping agent leaves the file in place.
 */
export async function withRedelivery<T>(
  policy: RetryPolicy,
  attempt: (attemptNumber: number) => Promise<T>,
  hooks: RedeliveryHooks = {},
): Promise<{ value: T; attempts: number }> {
  const firstAttemptAt = new Date();
  let attempts = 0;
  // The signal cancels waiting only: an attempt that has started runs, so a file whose delivery
  // began is not cut between actions by a stop (stop bounds that with its drain timeout).
  try {
    const value = await withRetry(
      (n) => {
        attempts = n;
        return attempt(n);
      },
      {
        policy: redeliveryBackoff(policy),
        isRetryable: (error) => asActionError(error).retryable,
        onRetry: hooks.onRetry
          ? (error, n, delayMs) => hooks.onRetry?.({ attempt: n, delayMs, error: asActionError(error) })
          : undefined,
        signal: hooks.signal,
      },
    );
    return { value, attempts };
  } catch (error) {
    if (!(error instanceof RetriesExhausted)) throw error;
    throw new RetriesExhaustedError(error.attempts, asActionError(error.lastError), firstAttemptAt);
  }
}
