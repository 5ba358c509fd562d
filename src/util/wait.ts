import { setTimeout as delay } from 'node:timers/promises';

/** Options for {@link waitFor}. */
export interface WaitOptions {
  /** Give up after this long. @defaultValue 10 000 ms */
  timeoutMs?: number;
  /** Pause between attempts. @defaultValue 25 ms */
  intervalMs?: number;
  /** What is being waited for, used in the timeout error. */
  description?: string;
  signal?: AbortSignal;
}

/**
 * Polls `probe` until it returns a value other than `undefined`/`false`, and returns it.
 * Deterministic waiting with a deadline: tests use this instead of fixed sleeps.
 */
export async function waitFor<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  options: WaitOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const intervalMs = options.intervalMs ?? 25;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    options.signal?.throwIfAborted();
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const what = options.description ?? 'condition';
      const cause = lastError instanceof Error ? `; last error: ${lastError.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}`, { cause: lastError });
    }
    await delay(intervalMs, undefined, options.signal ? { signal: options.signal } : undefined);
  }
}
