import { setTimeout as delay } from 'node:timers/promises';
import type { RetryPolicy } from './config/types.ts';

/**
 * A failed action attempt. `retryable` decides between redelivery and the error folder:
 * network errors, timeouts, 408, 429 and 5xx are worth another try; other 4xx and local
 * problems that cannot change (an unusable name) are not.
 */
export class ActionError extends Error {
  override readonly name = 'ActionError';
  readonly retryable: boolean;
  /** HTTP status of the last response, when there was one. */
  readonly status: number | undefined;
  /** Node error code (`ECONNREFUSED`, `ETIMEDOUT`, …) when there was one. */
  readonly code: string | undefined;
  constructor(
    message: string,
    options: { retryable: boolean; status?: number | undefined; code?: string | undefined; cause?: unknown },
  ) {
    super(message, { cause: options.cause });
    this.retryable = options.retryable;
    this.status = options.status;
    this.code = options.code;
  }
}

/** Whether an HTTP status is worth redelivering. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** Wait before redelivery `n` (1-based): redeliveryDelay × backOffMultiplier^(n-1), capped. */
export function redeliveryDelayMs(policy: RetryPolicy, redelivery: number): number {
  const raw = policy.redeliveryDelayMs * policy.backOffMultiplier ** Math.max(0, redelivery - 1);
  return Math.min(raw, policy.maximumRedeliveryDelayMs);
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

export interface RetryHooks {
  /** Called before each wait. */
  onRetry?: (info: { attempt: number; delayMs: number; error: ActionError }) => void;
  /** Cancels waiting between attempts (agent stop); the abort reason is thrown. */
  signal?: AbortSignal | undefined;
}

function asActionError(error: unknown): ActionError {
  if (error instanceof ActionError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return new ActionError((error as Error)?.message ?? String(error), { retryable: true, code, cause: error });
}

/**
 * Runs `attempt` until it succeeds, fails permanently, or `maximumRedeliveries` redeliveries
 * have failed. Errors that are not {@link ActionError}s count as retryable (file-system hiccups).
 * An aborted `signal` ends the loop with its reason, so a stopping agent leaves the file in place.
 */
export async function withRetry<T>(
  policy: RetryPolicy,
  attempt: (attemptNumber: number) => Promise<T>,
  hooks: RetryHooks = {},
): Promise<{ value: T; attempts: number }> {
  const firstAttemptAt = new Date();
  // The signal cancels waiting only: an attempt that has started runs, so a file whose delivery
  // began is not cut between actions by a stop (stop bounds that with its drain timeout).
  for (let n = 1; ; n++) {
    try {
      return { value: await attempt(n), attempts: n };
    } catch (error) {
      hooks.signal?.throwIfAborted();
      const failure = asActionError(error);
      if (!failure.retryable || n > policy.maximumRedeliveries) {
        throw new RetriesExhaustedError(n, failure, firstAttemptAt);
      }
      const delayMs = redeliveryDelayMs(policy, n);
      hooks.onRetry?.({ attempt: n, delayMs, error: failure });
      await delay(delayMs, undefined, hooks.signal ? { signal: hooks.signal } : undefined);
    }
  }
}
