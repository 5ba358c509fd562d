/** Runs a task when a slot is free; see {@link createLimiter}. */
export type Limiter = <T>(task: () => Promise<T>) => Promise<T>;

/**
 * At most `limit` tasks run at once; the rest wait in arrival order. A finishing task hands its
 * slot straight to the next waiter, so a newcomer can never slip in and exceed the limit.
 */
export function createLimiter(limit: number): Limiter {
  if (!Number.isInteger(limit) || limit < 1)
    throw new RangeError(`limit must be an integer ≥ 1, got ${limit}`);
  let active = 0;
  const waiting: Array<() => void> = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (active < limit) active += 1;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await task();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else active -= 1;
    }
  };
}
